/**
 * WebAssembly modules a volunteer has fetched, by content id: fetched once from the orchestrator,
 * checked against their id (a module is exactly the bytes its id names), kept up to a byte budget.
 */
import { cidOf } from '../protocol/cid'

export class ModuleCache {
  private readonly modules = new Map<string, Uint8Array>()
  private readonly loading = new Map<string, Promise<Uint8Array>>()
  private bytes = 0

  constructor(
    private readonly fetchModule: (cid: string) => Promise<Uint8Array>,
    private readonly budget = 256 * 1024 * 1024,
  ) {}

  async get(cid: string): Promise<Uint8Array> {
    const cached = this.modules.get(cid)
    if (cached) {
      this.modules.delete(cid)
      this.modules.set(cid, cached) // most recently used last
      return cached
    }
    let pending = this.loading.get(cid)
    if (!pending) {
      pending = this.load(cid).finally(() => this.loading.delete(cid))
      this.loading.set(cid, pending)
    }
    return pending
  }

  private async load(cid: string): Promise<Uint8Array> {
    const bytes = await this.fetchModule(cid)
    if ((await cidOf(bytes)) !== cid)
      throw new ModuleError(`module ${cid} arrived with different content`, true)
    this.modules.set(cid, bytes)
    this.bytes += bytes.length
    for (const [old, b] of this.modules) {
      if (this.bytes <= this.budget || old === cid) break
      this.modules.delete(old)
      this.bytes -= b.length
    }
    return bytes
  }
}

export class ModuleError extends Error {
  override name = 'ModuleError'
  constructor(
    message: string,
    /** A network failure: another volunteer may succeed. */
    readonly retryable: boolean,
  ) {
    super(message)
  }
}

/** Fetches modules over HTTP from the orchestrator behind a `/ws/volunteer` URL. */
export function httpModuleSource(volunteerUrl: string): (cid: string) => Promise<Uint8Array> {
  const base = new URL(volunteerUrl)
  base.protocol = base.protocol === 'wss:' ? 'https:' : 'http:'
  return async (cid) => {
    let res: Response
    try {
      res = await fetch(new URL(`/api/wasm/${cid}`, base))
    } catch (err) {
      throw new ModuleError(
        `could not fetch module ${cid}: ${err instanceof Error ? err.message : String(err)}`,
        true,
      )
    }
    if (res.status === 404) throw new ModuleError(`the orchestrator has no module ${cid}`, false)
    if (!res.ok)
      throw new ModuleError(`fetching module ${cid} failed with HTTP ${res.status}`, true)
    return new Uint8Array(await res.arrayBuffer())
  }
}
