/**
 * What the mesh alone costs a forwarded job: an offer one way, its `result` back, between
 * two bare libp2p meshes, either on a new `/zerverless/job/1.0.0` stream per exchange (as leases
 * do) or on a few streams kept open, so a figure says how much of a job's cost is opening streams.
 */
import { createLibp2pMesh } from '../../edge/node/federation/libp2p-mesh'
import { removeDir, tempDir } from '../../test/helpers/temp-dir'
import { round } from './stats'

/** Exchanges a second and CPU µs per exchange (both nodes: they share this process). */
export interface ExchangeRate {
  perSecond: number
  cpuUs: number
}

const OFFER = {
  type: 'offer',
  job_id: '00000000-0000-4000-8000-000000000000',
  attempt: 1,
  job_type: 'js',
  namespace: 'default',
  code_hash: '0'.repeat(64),
  input_data: null,
  timeout_ms: 30_000,
  untrusted_db: 'none',
  lease_ms: 15_000,
}

/** `count` exchanges, `inFlight` at once, each way in alternating rounds; medians of `rounds`. */
export async function measureExchanges(count: number, inFlight: number, rounds: number) {
  const dirs = [tempDir('zv-bench-p2p-'), tempDir('zv-bench-p2p-')] as const
  const options = { port: 0, bootstrap: [], maxFrameBytes: 1 << 20 }
  const peer = await createLibp2pMesh({ ...options, dataDir: dirs[0] })
  const origin = await createLibp2pMesh({
    ...options,
    dataDir: dirs[1],
    bootstrap: peer.addresses().slice(0, 1),
  })
  // The peer answers every offer; an offer of kind `offer` is the stream's only one.
  peer.onStream((stream) => {
    void (async () => {
      for await (const frame of stream.frames()) {
        const { type, job_id } = frame as { type: string; job_id: string }
        if (type === 'bye') break
        stream.send({ type: 'result', job_id, attempt: 1, result: 2, output: '', volunteer: 'v' })
        if (type === 'offer') break
      }
      stream.close()
    })()
  })
  const perStream = async () => {
    const stream = await origin.open(peer.self)
    stream.send(OFFER)
    let frames = 0
    for await (const _ of stream.frames()) if (++frames === 1) break
    stream.close()
  }
  const sides = {
    newStream: async () => {
      let left = count
      const lane = async () => {
        while (left-- > 0) await perStream()
      }
      await Promise.all(Array.from({ length: inFlight }, lane))
    },
    reused: async () => {
      let left = count
      const lane = async () => {
        const stream = await origin.open(peer.self)
        const frames = stream.frames()[Symbol.asyncIterator]()
        while (left-- > 0) {
          stream.send({ ...OFFER, type: 'next' })
          await frames.next()
        }
        stream.send({ type: 'bye' })
        stream.close()
      }
      await Promise.all(Array.from({ length: inFlight }, lane))
    },
  }
  const results: Record<keyof typeof sides, ExchangeRate[]> = { newStream: [], reused: [] }
  try {
    await new Promise((r) => setTimeout(r, 500)) // connected and identified
    await sides.newStream() // warm-up, JIT included
    for (let r = 0; r < rounds; r++) {
      const order: (keyof typeof sides)[] =
        r % 2 ? ['reused', 'newStream'] : ['newStream', 'reused']
      for (const name of order) {
        const cpu = process.cpuUsage()
        const started = performance.now()
        await sides[name]()
        const used = process.cpuUsage(cpu)
        results[name].push({
          perSecond: Math.round(count / ((performance.now() - started) / 1000)),
          cpuUs: Math.round((used.user + used.system) / count),
        })
      }
    }
  } finally {
    await Promise.all([origin.stop(), peer.stop()])
    for (const dir of dirs) removeDir(dir)
  }
  const median = (xs: ExchangeRate[], key: keyof ExchangeRate) =>
    round(xs.map((x) => x[key]).sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN)
  const summary = (xs: ExchangeRate[]) => ({
    perSecond: median(xs, 'perSecond'),
    cpuUs: median(xs, 'cpuUs'),
  })
  return { count, inFlight, newStream: summary(results.newStream), reused: summary(results.reused) }
}
