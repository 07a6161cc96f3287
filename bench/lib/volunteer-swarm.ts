/**
 * A volunteer swarm: many simulated volunteers in one process of their own, speaking the real
 * `/ws/volunteer` protocol with `ws` (hello, heartbeats at the interval the welcome names, a
 * `result` the moment a `job` arrives). The same process submits jobs over HTTP, so the time from
 * a submission to its job frame is read on one clock. Driven over IPC by `swarm-process.ts`;
 * loopback only, at most MAX_VOLUNTEERS sockets, and it exits by itself after `--max-seconds` or
 * when its parent goes away.
 */
import http from 'node:http'
import WebSocket from 'ws'
import {
  HEARTBEAT_ACK_FRAME,
  HEARTBEAT_FRAME,
  PROTOCOL_VERSION,
} from '../../shared/protocol/frames'
import { request } from './job-load'

const MAX_VOLUNTEERS = 20_000
/** Upgrades in flight at once: more would overflow the server's listen backlog (511). */
const CONNECT_PARALLEL = 200
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

export type SwarmCommand =
  | { op: 'connect'; count: number; concurrency: number }
  | { op: 'queue'; count: number }
  | { op: 'probe'; count: number; gapMs: number }
  | { op: 'feed'; keepWaiting: number; warmupJobs: number; measureJobs: number; maxSeconds: number }
  | { op: 'close' }
  | { op: 'stats' }

export interface SwarmStats {
  open: number
  heartbeats: number
  acks: number
  jobs: number
  /** Error frames by code (RATE_LIMITED here would mean the limit tripped honest volunteers). */
  errors: Record<string, number>
  /** Sockets the orchestrator closed on us, by close code. */
  dropped: Record<string, number>
}

export interface ProbeResult {
  /** POST /api/jobs sent → its job frame at a volunteer, ms. */
  toFrameMs: number[]
  /** POST /api/jobs sent → its 201, ms. */
  toResponseMs: number[]
}

export interface FeedResult {
  jobs: number
  seconds: number
  jobsPerSecond: number
  /** Fewest and most jobs waiting (submitted, not yet dispatched) seen while measuring. */
  minWaiting: number
  maxWaiting: number
  batches: number
}

interface Volunteer {
  ws: WebSocket
  timer?: NodeJS.Timeout
  closing: boolean
}

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? process.argv[at + 1] : undefined
}
const base = new URL(arg('url') ?? '')
if (!LOOPBACK.has(base.hostname)) {
  console.error(`volunteer-swarm: loopback only; got ${base.hostname}`)
  process.exit(2)
}
const wsUrl = `ws://${base.host}/ws/volunteer`
const maxSeconds = Number(arg('max-seconds') ?? 600)
setTimeout(() => {
  console.error(`volunteer-swarm: still running after ${maxSeconds} s; exiting`)
  process.exit(3)
}, maxSeconds * 1000).unref()
process.on('disconnect', () => process.exit(0))

const volunteers = new Set<Volunteer>()
const stats: SwarmStats = { open: 0, heartbeats: 0, acks: 0, jobs: 0, errors: {}, dropped: {} }
/** Jobs this process submitted (counted when sent) and job frames it received. */
let submitted = 0
let onJob: ((frame: JobFrame, at: number) => void) | undefined
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })

interface JobFrame {
  type: 'job'
  job_id: string
  attempt: number
  input_data: { probe?: number } | null
}

const post = (path: string, body: string) => request(agent, base, 'POST', path, body)

