/**
 * Standalone services end to end: the real orchestrator (no internal workers) and a real
 * `zerverless-runner`, with real processes on this machine. The seed's "Testing" walk-through,
 * what a run leaves behind, how processes are stopped, and every way a request can be refused.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SystemCapabilities } from '../../shared/protocol/system-capabilities'
import { api } from '../helpers/api'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import {
  eventually,
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

let server: ZerverlessProcess
let runner: RunnerProcess
let client: ReturnType<typeof api>
const scripts = tempDir('zv-scripts-')

/** Writes an executable script into the scripts directory and returns its path. */
function script(name: string, body: string, mode = 0o755): string {
  const file = path.join(scripts, name)
  writeFileSync(file, `#!/bin/bash\n${body}\n`)
  chmodSync(file, mode)
  return file
}

async function create(body: Record<string, unknown>) {
  return client.post('/api/services/standalone/from-local', body)
}

async function runService(id: number, body: Record<string, unknown> = {}, wait = 30) {
  const started = await client.post(`/api/services/standalone/${id}/run`, body)
  expect(started.status, JSON.stringify(started.body)).toBe(202)
  return (await client.get(`/api/jobs/${started.body.job.id}?wait=${wait}`)).body
}

/** Gone, or a zombie nobody reaped (this container's PID 1 does not). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return true
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false
  } catch {
    return true
  }
}

beforeAll(async () => {
  server = await startZerverless(['--workers', '0'])
  client = api(server.url)
  runner = await startRunner(server.url, [], { env: { ZV_RUNNER_SECRET: 'do-not-leak' } })
}, 60_000)

afterAll(async () => {
  if (process.env.ZV_DEBUG) console.log(server.output(), runner.output())
  // Whatever a failed containment test left running goes, by the PIDs it recorded.
  for (const name of readdirSync(scripts).filter((n) => n.endsWith('.pids')))
    for (const pid of readFileSync(path.join(scripts, name), 'utf8').trim().split('\n'))
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // gone already
      }
  await stopRunner(runner)
  await server?.stop()
  if (server) removeDir(server.dataDir)
  removeDir(scripts)
})

describe('runners', () => {
  it('lists connected runners with their machine in GET /api/peers', async () => {
    const { body } = await client.get('/api/peers')
    const peer = body.peers.find((p: { peer_id: string }) => p.peer_id === runner.peerId)
    expect(peer).toMatchObject({ native: true, state: 'active' })
    expect(peer.runtimes).toContain('native')
    expect(SystemCapabilities.safeParse(peer.capabilities).success).toBe(true)
    expect(peer.capabilities.cpu_threads).toBeGreaterThan(0)
  })

  it('prints its capabilities with --print-capabilities', () => {
    const out = execFileSync(process.execPath, [
      path.resolve(import.meta.dirname, '../../runner/bin/zerverless-runner.js'),
      '--print-capabilities',
      '--data-dir',
      runner.dataDir,
    ]).toString()
    const printed = JSON.parse(out) as Record<string, unknown>
    expect(SystemCapabilities.safeParse(printed).success).toBe(true)
    expect(Object.keys(printed).slice(0, 3)).toEqual(['platform', 'architecture', 'kernel_version'])
  })

  it('explains itself with npx zerverless-runner --help', () => {
    const help = execFileSync('npx', ['--no-install', 'zerverless-runner', '--help'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
    }).toString()
    for (const flag of ['--orchestrator', '--data-dir', '--name', '--token', '--no-native'])
      expect(help).toContain(flag)
  })

  it('keeps its peer id across restarts', async () => {
    const again = await startRunner(server.url, ['--no-native'], { dataDir: runner.dataDir })
    expect(again.peerId).toBe(runner.peerId)
    await again.stop()
  })
})

describe("the seed's Testing walk-through", () => {
  let serviceId: number

  it('creates the test-script service from a local executable', async () => {
    const file = script(
      'test_script.sh',
      [
        'echo "Script started at $(date)"',
        'echo "Arguments: $@"',
        'echo "Working directory: $(pwd)"',
        'echo "Environment: USER=$USER"',
        'sleep 1',
        'echo "Script completed successfully"',
        'exit 0',
      ].join('\n'),
    )
    const res = await create({
      service_name: 'test-script',
      executable_path: file,
      arguments: ['arg1', 'arg2'],
      description: 'Test standalone service',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toMatchObject({
      success: true,
      service: {
        service_type: 'STANDALONE',
        name: 'test-script',
        description: 'Test standalone service',
        status: 'ACTIVE',
        peer_id: runner.peerId,
      },
    })
    expect(
      res.body.suggested_interfaces.map((i: { interface_type: string }) => i.interface_type),
    ).toEqual(['STDIN', 'STDOUT', 'STDERR', 'LOGS'])
    serviceId = res.body.service.id
    const details = (await client.get(`/api/services/standalone/${serviceId}/details`)).body
    const sha256 = execFileSync('sha256sum', [file]).toString().split(' ')[0]
    expect(details.details).toMatchObject({
      service_id: serviceId,
      executable_path: file,
      arguments: '["arg1","arg2"]',
      environment_variables: '{}',
      timeout_seconds: 600,
      source: 'local',
      executable_hash: sha256,
    })
  })

  it('runs it on the runner, and its outputs are readable through the API and on the runner', async () => {
    const job = await runService(serviceId)
    expect(job).toMatchObject({
      job_type: 'native',
      status: 'completed',
      exit_code: 0,
      volunteer_id: expect.any(String),
    })
    expect(job.duration_ms).toBeGreaterThan(0)
    expect(job.output).toContain('Arguments: arg1 arg2')
    expect(job.output).toContain(`Working directory: ${scripts}`)
    expect(job.output).toContain('Script completed successfully')
    expect(job.outputs.map((o: { name: string }) => o.name).sort()).toEqual([
      'logs.txt',
      'stderr.txt',
      'stdout.txt',
    ])
    const stdout = await fetch(`${server.url}/api/jobs/${job.id}/outputs/stdout.txt`)
    expect(stdout.headers.get('content-type')).toContain('text/plain')
    expect(await stdout.text()).toContain('Arguments: arg1 arg2')
    const logs = await (await fetch(`${server.url}/api/jobs/${job.id}/outputs/logs.txt`)).text()
    expect(logs).toContain('Script completed successfully')
    // The seed's layout on the runner: workflows/{orchestrator}/{job}/jobs/{peer}/{execution}/output/
    const jobsDir = path.join(
      runner.dataDir,
      'workflows',
      'node-default',
      job.id,
      'jobs',
      runner.peerId,
    )
    const output = path.join(jobsDir, `${job.id}-1`, 'output')
    for (const name of ['stdout.txt', 'stderr.txt', 'logs.txt'])
      expect(existsSync(path.join(output, name))).toBe(true)
  })

  it('deletes it: the service and its details are gone', async () => {
    const res = await client.delete(`/api/services/standalone/${serviceId}`)
    expect(res.body).toEqual({ success: true, message: 'Service deleted successfully' })
    expect((await client.get(`/api/services/standalone/${serviceId}/details`)).status).toBe(404)
    await eventually(() => {
      const registry = readFileSync(path.join(runner.dataDir, 'services.json'), 'utf8')
      return !registry.includes('"test-script"') || undefined
    })
  })
})

describe('processes', () => {
  it('passes arguments without a shell, drops empty ones, and takes stdin', async () => {
    const file = script('args.sh', 'for a in "$@"; do echo "[$a]"; done; cat')
    const { body } = await create({ service_name: 'args', executable_path: file })
    const job = await runService(body.service.id, {
      arguments: ['a b', '$(whoami)', '', '  ', ';ls'],
      stdin: 'piped in\n',
    })
    expect(job.status).toBe('completed')
    expect(job.output).toBe('[a b]\n[$(whoami)]\n[;ls]\npiped in\n')
  })

  it("gives the service its variables over a minimal environment, not the runner's", async () => {
    const file = script('env.sh', 'echo "mine=$MINE secret=${ZV_RUNNER_SECRET:-unset} path=$PATH"')
    const { body } = await create({
      service_name: 'env',
      executable_path: file,
      environment_variables: { MINE: 'yes' },
    })
    const job = await runService(body.service.id)
    expect(job.output).toContain('mine=yes secret=unset path=')
  })

  it('fails with the exit code when the process fails, keeping its stderr', async () => {
    const file = script('fail.sh', 'echo "about to fail" >&2; exit 3')
    const { body } = await create({ service_name: 'fail', executable_path: file })
    const job = await runService(body.service.id)
    expect(job).toMatchObject({
      status: 'failed',
      exit_code: 3,
      error: { code: 'PROCESS_EXITED', message: 'Process exited with code 3' },
    })
    expect(job.stderr).toBe('about to fail\n')
    expect(job.outputs.map((o: { name: string }) => o.name)).toContain('stderr.txt')
  })

  it('says exit 127 means a command was not found', async () => {
    const file = script('missing.sh', 'exec /nonexistent/tool')
    const { body } = await create({ service_name: 'missing', executable_path: file })
    const job = await runService(body.service.id)
    expect(job).toMatchObject({ status: 'failed', exit_code: 127 })
    expect(job.error).toMatchObject({ code: 'EXECUTABLE_NOT_FOUND' })
    expect(job.error.message).toContain('127')
  })

  it('kills the whole process group at the timeout, even a child that ignores SIGTERM', async () => {
    const pids = path.join(scripts, 'pids.txt')
    const file = script(
      'stubborn.sh',
      [
        "trap '' TERM",
        `(trap '' TERM; sleep 1000) & echo "$$ $!" > ${pids}`,
        'while true; do sleep 0.1; done',
      ].join('\n'),
    )
    const { body } = await create({
      service_name: 'stubborn',
      executable_path: file,
      timeout_seconds: 1,
    })
    const job = await runService(body.service.id, {}, 40)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
    expect(job.error.message).toMatch(/timed out/)
    const [parent, child] = readFileSync(pids, 'utf8').trim().split(' ').map(Number)
    await eventually(() => (gone(parent as number) && gone(child as number)) || undefined, 20_000)
  }, 60_000)

  it('stops the process when the job is cancelled', async () => {
    const pidFile = path.join(scripts, 'cancel-pid.txt')
    const file = script('long.sh', `echo $$ > ${pidFile}; sleep 1000`)
    const { body } = await create({ service_name: 'long', executable_path: file })
    const started = await client.post(`/api/services/standalone/${body.service.id}/run`, {})
    const id = started.body.job.id
    await eventually(() => existsSync(pidFile) || undefined)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    const cancelled = await client.delete(`/api/jobs/${id}`)
    expect(cancelled.body.status).toBe('cancelled')
    await eventually(() => gone(pid) || undefined, 20_000)
  }, 40_000)

  /** A script that daemonizes (setsid, then a double fork; all ignore TERM and HUP), recording host PIDs. */
  function daemonizing(name: string, pidFile: string): string {
    return script(
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
    const pidFile = path.join(scripts, 'daemon-timeout.pids')
    const file = daemonizing('daemon-timeout.sh', pidFile)
    const { body } = await create({
      service_name: 'daemon-timeout',
      executable_path: file,
      timeout_seconds: 2,
    })
    const job = await runService(body.service.id, {}, 40)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
    // logs.txt says what held the run: here a mechanism a new session cannot leave.
    const logs = await (await fetch(`${server.url}/api/jobs/${job.id}/outputs/logs.txt`)).text()
    expect(logs).toMatch(/^\[process tree: (cgroup|PID namespace) /)
    const pids = pidsIn(pidFile)
    expect(pids).toHaveLength(2)
    await eventually(() => pids.every(gone) || undefined, 20_000, 'the daemon to be gone')
  }, 60_000)

  it('kills a daemon that escaped its process group when the run is cancelled', async () => {
    const pidFile = path.join(scripts, 'daemon-cancel.pids')
    const file = daemonizing('daemon-cancel.sh', pidFile)
    const { body } = await create({ service_name: 'daemon-cancel', executable_path: file })
    const started = await client.post(`/api/services/standalone/${body.service.id}/run`, {})
    await eventually(
      () => (existsSync(pidFile) && pidsIn(pidFile).length === 2) || undefined,
      20_000,
      'the daemon to start',
    )
    const cancelled = await client.delete(`/api/jobs/${started.body.job.id}`)
    expect(cancelled.body.status).toBe('cancelled')
    await eventually(
      () => pidsIn(pidFile).every(gone) || undefined,
      20_000,
      'the daemon to be gone',
    )
  }, 60_000)

  it('holds runs the way --contain says, and names it in logs.txt', async () => {
    const pidns = await startRunner(server.url, ['--no-sandbox', '--contain', 'pid-namespace'])
    try {
      expect(pidns.output()).toContain('native runs are held by a PID namespace per run')
      const file = script('contained.sh', 'echo held')
      const { body } = await create({
        service_name: 'contained',
        executable_path: file,
        peer_id: pidns.peerId,
      })
      const job = await runService(body.service.id)
      expect(job).toMatchObject({ status: 'completed', output: 'held\n' })
      const logs = await (await fetch(`${server.url}/api/jobs/${job.id}/outputs/logs.txt`)).text()
      expect(logs).toMatch(/^\[process tree: PID namespace under \/usr\/bin\/unshare /)
    } finally {
      await stopRunner(pidns)
      // Until the orchestrator sees it go, a service without peer_id would have two to choose from.
      await eventually(async () => {
        const { peers } = (await client.get('/api/peers')).body
        return !peers.some((p: { peer_id: string }) => p.peer_id === pidns.peerId) || undefined
      })
    }
  }, 60_000)

  it('runs as another user when asked (the runner is root here)', async () => {
    // mkdtemp makes 0700 directories: the other user must be able to enter its working directory.
    chmodSync(scripts, 0o755)
    const file = script('whoami.sh', 'id -u; id -g; id -G')
    const { body } = await create({
      service_name: 'as-nobody',
      executable_path: file,
      run_as_user: 'nobody:nogroup',
    })
    const job = await runService(body.service.id)
    expect(job.status, JSON.stringify(job.error)).toBe('completed')
    const [uid, gid, groups] = (job.output as string).trim().split('\n')
    expect(uid).toBe('65534')
    expect(gid).toBe('65534')
    expect(groups?.split(' ')).not.toContain('0')
  })

  it('puts input files in INPUT mounts and collects OUTPUT mounts', async () => {
    const file = script(
      'mounts.sh',
      'tr a-z A-Z < "$ZV_INPUT_DIR/words.txt" > "$ZV_OUTPUT_DIR/upper.txt"; echo done',
    )
    const { body } = await create({
      service_name: 'mounts',
      executable_path: file,
      custom_interfaces: [
        { interface_type: 'MOUNT', path: '/data/input', mount_function: 'INPUT' },
        { interface_type: 'MOUNT', path: '/data/output', mount_function: 'OUTPUT' },
      ],
    })
    expect(body.service.interfaces).toHaveLength(2)
    const job = await runService(body.service.id, {
      input_files: [{ name: 'words.txt', data: Buffer.from('hello mounts').toString('base64') }],
    })
    expect(job.status, JSON.stringify(job.error)).toBe('completed')
    const names = job.outputs.map((o: { name: string }) => o.name)
    expect(names).toContain('mounts/data/output/upper.txt')
    const upper = await fetch(
      `${server.url}/api/jobs/${job.id}/outputs/mounts/data/output/upper.txt`,
    )
    expect(await upper.text()).toBe('HELLO MOUNTS')
  })

  it('refuses to run an executable that changed after it was registered', async () => {
    const file = script('changing.sh', 'echo v1')
    const { body } = await create({ service_name: 'changing', executable_path: file })
    writeFileSync(file, '#!/bin/bash\necho v2 tampered\n')
    const job = await runService(body.service.id)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'EXECUTABLE_CHANGED' } })
    expect(job.output ?? '').not.toContain('tampered')
  })
})

