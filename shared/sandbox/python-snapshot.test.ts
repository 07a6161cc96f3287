/**
 * The pool with a snapshot store: a fresh process starts its first interpreter from what an
 * earlier one kept, keeps the snapshot it takes from a thread no guest reached, and forgets a kept
 * one that fails to start Python. Threads are scripted; the file store is real.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunOutcome } from '../runtime/runtime'
import { pythonSnapshotFile } from './node/python-snapshot-file'
import type { PythonSnapshotStore } from './python-snapshot'
import { SandboxPool } from './sandbox-pool'
import type { ThreadInit, ThreadMessage, ThreadRequest } from './sandbox-protocol'

const dir = mkdtempSync(path.join(os.tmpdir(), 'zv-snapshot-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Scripted {
  init: ThreadInit
  say(message: ThreadMessage): void
  requests: ThreadRequest[]
}

function poolWith(store: PythonSnapshotStore) {
  const threads: Scripted[] = []
  const pool = new SandboxPool({
    threads: 1,
    stackBytes: 64 * 1024,
    pythonSnapshots: store,
    spawn: (init, events) => {
      const requests: ThreadRequest[] = []
      threads.push({ init, requests, say: (message) => events.message(message) })
      return { run: (request) => requests.push(request), terminate: () => {} }
    },
  })
  let n = 0
  /** Runs one Python job; the thread says `during` and reports, with an interpreter if `started`. */
  const python = async (during: ThreadMessage[], started: boolean) => {
    const done = pool.execute(
      {
        type: 'job',
        job_id: `j${++n}`,
        attempt: 1,
        job_type: 'python',
        namespace: 'alice',
        code: '',
        input_data: null,
        timeout_ms: 60_000,
      },
      new AbortController().signal,
    )
    const thread = threads.at(-1) as Scripted
    for (const message of during) thread.say(message)
    const request = thread.requests.at(-1) as ThreadRequest
    const outcome: RunOutcome = started
      ? { ok: true, result: null, output: '', durationMs: 1 }
      : {
          ok: false,
          error: { code: 'WORKER_CRASHED', message: 'the sandbox could not start: mismatch' },
          output: '',
          durationMs: 1,
          poisoned: true,
          retryable: true,
        }
    thread.say({
      kind: 'done',
      id: request.id,
      outcome,
      ...(started && { python: { heapBytes: 1, baseBytes: 1 } }),
    })
    await done
  }
  return { pool, threads, python }
}

describe('the kept Pyodide snapshot', () => {
  const file = path.join(dir, 'python.snapshot')
  const store = pythonSnapshotFile(file)
  const KEPT = new Uint8Array([7, 7, 7])
  const FRESH = new Uint8Array([1, 2, 3])

  it('boots the first thread of a process from a kept snapshot', async () => {
    store.save(KEPT)
    const { pool, threads } = poolWith(store)
    expect(threads[0]?.init.pythonSnapshot).toEqual(KEPT)
    await pool.close()
  })

  it('forgets a kept snapshot that fails to start Python, then keeps a fresh thread’s', async () => {
    const { pool, threads, python } = poolWith(store)
    await python([], false)
    expect(store.load()).toBeUndefined()
    // The replacement loads Pyodide afresh and supplies the snapshot before its job's code runs.
    expect(threads.at(-1)?.init.pythonSnapshot).toBeUndefined()
    await python([{ kind: 'python-snapshot', bytes: FRESH }], true)
    expect(new Uint8Array(readFileSync(file))).toEqual(FRESH)
    await pool.close()
  })

  it('removes the snapshots other builds left beside it when it keeps one', () => {
    const stale = path.join(dir, 'python-0.0.0-0123456789abcdef.snapshot')
    writeFileSync(stale, KEPT)
    pythonSnapshotFile(path.join(dir, 'python-0.0.0-fedcba9876543210.snapshot')).save(FRESH)
    expect(existsSync(stale)).toBe(false)
  })
})