/** One volunteer: resolves at its welcome, rejects if the socket fails before. */
function open(concurrency: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false })
    const v: Volunteer = { ws, closing: false }
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          agent: { kind: 'node', name: 'bench-swarm' },
          capabilities: { runtimes: ['js'], concurrency },
        }),
      )
    })
    ws.on('message', (data) => {
      const text = data.toString()
      if (text === HEARTBEAT_ACK_FRAME) {
        stats.acks++
        return
      }
      const frame = JSON.parse(text) as { type: string; [k: string]: unknown }
      if (frame.type === 'job') {
        const job = frame as unknown as JobFrame
        const at = performance.now()
        ws.send(
          `{"type":"result","job_id":${JSON.stringify(job.job_id)},"attempt":${job.attempt},"result":0,"output":""}`,
        )
        stats.jobs++
        onJob?.(job, at)
      } else if (frame.type === 'welcome') {
        volunteers.add(v)
        stats.open++
        startHeartbeats(v, frame.heartbeat_interval_ms as number)
        resolve()
      } else if (frame.type === 'error') {
        const code = String(frame.code)
        stats.errors[code] = (stats.errors[code] ?? 0) + 1
      }
    })
    ws.on('error', (err) => reject(err))
    ws.on('close', (code) => {
      clearTimeout(v.timer)
      clearInterval(v.timer)
      if (volunteers.delete(v)) stats.open--
      if (!v.closing) stats.dropped[code] = (stats.dropped[code] ?? 0) + 1
      reject(new Error(`closed with ${code} before the welcome`))
    })
  })
}

/** Heartbeats spread evenly over the interval, as independent volunteers' would be. */
function startHeartbeats(v: Volunteer, intervalMs: number): void {
  const beat = () => {
    if (v.ws.readyState !== WebSocket.OPEN) return
    v.ws.send(HEARTBEAT_FRAME)
    stats.heartbeats++
  }
  v.timer = setTimeout(
    () => {
      beat()
      v.timer = setInterval(beat, intervalMs)
    },
    Math.random() * intervalMs * 0.9,
  )
}

async function connect(count: number, concurrency: number) {
  if (volunteers.size + count > MAX_VOLUNTEERS)
    throw new Error(`at most ${MAX_VOLUNTEERS} volunteers; asked for ${volunteers.size + count}`)
  const started = performance.now()
  let next = 0
  let failed = 0
  const lane = async () => {
    while (next < count) {
      next++
      await open(concurrency).catch(() => failed++)
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONNECT_PARALLEL, count) }, lane))
  return { open: volunteers.size, failed, ms: Math.round(performance.now() - started) }
}

/** Queues `count` trivial jobs in batches of 10,000 (the API's cap). */
async function queue(count: number) {
  const started = performance.now()
  for (let done = 0; done < count;) {
    const n = Math.min(10_000, count - done)
    await submitBatch(n)
    done += n
  }
  return { queued: count, ms: Math.round(performance.now() - started) }
}

async function submitBatch(n: number): Promise<void> {
  submitted += n
  const inputs = Array.from({ length: n }, () => null)
  const res = await post('/api/jobs/batch', JSON.stringify({ job_type: 'js', code: '0', inputs }))
  if (res.status !== 201) throw new Error(`batch of ${n}: ${res.status} ${res.text}`)
}

/** Jobs one at a time: each is submitted only after the previous one reached its volunteer. */
async function probe(count: number, gapMs: number): Promise<ProbeResult> {
  const result: ProbeResult = { toFrameMs: [], toResponseMs: [] }
  const waiting = new Map<number, (at: number) => void>()
  onJob = (job, at) => {
    const n = job.input_data?.probe
    if (typeof n === 'number') waiting.get(n)?.(at)
  }
  try {
    for (let i = 0; i < count; i++) {
      const arrived = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`probe ${i} never arrived`)), 10_000)
        waiting.set(i, (at) => {
          clearTimeout(timer)
          resolve(at)
        })
      })
      const body = JSON.stringify({ job_type: 'js', code: '0', input_data: { probe: i } })
      submitted++
      const sent = performance.now()
      const res = await post('/api/jobs', body)
      const answered = performance.now()
      if (res.status !== 201) throw new Error(`probe ${i}: ${res.status} ${res.text}`)
      const at = await arrived
      waiting.delete(i)
      result.toFrameMs.push(at - sent)
      result.toResponseMs.push(answered - sent)
      await new Promise((r) => setTimeout(r, gapMs))
    }
  } finally {
    onJob = undefined
  }
  return result
}

