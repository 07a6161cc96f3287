/**
 * A small metrics registry (counter, gauge, histogram) that renders the Prometheus text format.
 * prom-client needs Node's globals, and the core runs on Workers too; this is the part we use.
 */
import {
  checkLabelName,
  checkMetricName,
  escapeHelp,
  formatLabels,
  formatValue,
} from './exposition'

type MetricType = 'counter' | 'gauge' | 'histogram'

/** One metric family: a name, its HELP and TYPE, and a child per combination of label values. */
abstract class Family<Child> {
  private readonly children = new Map<string, { values: string[]; child: Child }>()

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly type: MetricType,
  ) {
    checkMetricName(name)
    for (const label of labelNames) checkLabelName(label)
    if (new Set(labelNames).size !== labelNames.length)
      throw new Error(`metric '${name}' repeats a label name`)
  }

  /** The child for these label values, in the order of `labelNames`; keep it on hot paths. */
  labels(...values: string[]): Child {
    if (values.length !== this.labelNames.length)
      throw new Error(
        `metric '${this.name}' takes ${this.labelNames.length} label values; got ${values.length}`,
      )
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000')
    let entry = this.children.get(key)
    if (!entry) {
      entry = { values, child: this.create() }
      this.children.set(key, entry)
    }
    return entry.child
  }

  /** Forgets every child (a gauge's collect callback refills it). */
  reset(): void {
    this.children.clear()
  }

  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`)
    // A metric without labels always shows, at zero before anything happened.
    if (this.labelNames.length === 0) this.labels()
    for (const { values, child } of this.children.values()) this.sample(lines, values, child)
  }

  protected abstract create(): Child
  protected abstract sample(lines: string[], values: readonly string[], child: Child): void
}

export class CounterChild {
  value = 0

  inc(by = 1): void {
    if (!(by >= 0)) throw new Error(`a counter only goes up; got ${by}`)
    this.value += by
  }
}

export class Counter extends Family<CounterChild> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'counter')
  }

  /** For a counter without labels. */
  inc(by = 1): void {
    this.labels().inc(by)
  }

  protected create(): CounterChild {
    return new CounterChild()
  }

  protected sample(lines: string[], values: readonly string[], child: CounterChild): void {
    lines.push(`${this.name}${formatLabels(this.labelNames, values)} ${formatValue(child.value)}`)
  }
}

export class GaugeChild {
  value = 0

  set(value: number): void {
    this.value = value
  }
}

export class Gauge extends Family<GaugeChild> {
  /** `collect`, when given, refills the gauge from its source at every scrape. */
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    private readonly collect?: (gauge: Gauge) => void,
  ) {
    super(name, help, labelNames, 'gauge')
  }

  /** For a gauge without labels. */
  set(value: number): void {
    this.labels().set(value)
  }

  override render(lines: string[]): void {
    if (this.collect) {
      this.reset()
      this.collect(this)
    }
    super.render(lines)
  }

  protected create(): GaugeChild {
    return new GaugeChild()
  }

  protected sample(lines: string[], values: readonly string[], child: GaugeChild): void {
    lines.push(`${this.name}${formatLabels(this.labelNames, values)} ${formatValue(child.value)}`)
  }
}

export class HistogramChild {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: number[]
  sum = 0
  count = 0

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0)
  }

  observe(value: number): void {
    let i = 0
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] ?? 0) + 1
    this.sum += value
    this.count++
  }
}

export class Histogram extends Family<HistogramChild> {
  private readonly bucketNames: readonly string[]
  private readonly bucketLabels: string[]

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    if (labelNames.includes('le')) throw new Error(`histogram '${name}' may not use the label le`)
    if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number))))
      throw new Error(`histogram '${name}' needs finite buckets in increasing order`)
    super(name, help, labelNames, 'histogram')
    this.bucketNames = [...labelNames, 'le']
    this.bucketLabels = [...buckets.map(formatValue), '+Inf']
  }

  /** For a histogram without labels. */
  observe(value: number): void {
    this.labels().observe(value)
  }

  protected create(): HistogramChild {
    return new HistogramChild(this.buckets)
  }

  protected sample(lines: string[], values: readonly string[], child: HistogramChild): void {
    let cumulative = 0
    for (let i = 0; i < this.bucketLabels.length; i++) {
      cumulative += child.counts[i] ?? 0
      const labels = formatLabels(this.bucketNames, [...values, this.bucketLabels[i] as string])
      lines.push(`${this.name}_bucket${labels} ${cumulative}`)
    }
    const labels = formatLabels(this.labelNames, values)
    lines.push(`${this.name}_sum${labels} ${formatValue(child.sum)}`)
    lines.push(`${this.name}_count${labels} ${child.count}`)
  }
}

export class Registry {
  private readonly families = new Map<string, Family<unknown>>()

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames))
  }

  gauge(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    collect?: (gauge: Gauge) => void,
  ): Gauge {
    return this.add(new Gauge(name, help, labelNames, collect))
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets))
  }

  /** Every family in the order declared, as the text exposition format (ends with a newline). */
  render(): string {
    const lines: string[] = []
    for (const family of this.families.values()) family.render(lines)
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`
  }

  private add<F extends Family<unknown>>(family: F): F {
    if (this.families.has(family.name))
      throw new Error(`metric '${family.name}' is already registered`)
    this.families.set(family.name, family)
    return family
  }
}
