/** Long-poll support: callers wait on a key until it is woken or their time runs out. */
export class Waiters {
  private readonly waiting = new Map<string, Set<() => void>>()

  has(key: string): boolean {
    return this.waiting.has(key)
  }

  wait(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiting.get(key)
      if (!set) this.waiting.set(key, (set = new Set()))
      const done = () => {
        clearTimeout(timer)
        const current = this.waiting.get(key)
        current?.delete(done)
        if (current?.size === 0) this.waiting.delete(key)
        resolve()
      }
      const timer = setTimeout(done, ms)
      set.add(done)
    })
  }

  wake(key: string): void {
    const set = this.waiting.get(key)
    if (!set) return
    for (const done of Array.from(set)) done()
  }
}
