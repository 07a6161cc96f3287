/**
 * Whose Pyodide snapshot the pool keeps. Every later interpreter of every namespace boots from it,
 * so a thread whose realm a guest controls must never supply it. A guest can no longer post
 * messages from its thread, so the hostile thread here is scripted: it says what a compromised
 * realm could say, when it could say it.
 */
import { describe, expect, it } from 'vitest'
import type { RunnableJob } from '../agent/volunteer-agent'
import type { RunOutcome } from '../runtime/runtime'
import { SandboxPool } from './sandbox-pool'
import type { ThreadInit, ThreadMessage, ThreadRequest } from './sandbox-protocol'

interface Scripted {
  init: ThreadInit
  say(message: ThreadMessage): void
  requests: ThreadRequest[]
  /** Reports the latest request as done. */
  finish(): void
}

function scriptedPool() {
  const threads: Scripted[] = []
  const pool = new SandboxPool({
    threads: 1,
    stackBytes: 64 * 1024,
    spawn: (init, events) => {
      const requests: ThreadRequest[] = []
      threads.push({
        init,
        requests,
        say: (message) => events.message(message),
        finish: () => {
          const request = requests.at(-1)
          if (!request) throw new Error('no request to finish')
          const outcome: RunOutcome = { ok: true, result: null, output: '', durationMs: 1 }
          events.message({ kind: 'done', id: request.id, outcome })
        },
      })
      return { run: (request) => requests.push(request), terminate: () => {} }
    },
  })
  const current = () => threads.at(-1) as Scripted
  let n = 0
  /** Starts a job; the current thread receives it. */
  const start = (job_type: RunnableJob['job_type'], namespace: string) =>
    pool.execute(
      {
        type: 'job',
        job_id: `s${++n}`,
        attempt: 1,
        job_type,
        namespace,
        code: '',
        input_data: null,
        timeout_ms: 60_000,
      },
      new AbortController().signal,
    )
  /** Runs one job to its end on the current thread, `during` it. */
  const runOne = async (
    job_type: RunnableJob['job_type'],
    namespace: string,
    during?: (thread: Scripted) => void,
  ) => {
    const done = start(job_type, namespace)
    during?.(current())
    current().finish()
    await done
  }
  return { pool, threads, current, runOne }
}

const FORGED = new Uint8Array([0xbad])
const GENUINE = new Uint8Array([1, 2, 3])

/** The snapshot the pool hands a thread it starts now. */
async function snapshotForNewThreads(): Promise<Uint8Array | undefined> {
  const { threads, pool } = scriptedPool()
  await pool.close()
  return threads[0]?.init.pythonSnapshot
}

// The pool keeps one snapshot per process: these run in order, the accepting case last.
describe('the Pyodide snapshot', () => {
  it('is not taken from a thread while it runs a job of another runtime', async () => {
    const { runOne, pool } = scriptedPool()
    await runOne('js', 'eve', (thread) => thread.say({ kind: 'python-snapshot', bytes: FORGED }))
    await pool.close()
    expect(await snapshotForNewThreads()).toBeUndefined()
  })

  it("is not taken after the thread's first Python job reported", async () => {
    const { runOne, pool } = scriptedPool()
    await runOne('python', 'eve')
    // The guest's second job, or anything it left running, speaks up now.
    await runOne('python', 'eve', (thread) =>
      thread.say({ kind: 'python-snapshot', bytes: FORGED }),
    )
    await pool.close()
    expect(await snapshotForNewThreads()).toBeUndefined()
  })

  it('is taken once: the first message of a fresh thread during its first Python job', async () => {
    const { threads, runOne, pool } = scriptedPool()
    await runOne('python', 'eve', (thread) => {
      thread.say({ kind: 'python-snapshot', bytes: GENUINE })
      // What the guest says after the thread's own snapshot counts for nothing.
      thread.say({ kind: 'python-snapshot', bytes: FORGED })
    })
    // The thread alice's job needs (eve's is tainted) starts from it.
    await runOne('js', 'alice')
    expect(threads.at(-1)?.init.pythonSnapshot).toEqual(GENUINE)
    // A thread that started from the snapshot never replaces it.
    await runOne('python', 'mallory', (thread) =>
      thread.say({ kind: 'python-snapshot', bytes: FORGED }),
    )
    await runOne('js', 'alice')
    expect(threads.at(-1)?.init.pythonSnapshot).toEqual(GENUINE)
    await pool.close()
  })
})