describe('bad requests', () => {
  it('refuses executables that are missing, directories or not executable, naming the reason', async () => {
    mkdirSync(path.join(scripts, 'a-dir'), { recursive: true })
    const plain = script('plain.sh', 'echo hi', 0o644)
    const cases: [string, string][] = [
      [path.join(scripts, 'nope.sh'), 'executable not found'],
      [path.join(scripts, 'a-dir'), 'path is a directory, not a file'],
      [plain, 'permission denied'],
    ]
    for (const [file, reason] of cases) {
      const res = await create({
        service_name: `bad-${path.basename(file)}`,
        executable_path: file,
      })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ code: 'INVALID_EXECUTABLE', field: 'executable_path' })
      expect(res.body.error).toContain(reason)
    }
    const list = (await client.get('/api/services/standalone')).body.services
    expect(list.some((s: { name: string }) => s.name.startsWith('bad-'))).toBe(false)
  })

  it('refuses bad fields with 400 naming them', async () => {
    const file = script('ok.sh', 'true')
    const cases: [Record<string, unknown>, string][] = [
      [{ service_name: '../escape', executable_path: file }, 'service_name'],
      [{ service_name: 'rel', executable_path: 'relative/path' }, 'executable_path'],
      [{ service_name: 'user', executable_path: file, run_as_user: 'a:b:c' }, 'run_as_user'],
      [{ service_name: 'to', executable_path: file, timeout_seconds: 0 }, 'timeout_seconds'],
      [
        {
          service_name: 'mnt',
          executable_path: file,
          custom_interfaces: [
            { interface_type: 'MOUNT', path: '/a/../etc', mount_function: 'INPUT' },
          ],
        },
        'custom_interfaces',
      ],
      [{ executable_path: file }, 'service_name'],
      [{ service_name: 'extra', executable_path: file, surprise: 1 }, 'surprise'],
    ]
    for (const [body, field] of cases) {
      const res = await create(body)
      expect(res.status, JSON.stringify(res.body)).toBe(400)
      expect(JSON.stringify(res.body)).toContain(field)
    }
  })

  it('refuses a second service with the same name', async () => {
    const file = script('twice.sh', 'true')
    expect((await create({ service_name: 'twice', executable_path: file })).status).toBe(201)
    const again = await create({ service_name: 'twice', executable_path: file })
    expect(again).toMatchObject({ status: 409, body: { code: 'SERVICE_EXISTS' } })
  })

  it('answers 404 for unknown services and 400 for ids that are not numbers', async () => {
    expect((await client.get('/api/services/standalone/999999/details')).body.code).toBe(
      'SERVICE_NOT_FOUND',
    )
    expect((await client.post('/api/services/standalone/999999/run', {})).status).toBe(404)
    expect((await client.get('/api/services/standalone/abc/details')).status).toBe(400)
  })

  it('refuses input files for a service without an INPUT mount, and unsafe names', async () => {
    const file = script('no-mount.sh', 'true')
    const { body } = await create({ service_name: 'no-mount', executable_path: file })
    const data = Buffer.from('x').toString('base64')
    const noMount = await client.post(`/api/services/standalone/${body.service.id}/run`, {
      input_files: [{ name: 'a.txt', data }],
    })
    expect(noMount).toMatchObject({ status: 400, body: { field: 'input_files' } })
    const unsafe = await client.post(`/api/services/standalone/${body.service.id}/run`, {
      input_files: [{ name: '../a.txt', data }],
    })
    expect(unsafe.status).toBe(400)
  })
})

