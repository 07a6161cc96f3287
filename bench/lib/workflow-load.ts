/**
 * Workflow runs and the client-driven work they replace, each timed on one keep-alive connection:
 * a chain of steps against the same jobs submitted one after another, a foreach step against the
 * same `POST /api/jobs/batch`. The workflows suite alternates them in one server.
 */
import http from 'node:http'
import { request } from './job-load'

/** The trivial step every chain link and fan-out element runs. */
const STEP_CODE = 'INPUT.n + 1'

type Json = Record<string, unknown>

/** A caller on one keep-alive connection to the orchestrator at `url`. */
export class Caller {
  private readonly base: URL
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

  constructor(url: string) {
    this.base = new URL(url)
  }

  /** Sends a request and parses its JSON answer, failing on any status but `expect`. */
  async json<T = Json>(method: string, path: string, body?: unknown, expect = 200): Promise<T> {
    const res = await request(
      this.agent,
      this.base,
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
    )
    if (res.status !== expect)
      throw new Error(`${method} ${path}: expected ${expect}, got ${res.status} ${res.text}`)
    return JSON.parse(res.text) as T
  }

  close(): void {
    this.agent.destroy()
  }
}

/** A workflow of `length` trivial js steps, each one's input the previous one's result. */
export function chainWorkflow(length: number): Json {
  return {
    name: `chain-${length}`,
    steps: Array.from({ length }, (_, i) => ({
      id: `s${i + 1}`,
      run: { runtime: 'js', code: STEP_CODE },
      input: { n: i === 0 ? '${input.n}' : `\${steps.s${i}.result}` },
      ...(i > 0 && { needs: [`s${i}`] }),
    })),
  }
}

/** A workflow of one trivial js step over every element of the run's `input.list`. */
export function fanOutWorkflow(): Json {
  return {
    name: 'fan-out',
    steps: [
      {
        id: 'each',
        run: { runtime: 'js', code: STEP_CODE },
        foreach: '${input.list}',
        input: { n: '${item}' },
      },
    ],
  }
}

interface RunView {
  id: string
  status: string
  steps: { id: string; status: string; result: unknown }[]
}

/** Runs workflow `id` with `input` and waits for it to end; returns the finished run. */
export async function runWorkflow(caller: Caller, id: string, input: unknown): Promise<RunView> {
  let run = await caller.json<RunView>('POST', `/api/workflows/${id}/runs`, { input }, 202)
  while (run.status === 'running')
    run = await caller.json<RunView>('GET', `/api/workflow-runs/${run.id}?wait=60`)
  if (run.status !== 'completed') throw new Error(`run ${run.id} ${run.status}`)
  return run
}

/** The chain as a client drives it: each job submitted once the one before it finished. */
export async function clientChain(caller: Caller, length: number, n: number): Promise<number> {
  for (let i = 0; i < length; i++) {
    let job = await caller.json<{ id: string; status: string; result?: number }>(
      'POST',
      '/api/jobs',
      { job_type: 'js', code: STEP_CODE, input_data: { n } },
      201,
    )
    while (job.status === 'pending' || job.status === 'running')
      job = await caller.json('GET', `/api/jobs/${job.id}?wait=30`)
    if (job.status !== 'completed' || typeof job.result !== 'number')
      throw new Error(`job ${job.id} ${job.status}`)
    n = job.result
  }
  return n
}

/** `count` trivial js jobs as one batch, waited for until all are done; returns how many completed. */
export async function clientBatch(caller: Caller, count: number): Promise<number> {
  const inputs = Array.from({ length: count }, (_, n) => ({ n }))
  const { batch_id } = await caller.json<{ batch_id: string }>(
    'POST',
    '/api/jobs/batch',
    { job_type: 'js', code: STEP_CODE, inputs },
    201,
  )
  for (;;) {
    const res = await caller.json<{ done: boolean; completed?: number }>(
      'GET',
      `/api/jobs/batch/${batch_id}?wait=60`,
    )
    if (res.done) return res.completed ?? 0
  }
}
