/**
 * An output file that stops growing at a cap. Output streams through a write stream, so a chatty
 * process costs disk up to the cap and no memory; beyond the cap it is counted and dropped.
 */
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import type { Readable } from 'node:stream'

/** One capped output file; `bytes` counts everything offered, written or not. */
export class CappedFile {
  bytes = 0
  private written = 0
  private lastByte = 0x0a
  private failed = false
  private readonly stream: WriteStream

  constructor(
    path: string,
    private readonly cap: number,
  ) {
    this.stream = createWriteStream(path, { mode: 0o644 })
    // A full or failing disk must not crash the runner or stall the process: stop writing.
    this.stream.on('error', () => {
      this.failed = true
    })
  }

  get truncated(): boolean {
    return this.bytes > this.cap
  }

  /** Writes what fits under the cap; false means wait for drained() before writing more. */
  write(chunk: Buffer): boolean {
    this.bytes += chunk.length
    const room = this.cap - this.written
    if (room <= 0 || this.failed) return true
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk
    this.written += part.length
    if (part.length > 0) this.lastByte = part[part.length - 1]!
    return this.stream.write(part)
  }

  /** Resolves once the write stream has flushed its buffer (at once if it has nothing queued). */
  async drained(): Promise<void> {
    if (this.failed || !this.stream.writableNeedDrain) return
    await once(this.stream, 'drain').catch(() => {})
  }

  /** Adds the truncation marker if needed, then `lines`, each on its own line, and closes. */
  async close(...lines: string[]): Promise<void> {
    if (this.truncated) lines.unshift(`[output truncated at ${this.cap} bytes]`)
    if (lines.length > 0 && !this.failed) {
      const text = lines.join('\n') + '\n'
      this.stream.write(this.lastByte === 0x0a ? text : '\n' + text)
    }
    // Resolve after the descriptor is closed, not just flushed, so callers may move the files.
    const closed = this.stream.closed ? null : once(this.stream, 'close').catch(() => {})
    this.stream.end()
    await closed
  }
}

/**
 * Copies `source` into every sink until it ends, pausing it while any sink is behind so memory
 * stays bounded however fast the process writes.
 */
export async function pipeCapped(source: Readable, sinks: CappedFile[]): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    source.once('end', resolve)
    source.once('close', resolve)
    source.once('error', () => resolve())
  })
  source.on('data', (chunk: Buffer) => {
    const ready = sinks.map((sink) => sink.write(chunk)).every(Boolean)
    if (ready) return
    source.pause()
    void Promise.all(sinks.map((sink) => sink.drained())).then(() => source.resume())
  })
  await ended
}
