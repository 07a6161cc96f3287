/**
 * Step results over 1 MiB (a wide fan-in, a big list to fan out over) are kept in the namespace's
 * storage by their hash rather than in the run's row (Durable Object SQLite refuses rows over
 * 2 MB), and read back, checked against that hash, when a later step refers to them.
 */
import type { JsonValue } from '../../../shared/protocol/json'
import type { StorageService } from '../storage/storage-service'

/** Results this large and larger are kept in storage. */
const MAX_INLINE_RESULT_CHARS = 1 << 20
/** Results read back and kept in memory, by hash. */
const KEPT = 32

/** Where a stored result is: a private file of the namespace, named by the SHA-256 of its JSON. */
export interface StoredResult {
  path: string
  sha256: string
  size: number
}

export class LargeResults {
  private readonly kept = new Map<string, JsonValue>()

  constructor(
    private readonly storage: StorageService | undefined,
    private readonly sha256: (text: string) => string | Promise<string>,
  ) {}

  /** Stores `value` when it is too large to keep inline; undefined when it is not. */
  async keep(namespace: string, value: JsonValue): Promise<StoredResult | undefined> {
    const text = JSON.stringify(value)
    if (text.length < MAX_INLINE_RESULT_CHARS) return undefined
    if (!this.storage)
      throw new Error(
        `a step result of ${text.length} characters is over the 1 MiB kept inline, and this host has no storage for it`,
      )
    const sha256 = await this.sha256(text)
    const bytes = new TextEncoder().encode(text)
    const path = `workflows/results/${sha256}.json`
    await this.storage.put(namespace, path, streamOf(bytes), bytes.byteLength, 'private')
    this.remember(sha256, value)
    return { path, sha256, size: bytes.byteLength }
  }

  /** A stored result's value; throws when it is gone or changed. */
  async load(namespace: string, stored: StoredResult): Promise<JsonValue> {
    const kept = this.kept.get(stored.sha256)
    if (kept !== undefined) return kept
    const stream = this.storage && (await this.storage.read(namespace, stored.path))
    if (!stream) throw new Error(`the stored result ${stored.path} is gone`)
    const text = await new Response(stream).text()
    if ((await this.sha256(text)) !== stored.sha256)
      throw new Error(`the stored result ${stored.path} was changed`)
    const value = JSON.parse(text) as JsonValue
    this.remember(stored.sha256, value)
    return value
  }

  private remember(sha256: string, value: JsonValue): void {
    this.kept.set(sha256, value)
    if (this.kept.size > KEPT) this.kept.delete(this.kept.keys().next().value as string)
  }
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes)
      controller.close()
    },
  })
}
