/**
 * Issue 19's cost of secrets: the same trivial js job with a declared secret (opened from SQLite,
 * sent in the job's frame, read by the guest, and redacted from what comes back) against the job
 * without one, on one orchestrator with its internal workers, in alternating rounds.
 */
import { runBatch } from '../lib/job-load'
import { startZerverless } from '../lib/processes'
import { runSequential } from '../lib/sequential-jobs'
import { percentile, round } from '../lib/stats'
import type { Suite } from './suite'

const VALUE = 'sk_live_0123456789abcdef0123456789abcdef'
/** Both read a string of the secret's length and print it: redaction has something to look at. */
const PLAIN = { job_type: 'js', code: `console.log("${'x'.repeat(VALUE.length)}"); 1 + 1` }
const SECRET = {
  job_type: 'js',
  code: 'console.log(SECRETS.API_KEY); 1 + 1',
  secrets: ['API_KEY'],
}
const ROUNDS = 6
const SEQUENTIAL = 200
const BATCH = 2000

const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`)

interface Side {
  latencies: number[]
  jobs: number
  seconds: number
}

interface SecretsResult {
  rounds: number
  plain: { p50: number; p90: number; jobsPerSecond: number }
  secret: { p50: number; p90: number; jobsPerSecond: number }
}

const summary = (side: Side) => ({
  p50: round(percentile(side.latencies, 50)),
  p90: round(percentile(side.latencies, 90)),
  jobsPerSecond: Math.round(side.jobs / side.seconds),
})

export const secrets: Suite = {
  name: 'secrets',
  async run(log) {
    const server = await startZerverless(['--workers', '2'])
    try {
      await new Promise((r) => setTimeout(r, 1000)) // internal workers connect
      const put = await fetch(`${server.url}/api/secrets/default/API_KEY`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: VALUE }),
      })
      if (!put.ok) throw new Error(`PUT secret: ${put.status} ${await put.text()}`)
      const plain: Side = { latencies: [], jobs: 0, seconds: 0 }
      const secret: Side = { latencies: [], jobs: 0, seconds: 0 }
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, job, side] of [
          ['plain', PLAIN, plain],
          ['secret', SECRET, secret],
        ] as const) {
          log(`round ${round + 1}: ${name}, ${SEQUENTIAL} sequential, a batch of ${BATCH}`)
          const { latencies, jobs } = await runSequential(server.url, job, SEQUENTIAL)
          if (jobs.some((j) => j.status !== 'completed')) throw new Error(`${name}: a job failed`)
          side.latencies.push(...latencies)
          const batch = await runBatch(server.url, job, BATCH)
          if (batch.failed > 0) throw new Error(`${name}: ${batch.failed} batch jobs failed`)
          side.jobs += batch.jobs
          side.seconds += batch.seconds
        }
      }
      const check = await fetch(`${server.url}/api/jobs?namespace=default&limit=1`)
      if (!check.ok) throw new Error(`listing jobs: ${check.status}`)
      if ((await check.text()).includes(VALUE)) throw new Error('a secret was not redacted')
      return { rounds: ROUNDS, plain: summary(plain), secret: summary(secret) }
    } finally {
      await server.stop()
    }
  },
  table(result) {
    const r = result as SecretsResult
    return [
      `Trivial js jobs on one orchestrator with 2 internal workers, ${r.rounds} alternating rounds.`,
      '',
      '| measure | with a secret | without | ratio |',
      '|---|---|---|---|',
      `| one job end to end, p50 / p90 | ${r.secret.p50} / ${r.secret.p90} ms | ${r.plain.p50} / ${r.plain.p90} ms | ${signed(round(r.secret.p50 - r.plain.p50))} ms p50 |`,
      `| jobs/s in batches of ${BATCH} | ${r.secret.jobsPerSecond} | ${r.plain.jobsPerSecond} | ${round(r.secret.jobsPerSecond / r.plain.jobsPerSecond)}× |`,
    ].join('\n')
  },
}
