/**
 * Brings the earlier jobs' outputs a run takes as inputs onto this runner: each is streamed from
 * the orchestrator to a temporary file, counted and hashed on the way, and moved into place only
 * when its size and sha256 are the ones the run was submitted with, so nothing half-written or
 * changed is ever used.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { OutputRef } from '../shared/protocol/frames'

/** Why an input could not be had; the run fails with INPUT_UNAVAILABLE and this message. */
export class InputUnavailable extends Error {}

export interface InputFetch {
  /** The orchestrator's HTTP base, e.g. http://127.0.0.1:8000. */
  httpBase: string
  /** The job this runner is running, and its attempt's token: its credential for the read. */
  jobId: string
  token: string
  /** Where partial files wait (on the target's file system, so the final move is a rename). */
  tempDir: string
}

/** Fetches `ref` into `target`, or throws InputUnavailable and leaves nothing at `target`. */
export async function fetchOutput(ref: OutputRef, target: string, via: InputFetch): Promise<void> {
  const what = `output '${ref.output}' of job ${ref.job_id}`
  const url = `${via.httpBase}/api/jobs/${encodeURIComponent(ref.job_id)}/outputs/${ref.output
    .split('/')
    .map(encodeURIComponent)
    .join('/')}?for=${encodeURIComponent(via.jobId)}`
  let res: Response
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${via.token}` } })
  } catch (err) {
    throw new InputUnavailable(`could not fetch ${what}: ${(err as Error).message}`)
  }
  if (!res.ok || !res.body)
    throw new InputUnavailable(
      `could not fetch ${what}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`,
    )
  await mkdir(via.tempDir, { recursive: true, mode: 0o755 })
  const temp = path.join(via.tempDir, `${randomUUID()}.part`)
  const hash = createHash('sha256')
  let size = 0
  try {
    await pipeline(
      Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.length
          // Stop reading as soon as it is known to be wrong: it may be endless.
          if (size > ref.size)
            throw new InputUnavailable(`${what} is larger than the ${ref.size} bytes it had`)
          hash.update(chunk)
          yield chunk
        }
      },
      createWriteStream(temp, { mode: 0o644 }),
    )
    if (size !== ref.size)
      throw new InputUnavailable(`${what} arrived with ${size} bytes; it had ${ref.size}`)
    const sha256 = hash.digest('hex')
    if (sha256 !== ref.sha256)
      throw new InputUnavailable(
        `${what} arrived changed: sha256 ${sha256.slice(0, 12)}…, expected ${ref.sha256.slice(0, 12)}…`,
      )
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 })
    await rename(temp, target)
  } catch (err) {
    await rm(temp, { force: true })
    if (err instanceof InputUnavailable) throw err
    throw new InputUnavailable(`could not fetch ${what}: ${(err as Error).message}`)
  }
}

/** `a/b.txt` below `dir`, refusing any name that would leave it. */
export function inputTarget(dir: string, name: string): string {
  const parts = name.split('/')
  if (
    parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))
  )
    throw new InputUnavailable(`refusing the input file name '${name}'`)
  return path.join(dir, ...parts)
}
