/** A binary min-heap: the queue behind pending jobs and deadlines. */
export class MinHeap<T> {
  private items: T[] = []

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(items[i] as T, items[parent] as T)) break
      ;[items[i], items[parent]] = [items[parent] as T, items[i] as T]
      i = parent
    }
  }

  pop(): T | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last !== undefined) {
      items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let smallest = i
        if (l < items.length && this.less(items[l] as T, items[smallest] as T)) smallest = l
        if (r < items.length && this.less(items[r] as T, items[smallest] as T)) smallest = r
        if (smallest === i) break
        ;[items[i], items[smallest]] = [items[smallest] as T, items[i] as T]
        i = smallest
      }
    }
    return top
  }
}
