/**
 * Forwarding between two real `zerverless` processes, as two machines would run it: A with no
 * volunteers, C with two internal workers. Trivial js batches submitted to A (each job forwarded
 * to C) against the same batches submitted to C itself, in alternating rounds. Unlike the
 * in-process comparison, A's and C's main threads run side by side here (on this machine's two
 * cores, with C's workers and the client), as on two machines they would not even share cores.
 */
import { runBatch } from './job-load'
import { startZerverless, type Served } from './processes'

const JOB = { job_type: 'js', code: '1 + 1' }

export interface ProcessForwarding {
  forwarded: number
  local: number
  ratio: number
  roundRatios: number[]
  batchSize: number
  rounds: number
}

async function json(url: string): Promise<any> {
  return (await fetch(url)).json()
}

/** Waits until A offers C work (C announced its js volunteers). */
async function meshed(a: Served, c: Served): Promise<void> {
  const cId = (await json(`${c.url}/info`)).peer_id as string
  for (const end = Date.now() + 30_000; Date.now() < end;) {
    const { peers } = await json(`${a.url}/api/federation/peers`)
    const peer = peers.find((p: { id: string }) => p.id === cId)
    if (peer?.takes_our_work && peer.runtimes.includes('js')) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('C never offered A its js volunteers')
}

export async function processForwarding(
  log: (step: string) => void,
  rounds: number,
  batchSize: number,
): Promise<ProcessForwarding> {
  const a = await startZerverless(['--workers', '0', '--p2p-port', '0', '--log-level', 'warn'])
  let c: Served | undefined
  try {
    const address = (await json(`${a.url}/info`)).p2p_addresses[0] as string
    c = await startZerverless([
      '--workers',
      '2',
      '--p2p-port',
      '0',
      '--bootstrap',
      address,
      '--log-level',
      'warn',
    ])
    await meshed(a, c)
    // Warm both paths: C's sandbox threads, the stream pool, the code each side caches.
    await runBatch(a.url, JOB, 200)
    await runBatch(c.url, JOB, 200)
    const sides = { forwarded: { jobs: 0, seconds: 0 }, local: { jobs: 0, seconds: 0 } }
    const roundRatios: number[] = []
    for (let r = 0; r < rounds; r++) {
      const order =
        r % 2 === 0 ? (['forwarded', 'local'] as const) : (['local', 'forwarded'] as const)
      log(`two processes: round ${r + 1}/${rounds}, ${order[0]} first`)
      const rates: Record<string, number> = {}
      for (const name of order) {
        const done = await runBatch(name === 'forwarded' ? a.url : c.url, JOB, batchSize)
        if (done.failed > 0) throw new Error(`${done.failed} ${name} jobs failed`)
        sides[name].jobs += done.jobs
        sides[name].seconds += done.seconds
        rates[name] = done.jobs / done.seconds
      }
      roundRatios.push(Math.round(((rates.forwarded ?? 0) / (rates.local ?? 1)) * 100) / 100)
    }
    const forwarded = Math.round(sides.forwarded.jobs / sides.forwarded.seconds)
    const local = Math.round(sides.local.jobs / sides.local.seconds)
    return {
      forwarded,
      local,
      ratio: Math.round((forwarded / local) * 100) / 100,
      roundRatios,
      batchSize,
      rounds,
    }
  } finally {
    await c?.stop()
    await a.stop()
  }
}