describe('capabilities', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'platform',
      { platform: 'darwin' },
      'incompatible platform: service requires darwin, peer has linux',
    ],
    ['memory', { min_memory_mb: 1 << 30 }, 'insufficient memory: service requires 1073741824 MB'],
    ['cores', { min_cpu_cores: 4096 }, 'insufficient CPU cores: service requires 4096'],
    ['gpu', { requires_gpu: true }, 'service requires GPU, but peer has no GPUs'],
    [
      'arch',
      { architectures: ['riscv64'] },
      'incompatible architecture: service requires one of [riscv64]',
    ],
  ]
  for (const [name, capabilities, reason] of cases) {
    it(`refuses to run when no runner fits (${name})`, async () => {
      const file = script(`cap-${name}.sh`, 'echo should not run')
      const created = await create({
        service_name: `cap-${name}`,
        executable_path: file,
        capabilities,
      })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const res = await client.post(`/api/services/standalone/${created.body.service.id}/run`, {})
      expect(res.status).toBe(409)
      expect(res.body.code).toBe('NO_COMPATIBLE_RUNNER')
      expect(res.body.error).toContain(reason)
    })
  }

  it('fills platform and architecture in from the executable, and runs where they fit', async () => {
    const elf = path.join(scripts, 'true-binary')
    writeFileSync(elf, readFileSync('/bin/true'))
    chmodSync(elf, 0o755)
    const { body } = await create({ service_name: 'elf', executable_path: elf })
    expect(body.service.capabilities).toMatchObject({ platform: 'linux', architectures: ['amd64'] })
    expect((await runService(body.service.id)).status).toBe('completed')
  })
})

