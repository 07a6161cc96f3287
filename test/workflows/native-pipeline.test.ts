/**
 * A native pipeline as a workflow, on two real `zerverless-runner` processes: runner A's script
 * writes files to its OUTPUT mount and prints; runner B's script gets those files in its INPUT
 * mount and A's stdout as its stdin (moved through the orchestrator, sha256-checked); then a js
 * step counts the lines B printed. B's files land in the seed's layout for a workflow's job.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonLogger } from '../../edge/core/observability/logger'
import { startServer, type RunningServer } from '../../edge/node/server'
import { api, type ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { removeDir, tempDir } from '../helpers/temp-dir'

const RUNNER_TOKEN = `runner-${randomBytes(16).toString('hex')}`

let server: RunningServer
let dataDir: string
let scripts: string
let runnerA: RunnerProcess
let runnerB: RunnerProcess
let client: ApiClient

function script(name: string, body: string): string {
  const file = path.join(scripts, name)
  writeFileSync(file, `#!/bin/bash\n${body}\n`, { mode: 0o755 })
  return file
}

beforeAll(async () => {
  dataDir = tempDir('zv-pipe-')
  scripts = tempDir('zv-pipe-scripts-')
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    workers: 1,
    logger: jsonLogger(() => {}, 'error'),
    config: { runnerToken: RUNNER_TOKEN },
  })
  client = api(server.url)
  runnerA = await startRunner(server.url, ['--token', RUNNER_TOKEN, '--no-sandbox'])
  runnerB = await startRunner(server.url, ['--token', RUNNER_TOKEN, '--no-sandbox'])
  const service = async (body: Record<string, unknown>) => {
    const res = await client.post('/api/services/standalone/from-local', body)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
  }
  await service({
    service_name: 'pipe-build',
    peer_id: runnerA.peerId,
    executable_path: script(
      'build.sh',
      [
        'mkdir -p "$ZV_OUTPUT_DIR/sub"',
        'printf alpha > "$ZV_OUTPUT_DIR/a.txt"',
        'printf beta > "$ZV_OUTPUT_DIR/sub/b.txt"',
        'echo "built on A"; echo "second line"',
      ].join('\n'),
    ),
    custom_interfaces: [{ interface_type: 'MOUNT', path: '/data/out', mount_function: 'OUTPUT' }],
  })
  await service({
    service_name: 'pipe-use',
    peer_id: runnerB.peerId,
    executable_path: script(
      'use.sh',
      [
        'cd "$ZV_INPUT_DIR"',
        'for f in $(find . -type f | sort); do echo "file ${f#./}: $(cat "$f")"; done',
        'echo "stdin: $(cat | tr "\\n" "|")"',
      ].join('\n'),
    ),
    custom_interfaces: [{ interface_type: 'MOUNT', path: '/data/in', mount_function: 'INPUT' }],
  })
  await eventually(
    async () => (await client.get('/stats')).body.volunteers.connected >= 3 || undefined,
    30_000,
    'two runners and an internal worker',
  )
}, 90_000)

afterAll(async () => {
  await stopRunner(runnerA)
  await stopRunner(runnerB)
  await server?.close()
  removeDir(dataDir)
  removeDir(scripts)
})

describe('a native pipeline across two runners', () => {
  it("moves A's files and stdout into B, and a js step reads B's stdout", async () => {
    const created = await client.post('/api/workflows', {
      name: 'pipeline',
      steps: [
        { id: 'build', run: { service: 'pipe-build' } },
        { id: 'use', run: { service: 'pipe-use' } },
        {
          id: 'count',
          run: { runtime: 'js', code: 'INPUT.value.trim().split("\\n").length' },
          input: '${steps.use.output}',
        },
      ],
      connections: [
        { from: 'build', interface: 'STDOUT', to: 'use', as: 'STDIN' },
        {
          from: 'build',
          interface: 'MOUNT',
          path: '/data/out',
          to: 'use',
          as: 'MOUNT',
          mount: '/data/in',
        },
      ],
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await client.post(`/api/workflows/${created.body.id}/runs`, {})
    const run = (await client.get(`/api/workflow-runs/${started.body.id}?wait=60`)).body
    expect(run.status, JSON.stringify(run)).toBe('completed')
    const step = (id: string) => run.steps.find((s: { id: string }) => s.id === id)
    expect(step('use').output).toBe(
      ['file a.txt: alpha', 'file sub/b.txt: beta', 'stdin: built on A|second line|', ''].join(
        '\n',
      ),
    )
    expect(step('count').result).toBe(3)
    expect(step('build').executor).not.toBe(step('use').executor)

    // B's job is kept where the seed says: workflows/{orchestrator}/{run}/jobs/{peer}/{job}/.
    const job = step('use').job_ids[0] as string
    const dir = path.join(
      runnerB.dataDir,
      'workflows',
      server.orchestrator.config.nodeId,
      run.id,
      'jobs',
      runnerB.peerId,
      job,
    )
    expect(existsSync(path.join(dir, 'output', 'stdout.txt')), dir).toBe(true)
    expect(readFileSync(path.join(dir, 'output', 'stdout.txt'), 'utf8')).toContain(
      'stdin: built on A',
    )
    const outputs = (await client.get(`/api/jobs/${job}`)).body.outputs.map(
      (o: { name: string }) => o.name,
    )
    expect(outputs).toEqual(expect.arrayContaining(['stdout.txt', 'stderr.txt', 'logs.txt']))
  }, 90_000)
})