/**
 * Keeps about `keepWaiting` jobs queued (submitted, not yet dispatched) by topping up in small
 * batches, and times `measureJobs` dispatches after `warmupJobs`. The top-ups are the same at
 * every depth, so only the depth of the queue differs between runs.
 */
function feed(command: Extract<SwarmCommand, { op: 'feed' }>): Promise<FeedResult> {
  const TOP_UP_AT = 25
  const BATCH_MAX = 2_000
  /** Top-ups in flight at once: with one, a queue of 100 ran dry during each round trip. */
  const IN_FLIGHT = 4
  const startJobs = stats.jobs
  let measuredFrom: { jobs: number; at: number } | undefined
  let inFlight = 0
  let batches = 0
  let minWaiting = Infinity
  let maxWaiting = 0
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(
      () => finish(new Error(`feed did not finish in ${command.maxSeconds} s`)),
      command.maxSeconds * 1000,
    )
    const poll = setInterval(() => tick(performance.now()), 2)
    const finish = (error?: Error) => {
      clearTimeout(timeout)
      clearInterval(poll)
      onJob = undefined
      if (error) return reject(error)
      const from = measuredFrom as { jobs: number; at: number }
      const seconds = (performance.now() - from.at) / 1000
      const jobs = stats.jobs - from.jobs
      resolve({
        jobs,
        seconds: Math.round(seconds * 100) / 100,
        jobsPerSecond: Math.round(jobs / seconds),
        minWaiting,
        maxWaiting,
        batches,
      })
    }
    const tick = (at: number) => {
      const waiting = submitted - stats.jobs
      if (!measuredFrom && stats.jobs - startJobs >= command.warmupJobs)
        measuredFrom = { jobs: stats.jobs, at }
      if (measuredFrom) {
        minWaiting = Math.min(minWaiting, waiting)
        maxWaiting = Math.max(maxWaiting, waiting)
        if (stats.jobs - measuredFrom.jobs >= command.measureJobs) return finish()
      }
      const deficit = command.keepWaiting - waiting
      if (inFlight >= IN_FLIGHT || deficit < TOP_UP_AT) return
      inFlight++
      batches++
      submitBatch(Math.min(deficit, BATCH_MAX)).then(
        () => inFlight--,
        (err: Error) => finish(err),
      )
    }
    onJob = (_job, at) => tick(at)
  })
}

function closeAll(): Promise<{ closed: number }> {
  const all = [...volunteers]
  return Promise.all(
    all.map(
      (v) =>
        new Promise<void>((resolve) => {
          v.closing = true
          clearTimeout(v.timer)
          clearInterval(v.timer)
          if (v.ws.readyState === WebSocket.CLOSED) return resolve()
          v.ws.once('close', () => resolve())
          v.ws.close(1000, 'bench done')
          setTimeout(() => (v.ws.terminate(), resolve()), 5_000).unref()
        }),
    ),
  ).then(() => ({ closed: all.length }))
}

async function run(command: SwarmCommand): Promise<unknown> {
  switch (command.op) {
    case 'connect':
      return connect(command.count, command.concurrency)
    case 'queue':
      return queue(command.count)
    case 'probe':
      return probe(command.count, command.gapMs)
    case 'feed':
      return feed(command)
    case 'close':
      return closeAll()
    case 'stats':
      return { ...stats, open: volunteers.size }
  }
}

process.on('message', (message: { id: number; command: SwarmCommand }) => {
  run(message.command).then(
    (result) => process.send?.({ id: message.id, ok: true, result }),
    (err: Error) => process.send?.({ id: message.id, ok: false, error: err.stack ?? String(err) }),
  )
})
process.send?.({ id: 0, ok: true, result: 'ready' })
