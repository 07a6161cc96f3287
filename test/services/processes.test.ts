/**
 * How a runner runs a standalone service's process, against the real orchestrator and a real
 * `zerverless-runner`: arguments, environment, exit codes, timeouts and cancels that reach the
 * whole process tree, containment, another user, input and output mounts.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import { startRunner, stopRunner } from '../helpers/runner-process'
import { gone, startServiceHost, type ServiceHost } from '../helpers/service-host'

let h: ServiceHost

beforeAll(async () => {
  h = await startServiceHost()
}, 60_000)

afterAll(async () => {
  await h?.stop()
})

describe('processes', () => {
  it('passes arguments without a shell, drops empty ones, and takes stdin', async () => {
    const file = h.script('args.sh', 'for a in "$@"; do echo "[$a]"; done; cat')
    const { body } = await h.create({ service_name: 'args', executable_path: file })
    const job = await h.runService(body.service.id, {
      arguments: ['a b', '$(whoami)', '', '  ', ';ls'],
      stdin: 'piped in\n',
    })
    expect(job.status).toBe('completed')
    expect(job.output).toBe('[a b]\n[$(whoami)]\n[;ls]\npiped in\n')
  })

  it("gives the service its variables over a minimal environment, not the runner's", async () => {
    const file = h.script(
      'env.sh',
      'echo "mine=$MINE secret=${ZV_RUNNER_SECRET:-unset} path=$PATH"',
    )
    const { body } = await h.create({
      service_name: 'env',
      executable_path: file,
      environment_variables: { MINE: 'yes' },
    })
    const job = await h.runService(body.service.id)
    expect(job.output).toContain('mine=yes secret=unset path=')
  })

  it('fails with the exit code when the process fails, keeping its stderr', async () => {
    const file = h.script('fail.sh', 'echo "about to fail" >&2; exit 3')
    const { body } = await h.create({ service_name: 'fail', executable_path: file })
    const job = await h.runService(body.service.id)
    expect(job).toMatchObject({
      status: 'failed',
      exit_code: 3,
      error: { code: 'PROCESS_EXITED', message: 'Process exited with code 3' },
    })
    expect(job.stderr).toBe('about to fail\n')
    expect(job.outputs.map((o: { name: string }) => o.name)).toContain('stderr.txt')
  })

  it('says exit 127 means a command was not found', async () => {
    const file = h.script('missing.sh', 'exec /nonexistent/tool')
    const { body } = await h.create({ service_name: 'missing', executable_path: file })
    const job = await h.runService(body.service.id)
    expect(job).toMatchObject({ status: 'failed', exit_code: 127 })
    expect(job.error).toMatchObject({ code: 'EXECUTABLE_NOT_FOUND' })
    expect(job.error.message).toContain('127')
  })

  it('kills the whole process group at the timeout, even a child that ignores SIGTERM', async () => {
    const pids = path.join(h.scripts, 'pids.txt')
    const file = h.script(
      'stubborn.sh',
      [
        "trap '' TERM",
        `(trap '' TERM; sleep 1000) & echo "$$ $!" > ${pids}`,
        'while true; do sleep 0.1; done',
      ].join('\n'),
    )
    const { body } = await h.create({
      service_name: 'stubborn',
      executable_path: file,
      timeout_seconds: 1,
    })
    const job = await h.runService(body.service.id, {}, 40)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
    expect(job.error.message).toMatch(/timed out/)
    const [parent, child] = readFileSync(pids, 'utf8').trim().split(' ').map(Number)
    await eventually(() => (gone(parent as number) && gone(child as number)) || undefined, 20_000)
  }, 60_000)

  it('stops the process when the job is cancelled', async () => {
    const pidFile = path.join(h.scripts, 'cancel-pid.txt')
    const file = h.script('long.sh', `echo $$ > ${pidFile}; sleep 1000`)
    const { body } = await h.create({ service_name: 'long', executable_path: file })
    const started = await h.client.post(`/api/services/standalone/${body.service.id}/run`, {})
    const id = started.body.job.id
    await eventually(() => existsSync(pidFile) || undefined)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    const cancelled = await h.client.delete(`/api/jobs/${id}`)
    expect(cancelled.body.status).toBe('cancelled')
    await eventually(() => gone(pid) || undefined, 20_000)
  }, 40_000)

  /** A script that daemonizes (setsid, then a double fork; all ignore TERM and HUP), recording host PIDs. */
  function daemonizing(name: string, pidFile: string): string {
    return h.script(
      name,
      [
        "trap '' TERM HUP",
        `read -r me _ < /proc/self/stat; echo "$me" >> ${pidFile}`,
        `setsid -f /bin/sh -c 'trap "" TERM HUP; (trap "" TERM HUP; read -r me _ < /proc/self/stat; echo "$me" >> ${pidFile}; exec sleep 1000) &'`,
        `while [ "$(wc -l < ${pidFile})" -lt 2 ]; do sleep 0.05; done`,
        'echo daemonized',
        'sleep 1000',
      ].join('\n'),
    )
  }

  const pidsIn = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map(Number)

  it('kills a daemon that escaped its process group when the run times out', async () => {
    const pidFile = path.join(h.scripts, 'daemon-timeout.pids')
    const file = daemonizing('daemon-timeout.sh', pidFile)
    const { body } = await h.create({
      service_name: 'daemon-timeout',
      executable_path: file,
      timeout_seconds: 2,
    })
    const job = await h.runService(body.service.id, {}, 40)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
    // logs.txt says what held the run: here a mechanism a new session cannot leave.
    const logs = await (await fetch(`${h.server.url}/api/jobs/${job.id}/outputs/logs.txt`)).text()
    expect(logs).toMatch(/^\[process tree: (cgroup|PID namespace) /)
    const pids = pidsIn(pidFile)
    expect(pids).toHaveLength(2)
    await eventually(() => pids.every(gone) || undefined, 20_000, 'the daemon to be gone')
  }, 60_000)

  it('kills a daemon that escaped its process group when the run is cancelled', async () => {
    const pidFile = path.join(h.scripts, 'daemon-cancel.pids')
    const file = daemonizing('daemon-cancel.sh', pidFile)
    const { body } = await h.create({ service_name: 'daemon-cancel', executable_path: file })
    const started = await h.client.post(`/api/services/standalone/${body.service.id}/run`, {})
    await eventually(
      () => (existsSync(pidFile) && pidsIn(pidFile).length === 2) || undefined,
      20_000,
      'the daemon to start',
    )
    const cancelled = await h.client.delete(`/api/jobs/${started.body.job.id}`)
    expect(cancelled.body.status).toBe('cancelled')
    await eventually(
      () => pidsIn(pidFile).every(gone) || undefined,
      20_000,
      'the daemon to be gone',
    )
  }, 60_000)

  it('holds runs the way --contain says, and names it in logs.txt', async () => {
    const pidns = await startRunner(h.server.url, ['--no-sandbox', '--contain', 'pid-namespace'])
    try {
      expect(pidns.output()).toContain('native runs are held by a PID namespace per run')
      const file = h.script('contained.sh', 'echo held')
      const { body } = await h.create({
        service_name: 'contained',
        executable_path: file,
        peer_id: pidns.peerId,
      })
      const job = await h.runService(body.service.id)
      expect(job).toMatchObject({ status: 'completed', output: 'held\n' })
      const logs = await (await fetch(`${h.server.url}/api/jobs/${job.id}/outputs/logs.txt`)).text()
      expect(logs).toMatch(/^\[process tree: PID namespace under \/usr\/bin\/unshare /)
    } finally {
      await stopRunner(pidns)
      // Until the orchestrator sees it go, a service without peer_id would have two to choose from.
      await eventually(async () => {
        const { peers } = (await h.client.get('/api/peers')).body
        return !peers.some((p: { peer_id: string }) => p.peer_id === pidns.peerId) || undefined
      })
    }
  }, 60_000)

  it('runs as another user when asked (the runner is root here)', async () => {
    // mkdtemp makes 0700 directories: the other user must be able to enter its working directory.
    chmodSync(h.scripts, 0o755)
    const file = h.script('whoami.sh', 'id -u; id -g; id -G')
    const { body } = await h.create({
      service_name: 'as-nobody',
      executable_path: file,
      run_as_user: 'nobody:nogroup',
    })
    const job = await h.runService(body.service.id)
    expect(job.status, JSON.stringify(job.error)).toBe('completed')
    const [uid, gid, groups] = (job.output as string).trim().split('\n')
    expect(uid).toBe('65534')
    expect(gid).toBe('65534')
    expect(groups?.split(' ')).not.toContain('0')
  })

  it('puts input files in INPUT mounts and collects OUTPUT mounts', async () => {
    const file = h.script(
      'mounts.sh',
      'tr a-z A-Z < "$ZV_INPUT_DIR/words.txt" > "$ZV_OUTPUT_DIR/upper.txt"; echo done',
    )
    const { body } = await h.create({
      service_name: 'mounts',
      executable_path: file,
      custom_interfaces: [
        { interface_type: 'MOUNT', path: '/data/input', mount_function: 'INPUT' },
        { interface_type: 'MOUNT', path: '/data/output', mount_function: 'OUTPUT' },
      ],
    })
    expect(body.service.interfaces).toHaveLength(2)
    const job = await h.runService(body.service.id, {
      input_files: [{ name: 'words.txt', data: Buffer.from('hello mounts').toString('base64') }],
    })
    expect(job.status, JSON.stringify(job.error)).toBe('completed')
    const names = job.outputs.map((o: { name: string }) => o.name)
    expect(names).toContain('mounts/data/output/upper.txt')
    const upper = await fetch(
      `${h.server.url}/api/jobs/${job.id}/outputs/mounts/data/output/upper.txt`,
    )
    expect(await upper.text()).toBe('HELLO MOUNTS')
  })

  it('refuses to run an executable that changed after it was registered', async () => {
    const file = h.script('changing.sh', 'echo v1')
    const { body } = await h.create({ service_name: 'changing', executable_path: file })
    writeFileSync(file, '#!/bin/bash\necho v2 tampered\n')
    const job = await h.runService(body.service.id)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'EXECUTABLE_CHANGED' } })
    expect(job.output ?? '').not.toContain('tampered')
  })
})
