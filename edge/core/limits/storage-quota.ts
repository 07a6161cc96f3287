/**
 * The storage quota: bytes a namespace's files take, plus what uploads under way have claimed.
 * An upload claims bytes as they stream in, so parallel uploads cannot together overshoot; one
 * that would is stopped mid-stream and its file store throws the partial file away.
 */
import { QuotaExceededError } from './quota-error'
import { NamespaceTally } from './namespace-tally'

export interface StorageClaim {
  /** The body, counted: it errors with QuotaExceededError once the namespace would be over. */
  body: ReadableStream<Uint8Array>
  /** Books the stored file (`size` replacing `previous` bytes) and drops the claim. */
  commit(size: number, previous: number): void
  /** Drops the claim (failed or refused upload). */
  release(): void
}

export class StorageQuota {
  private readonly claimed = new Map<string, number>()

  constructor(
    /** Bytes stored per namespace; 0: no quota (usage is then not tracked at all). */
    readonly maxBytes: number,
    private readonly stored: NamespaceTally,
  ) {}

  get enabled(): boolean {
    return this.maxBytes > 0
  }

  /** Bytes a namespace's stored files take. */
  used(namespace: string): number {
    return this.stored.get(namespace)
  }

  /**
   * Starts an upload of a file that replaces `replacing` bytes (0 for a new path). With the
   * body's `declared` length, an upload that cannot fit is refused before a byte is read.
   */
  claim(
    namespace: string,
    body: ReadableStream<Uint8Array>,
    replacing: number,
    declared?: number,
  ): StorageClaim {
    if (declared !== undefined && declared > this.room(namespace, replacing))
      throw this.refusal(namespace, declared)
    let mine = 0
    const take = (bytes: number) => {
      mine += bytes
      this.claimed.set(namespace, (this.claimed.get(namespace) ?? 0) + bytes)
    }
    let open = true
    const release = () => {
      if (!open) return
      open = false
      const left = (this.claimed.get(namespace) ?? 0) - mine
      if (left > 0) this.claimed.set(namespace, left)
      else this.claimed.delete(namespace)
    }
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          if (chunk.byteLength > this.room(namespace, replacing)) {
            controller.error(this.refusal(namespace, mine + chunk.byteLength, true))
            return
          }
          take(chunk.byteLength)
          controller.enqueue(chunk)
        },
      }),
    )
    return {
      body: counted,
      release,
      commit: (size, previous) => {
        release()
        this.stored.add(namespace, size - previous)
      },
    }
  }

  /** Books a file removed outside an upload. */
  removed(namespace: string, size: number): void {
    this.stored.add(namespace, -size)
  }

  /** Bytes a new upload may still take, counting the file it replaces as freed. */
  private room(namespace: string, replacing: number): number {
    return this.maxBytes - this.used(namespace) - (this.claimed.get(namespace) ?? 0) + replacing
  }

  private refusal(namespace: string, size: number, atLeast = false): QuotaExceededError {
    return new QuotaExceededError(
      'storage_bytes',
      this.maxBytes,
      `namespace '${namespace}' may store at most ${this.maxBytes} bytes; it stores ${this.used(namespace)} and this file is ${atLeast ? 'at least ' : ''}${size} bytes: delete files first`,
    )
  }
}
