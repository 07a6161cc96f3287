/** `zerverless --worker <url>`: a standalone worker that connects, reconnects and drains. */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const BIN = path.resolve(import.meta.dirname, '../../bin/zerverless.js')
const servers: ZerverlessProcess[] = []
const workers: ChildProcess[] = []

function startWorker(url: string, extra: string[] = []) {
  const child = spawn(process.execPath, [BIN, '--worker', url, '--workers', '1', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  workers.push(child)
  return { child, output: () => output, exited }
}

afterEach(async () => {
  for (const child of workers.splice(0))
    if (child.exitCode === null && child.signalCode === null && child.pid)
      process.kill(child.pid, 'SIGKILL')
  for (const orchestrator of servers.splice(0)) {
    await orchestrator.kill()
    removeDir(orchestrator.dataDir)
  }
})

async function server(dataDir?: string, port?: number) {
  const s = await startZerverless(
    ['--workers', '0', ...(port ? ['--port', String(port)] : [])],
    dataDir,
  )
  servers.push(s)
  return s
}

const idleVolunteers = async (url: string) => (await api(url).get('/stats')).body.volunteers.idle

describe('worker mode', () => {
  it('connects, advertises its runtimes and runs jobs', async () => {
    const orchestrator = await server()
    const worker = startWorker(orchestrator.wsUrl)
    await eventually(
      async () => (await idleVolunteers(orchestrator.url)) === 1 || undefined,
      10_000,
      'the worker to connect',
    )
    expect((await api(orchestrator.url).get('/info')).body.runtimes).toEqual({
      js: 1,
      lua: 1,
      python: 1,
      wasm: 1,
    })
    const job = await api(orchestrator.url).run({
      job_type: 'js',
      code: 'INPUT.a * 2',
      input_data: { a: 21 },
    })
    expect(job).toMatchObject({ status: 'completed', result: 42 })
    expect(worker.output()).toContain('connected to')
  })

  it('drains on SIGTERM: the running job finishes and is reported, then it exits 0', async () => {
    const orchestrator = await server()
    const worker = startWorker(orchestrator.wsUrl)
    await eventually(async () => (await idleVolunteers(orchestrator.url)) === 1 || undefined)
    const client = api(orchestrator.url)
    const job = (
      await client.post('/api/jobs', {
        job_type: 'js',
        code: 'const t = Date.now(); while (Date.now() - t < 800) {} "finished"',
      })
    ).body
    await eventually(
      async () => (await client.get(`/api/jobs/${job.id}`)).body.status === 'running' || undefined,
    )
    process.kill(worker.child.pid as number, 'SIGTERM')
    expect(await worker.exited).toBe(0)
    expect((await client.get(`/api/jobs/${job.id}`)).body).toMatchObject({
      status: 'completed',
      result: 'finished',
      attempts: 1,
    })
    expect(worker.output()).toContain('draining')
  })

  it('reconnects with backoff when the orchestrator restarts', async () => {
    const first = await server()
    const port = Number(new URL(first.url).port)
    const worker = startWorker(first.wsUrl)
    await eventually(async () => (await idleVolunteers(first.url)) === 1 || undefined)
    await first.stop()
    await eventually(
      () => worker.output().includes('retrying in') || undefined,
      10_000,
      'a reconnect attempt',
    )
    const second = await server(first.dataDir, port)
    await eventually(
      async () => (await idleVolunteers(second.url)) === 1 || undefined,
      20_000,
      'the worker to reconnect',
    )
    expect(await api(second.url).run({ job_type: 'lua', code: 'return "back"' })).toMatchObject({
      status: 'completed',
      result: 'back',
    })
  })

  it('keeps volunteering after a guest brings V8 down in one allocation', async () => {
    const orchestrator = await server()
    const worker = startWorker(orchestrator.wsUrl)
    const client = api(orchestrator.url)
    await eventually(async () => (await idleVolunteers(orchestrator.url)) === 1 || undefined)
    // Past the sandbox thread's heap limit in one call: V8 aborts the process that hosts the
    // thread (nodejs/node#47224), which is the worker's child, not the worker itself.
    const code =
      'from pyodide.ffi import to_js\nb = to_js([]).constructor.new(2**27)\nb.fill(0)\nb.length'
    const bomb = await client.run(
      { job_type: 'python', code, timeout_seconds: 30, max_retries: 0 },
      90,
    )
    expect(bomb.status).toBe('failed')
    await eventually(
      () => worker.output().includes('starting it again') || undefined,
      30_000,
      'the workers process to be started again',
    )
    expect(worker.child.exitCode).toBe(null)
    await eventually(
      async () => (await idleVolunteers(orchestrator.url)) === 1 || undefined,
      30_000,
      'the worker back',
    )
    expect(await client.run({ job_type: 'lua', code: 'return "still here"' })).toMatchObject({
      status: 'completed',
      result: 'still here',
    })
  }, 180_000)

  it('explains its flags', async () => {
    const help = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    help.stdout?.on('data', (d: Buffer) => (text += d.toString()))
    await new Promise((r) => help.on('exit', r))
    for (const flag of [
      '--port',
      '--host',
      '--data-dir',
      '--workers',
      '--worker',
      'ZERVERLESS_DATA_DIR',
      'PORT',
    ])
      expect(text).toContain(flag)
  })
})