describe('runners that cannot or may not run it', () => {
  it('a --no-native runner takes sandboxed jobs but not services', async () => {
    const sandboxOnly = await startRunner(server.url, ['--no-native'])
    try {
      const file = script('nn.sh', 'true')
      const res = await create({
        service_name: 'nn',
        executable_path: file,
        peer_id: sandboxOnly.peerId,
      })
      expect(res).toMatchObject({ status: 409, body: { code: 'NATIVE_DISABLED' } })
      const peers = (await client.get('/api/peers')).body.peers
      const peer = peers.find((p: { peer_id: string }) => p.peer_id === sandboxOnly.peerId)
      expect(peer).toMatchObject({ native: false })
      expect(peer.runtimes).not.toContain('native')
      // With two runners connected, a new service must say which one.
      const ambiguous = await create({ service_name: 'which', executable_path: file })
      expect(ambiguous.status).toBe(201) // only one of them runs native executables
    } finally {
      await stopRunner(sandboxOnly)
    }
  })

  it('answers 503 while the runner holding the executable is away, and runs it when it is back', async () => {
    const file = script('away.sh', 'echo back')
    const { body } = await create({ service_name: 'away', executable_path: file })
    await runner.stop()
    // The orchestrator notices the closed socket on its own time.
    await eventually(async () => (await client.get('/api/peers')).body.total === 0 || undefined)
    const offline = await client.post(`/api/services/standalone/${body.service.id}/run`, {})
    expect(offline).toMatchObject({ status: 503, body: { code: 'RUNNER_OFFLINE' } })
    expect(offline.headers.get('retry-after')).toBe('5')
    runner = await startRunner(server.url, [], { dataDir: runner.dataDir })
    expect((await runService(body.service.id)).output).toBe('back\n')
  }, 60_000)
})

describe('a runner token', () => {
  it('keeps runners without the token out', async () => {
    const guarded = await startZerverless(['--workers', '0', '--runner-token', 'tok-123456'])
    try {
      const without = await startRunner(guarded.url, [], { waitForConnection: false })
      await eventually(() => without.output().includes('UNAUTHORIZED') || undefined)
      expect((await api(guarded.url).get('/api/peers')).body.total).toBe(0)
      await stopRunner(without)
      const withToken = await startRunner(guarded.url, ['--token', 'tok-123456'])
      expect((await api(guarded.url).get('/api/peers')).body.total).toBe(1)
      await stopRunner(withToken)
    } finally {
      await guarded.stop()
      removeDir(guarded.dataDir)
    }
  }, 60_000)
})
