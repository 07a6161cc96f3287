/**
 * Issue 16's choice of transport for internal workers: CPU per job frame sent to the worker host
 * child and its result frame back, over Node's IPC channel with JSON and with 'advanced' (V8
 * structured clone) serialization, one frame per message and four. The frames are a function
 * invocation's, as the orchestrator sends them.
 */
import { fork } from 'node:child_process'
import path from 'node:path'
import { round } from '../lib/stats'
import { countThreadCpu } from '../lib/thread-cpu'
import type { Suite } from './suite'

const ECHO = path.resolve(import.meta.dirname, '../ipc-echo.mjs')
const FRAMES = 40_000
/** Frames in flight at once, as 64 clients keep a loaded orchestrator's links busy. */
const IN_FLIGHT = 64

const job = (n: number) => ({
  type: 'job',
  job_id: `0b7f3c52-6a0e-4c1d-9a51-${String(n).padStart(12, '0')}`,
  attempt: 1,
  job_type: 'js',
  namespace: 'bench',
  code: 'function handle(req) { return {status: 200, body: "Hello, World!"} }',
  input_data: {
    method: 'GET',
    path: '/bench/js',
    query: {},
    headers: { host: '127.0.0.1:8000', 'user-agent': 'autocannon', accept: '*/*' },
    body: '',
  },
  timeout_ms: 30_000,
  mode: 'function',
})

interface Figure {
  serialization: 'json' | 'advanced'
  framesPerMessage: number
  parentUs: number
  childUs: number
}

/** CPU µs per frame pair (a job out, its result back) in each process. */
async function measure(
  serialization: Figure['serialization'],
  framesPerMessage: number,
): Promise<Figure> {
  const child = fork(ECHO, [], { serialization, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  await new Promise((resolve) => child.once('spawn', resolve))
  const childCpu = countThreadCpu([child.pid as number])
  const parentStart = process.cpuUsage()
  let sent = 0
  let done = 0
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent - done < IN_FLIGHT && sent < FRAMES) {
        const link: [number, unknown][] = []
        for (let k = 0; k < framesPerMessage && sent < FRAMES; k++)
          link.push([sent % 8, job(sent++)])
        child.send({ link })
      }
    }
    child.on('message', (message: { link: unknown[] }) => {
      done += message.link.length
      if (done >= FRAMES) resolve()
      else pump()
    })
    pump()
  })
  const parent = process.cpuUsage(parentStart)
  const [used] = childCpu.stop()
  child.send('stop')
  await new Promise((resolve) => child.once('exit', resolve))
  return {
    serialization,
    framesPerMessage,
    parentUs: round((parent.user + parent.system) / FRAMES, 1),
    childUs: round((((used?.main ?? 0) + (used?.others ?? 0)) * 1e6) / FRAMES, 1),
  }
}

export const ipc: Suite = {
  name: 'ipc',
  async run(log) {
    const figures: Figure[] = []
    // Alternated, twice, so that a busy moment of the machine does not favour one.
    for (let round = 0; round < 2; round++)
      for (const framesPerMessage of [1, 4])
        for (const serialization of ['json', 'advanced'] as const) {
          log(`${serialization}, ${framesPerMessage} frame(s) per message`)
          figures.push(await measure(serialization, framesPerMessage))
        }
    return { frames: FRAMES, inFlight: IN_FLIGHT, figures }
  },
  table(result) {
    const r = result as { figures: Figure[] }
    const best = new Map<string, Figure>()
    for (const f of r.figures) {
      const key = `${f.serialization} ${f.framesPerMessage}`
      const seen = best.get(key)
      if (!seen || f.parentUs + f.childUs < seen.parentUs + seen.childUs) best.set(key, f)
    }
    return [
      'CPU µs per job frame out and result frame back (the lower of two alternated runs):',
      '',
      '| serialization | frames per message | orchestrator side | worker host side |',
      '|---|---|---|---|',
      ...[...best.values()].map(
        (f) => `| ${f.serialization} | ${f.framesPerMessage} | ${f.parentUs} | ${f.childUs} |`,
      ),
    ].join('\n')
  },
}
