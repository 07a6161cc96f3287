/**
 * Standalone services end to end: the real orchestrator (no internal workers) and a real
 * `zerverless-runner`. Runners, the seed's "Testing" walk-through, capabilities, and every way a
 * request can be refused; how the runner's processes run and stop is in processes.test.ts.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SystemCapabilities } from '../../shared/protocol/system-capabilities'
import { api } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { startRunner, stopRunner } from '../helpers/runner-process'
import { startServiceHost, type ServiceHost } from '../helpers/service-host'
import { removeDir } from '../helpers/temp-dir'
import { startZerverless } from '../helpers/zerverless-process'

let h: ServiceHost

beforeAll(async () => {
  h = await startServiceHost()
}, 60_000)

afterAll(async () => {
  await h?.stop()
})

describe('runners', () => {
  it('lists connected runners with their machine in GET /api/peers', async () => {
    const { body } = await h.client.get('/api/peers')
    const peer = body.peers.find((p: { peer_id: string }) => p.peer_id === h.runner.peerId)
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
      h.runner.dataDir,
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
    const again = await startRunner(h.server.url, ['--no-native'], { dataDir: h.runner.dataDir })
    expect(again.peerId).toBe(h.runner.peerId)
    await again.stop()
  })
})

describe("the seed's Testing walk-through", () => {
  let serviceId: number

  it('creates the test-script service from a local executable', async () => {
    const file = h.script(
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
    const res = await h.create({
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
        peer_id: h.runner.peerId,
      },
    })
    expect(
      res.body.suggested_interfaces.map((i: { interface_type: string }) => i.interface_type),
    ).toEqual(['STDIN', 'STDOUT', 'STDERR', 'LOGS'])
    serviceId = res.body.service.id
    const details = (await h.client.get(`/api/services/standalone/${serviceId}/details`)).body
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
    const job = await h.runService(serviceId)
    expect(job).toMatchObject({
      job_type: 'native',
      status: 'completed',
      exit_code: 0,
      volunteer_id: expect.any(String),
    })
    expect(job.duration_ms).toBeGreaterThan(0)
    expect(job.output).toContain('Arguments: arg1 arg2')
    expect(job.output).toContain(`Working directory: ${h.scripts}`)
    expect(job.output).toContain('Script completed successfully')
    expect(job.outputs.map((o: { name: string }) => o.name).sort()).toEqual([
      'logs.txt',
      'stderr.txt',
      'stdout.txt',
    ])
    const stdout = await fetch(`${h.server.url}/api/jobs/${job.id}/outputs/stdout.txt`)
    expect(stdout.headers.get('content-type')).toContain('text/plain')
    expect(await stdout.text()).toContain('Arguments: arg1 arg2')
    const logs = await (await fetch(`${h.server.url}/api/jobs/${job.id}/outputs/logs.txt`)).text()
    expect(logs).toContain('Script completed successfully')
    // The seed's layout on the runner: workflows/{orchestrator}/{job}/jobs/{peer}/{execution}/output/
    const jobsDir = path.join(
      h.runner.dataDir,
      'workflows',
      'node-default',
      job.id,
      'jobs',
      h.runner.peerId,
    )
    const output = path.join(jobsDir, `${job.id}-1`, 'output')
    for (const name of ['stdout.txt', 'stderr.txt', 'logs.txt'])
      expect(existsSync(path.join(output, name))).toBe(true)
  })

  it('deletes it: the service and its details are gone', async () => {
    const res = await h.client.delete(`/api/services/standalone/${serviceId}`)
    expect(res.body).toEqual({ success: true, message: 'Service deleted successfully' })
    expect((await h.client.get(`/api/services/standalone/${serviceId}/details`)).status).toBe(404)
    await eventually(() => {
      const registry = readFileSync(path.join(h.runner.dataDir, 'services.json'), 'utf8')
      return !registry.includes('"test-script"') || undefined
    })
  })
})

describe('bad requests', () => {
  it('refuses executables that are missing, directories or not executable, naming the reason', async () => {
    mkdirSync(path.join(h.scripts, 'a-dir'), { recursive: true })
    const plain = h.script('plain.sh', 'echo hi', 0o644)
    const cases: [string, string][] = [
      [path.join(h.scripts, 'nope.sh'), 'executable not found'],
      [path.join(h.scripts, 'a-dir'), 'path is a directory, not a file'],
      [plain, 'permission denied'],
    ]
    for (const [file, reason] of cases) {
      const res = await h.create({
        service_name: `bad-${path.basename(file)}`,
        executable_path: file,
      })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ code: 'INVALID_EXECUTABLE', field: 'executable_path' })
      expect(res.body.error).toContain(reason)
    }
    const list = (await h.client.get('/api/services/standalone')).body.services
    expect(list.some((s: { name: string }) => s.name.startsWith('bad-'))).toBe(false)
  })

  it('refuses bad fields with 400 naming them', async () => {
    const file = h.script('ok.sh', 'true')
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
      const res = await h.create(body)
      expect(res.status, JSON.stringify(res.body)).toBe(400)
      expect(JSON.stringify(res.body)).toContain(field)
    }
  })

  it('refuses a second service with the same name', async () => {
    const file = h.script('twice.sh', 'true')
    expect((await h.create({ service_name: 'twice', executable_path: file })).status).toBe(201)
    const again = await h.create({ service_name: 'twice', executable_path: file })
    expect(again).toMatchObject({ status: 409, body: { code: 'SERVICE_EXISTS' } })
  })

  it('answers 404 for unknown services and 400 for ids that are not numbers', async () => {
    expect((await h.client.get('/api/services/standalone/999999/details')).body.code).toBe(
      'SERVICE_NOT_FOUND',
    )
    expect((await h.client.post('/api/services/standalone/999999/run', {})).status).toBe(404)
    expect((await h.client.get('/api/services/standalone/abc/details')).status).toBe(400)
  })

  it('refuses input files for a service without an INPUT mount, and unsafe names', async () => {
    const file = h.script('no-mount.sh', 'true')
    const { body } = await h.create({ service_name: 'no-mount', executable_path: file })
    const data = Buffer.from('x').toString('base64')
    const noMount = await h.client.post(`/api/services/standalone/${body.service.id}/run`, {
      input_files: [{ name: 'a.txt', data }],
    })
    expect(noMount).toMatchObject({ status: 400, body: { field: 'input_files' } })
    const unsafe = await h.client.post(`/api/services/standalone/${body.service.id}/run`, {
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
      const file = h.script(`cap-${name}.sh`, 'echo should not run')
      const created = await h.create({
        service_name: `cap-${name}`,
        executable_path: file,
        capabilities,
      })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const res = await h.client.post(`/api/services/standalone/${created.body.service.id}/run`, {})
      expect(res.status).toBe(409)
      expect(res.body.code).toBe('NO_COMPATIBLE_RUNNER')
      expect(res.body.error).toContain(reason)
    })
  }

  it('fills platform and architecture in from the executable, and runs where they fit', async () => {
    const elf = path.join(h.scripts, 'true-binary')
    writeFileSync(elf, readFileSync('/bin/true'))
    chmodSync(elf, 0o755)
    const { body } = await h.create({ service_name: 'elf', executable_path: elf })
    expect(body.service.capabilities).toMatchObject({ platform: 'linux', architectures: ['amd64'] })
    expect((await h.runService(body.service.id)).status).toBe('completed')
  })
})

describe('runners that cannot or may not run it', () => {
  it('a --no-native runner takes sandboxed jobs but not services', async () => {
    const sandboxOnly = await startRunner(h.server.url, ['--no-native'])
    try {
      const file = h.script('nn.sh', 'true')
      const res = await h.create({
        service_name: 'nn',
        executable_path: file,
        peer_id: sandboxOnly.peerId,
      })
      expect(res).toMatchObject({ status: 409, body: { code: 'NATIVE_DISABLED' } })
      const peers = (await h.client.get('/api/peers')).body.peers
      const peer = peers.find((p: { peer_id: string }) => p.peer_id === sandboxOnly.peerId)
      expect(peer).toMatchObject({ native: false })
      expect(peer.runtimes).not.toContain('native')
      // With two runners connected, a new service must say which one.
      const ambiguous = await h.create({ service_name: 'which', executable_path: file })
      expect(ambiguous.status).toBe(201) // only one of them runs native executables
    } finally {
      await stopRunner(sandboxOnly)
    }
  })

  it('answers 503 while the runner holding the executable is away, and runs it when it is back', async () => {
    const file = h.script('away.sh', 'echo back')
    const { body } = await h.create({ service_name: 'away', executable_path: file })
    await h.runner.stop()
    // The orchestrator notices the closed socket on its own time.
    await eventually(async () => (await h.client.get('/api/peers')).body.total === 0 || undefined)
    const offline = await h.client.post(`/api/services/standalone/${body.service.id}/run`, {})
    expect(offline).toMatchObject({ status: 503, body: { code: 'RUNNER_OFFLINE' } })
    expect(offline.headers.get('retry-after')).toBe('5')
    h.runner = await startRunner(h.server.url, [], { dataDir: h.runner.dataDir })
    expect((await h.runService(body.service.id)).output).toBe('back\n')
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
