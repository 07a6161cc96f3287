/**
 * A number per namespace (bytes stored, keys held), read from SQL once through an indexed range
 * and kept in step by the code that changes it, so no request re-counts. Entries are only a cache
 * of what SQL says: past `maxEntries` the oldest are forgotten and read again when needed.
 */
export class NamespaceTally {
  private readonly values = new Map<string, number>()

  constructor(
    private readonly load: (namespace: string) => number,
    private readonly maxEntries = 10_000,
  ) {}

  get(namespace: string): number {
    let value = this.values.get(namespace)
    if (value === undefined) {
      value = this.load(namespace)
      if (this.values.size >= this.maxEntries) {
        const oldest = this.values.keys().next().value
        if (oldest !== undefined) this.values.delete(oldest)
      }
      this.values.set(namespace, value)
    }
    return value
  }

  /**
   * Follows a change already written to SQL: a known number moves by `delta`; an unknown one
   * stays unknown, since reading it now would already include the change.
   */
  add(namespace: string, delta: number): void {
    const value = this.values.get(namespace)
    if (value !== undefined && delta !== 0) this.values.set(namespace, value + delta)
  }

  /** Forgets everything: after a change that touched namespaces one by one could not follow. */
  clear(): void {
    this.values.clear()
  }
}
