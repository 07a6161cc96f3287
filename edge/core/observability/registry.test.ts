import { describe, expect, it } from 'vitest'
import { Registry } from './registry'

describe('Registry', () => {
  it('renders a counter with HELP and TYPE, one line per label combination', () => {
    const registry = new Registry()
    const ops = registry.counter('zv_ops_total', 'Operations.', ['op'])
    ops.labels('get').inc()
    ops.labels('get').inc(2)
    ops.labels('set').inc()
    expect(registry.render()).toBe(
      [
        '# HELP zv_ops_total Operations.',
        '# TYPE zv_ops_total counter',
        'zv_ops_total{op="get"} 3',
        'zv_ops_total{op="set"} 1',
        '',
      ].join('\n'),
    )
  })

  it('shows a metric without labels at zero before anything happened', () => {
    const registry = new Registry()
    registry.counter('zv_total', 'Things.')
    registry.histogram('zv_seconds', 'Time.', [], [1])
    expect(registry.render()).toContain('\nzv_total 0\n')
    expect(registry.render()).toContain('zv_seconds_bucket{le="+Inf"} 0\nzv_seconds_sum 0\n')
  })

  it('refuses to count down', () => {
    const counter = new Registry().counter('zv_total', 'Things.')
    expect(() => counter.inc(-1)).toThrow(/only goes up/)
  })

  it('escapes label values and help text', () => {
    const registry = new Registry()
    registry.counter('zv_total', 'A \\ and\na line.', ['scope']).labels('a"b\\c\nd').inc()
    const text = registry.render()
    expect(text).toContain('# HELP zv_total A \\\\ and\\na line.\n')
    expect(text).toContain('zv_total{scope="a\\"b\\\\c\\nd"} 1\n')
  })

  it('refills a gauge from its collect callback at each render', () => {
    let idle = 2
    const registry = new Registry()
    registry.gauge('zv_volunteers', 'Volunteers.', ['state'], (gauge) => {
      if (idle > 0) gauge.labels('idle').set(idle)
      gauge.labels('busy').set(1)
    })
    expect(registry.render()).toContain('zv_volunteers{state="idle"} 2\n')
    idle = 0
    const text = registry.render()
    expect(text).not.toContain('idle')
    expect(text).toContain('zv_volunteers{state="busy"} 1\n')
  })

  it('renders histogram buckets cumulatively, ending with +Inf equal to the count', () => {
    const registry = new Registry()
    const latency = registry.histogram('zv_seconds', 'Latency.', ['kind'], [0.01, 0.1, 1])
    for (const v of [0.005, 0.01, 0.05, 0.5, 3]) latency.labels('job').observe(v)
    expect(registry.render()).toBe(
      [
        '# HELP zv_seconds Latency.',
        '# TYPE zv_seconds histogram',
        'zv_seconds_bucket{kind="job",le="0.01"} 2',
        'zv_seconds_bucket{kind="job",le="0.1"} 3',
        'zv_seconds_bucket{kind="job",le="1"} 4',
        'zv_seconds_bucket{kind="job",le="+Inf"} 5',
        'zv_seconds_sum{kind="job"} 3.565',
        'zv_seconds_count{kind="job"} 5',
        '',
      ].join('\n'),
    )
  })

  it('formats special values as Prometheus reads them', () => {
    const registry = new Registry()
    const gauge = registry.gauge('zv_value', 'A value.', ['v'])
    gauge.labels('inf').set(Infinity)
    gauge.labels('ninf').set(-Infinity)
    gauge.labels('nan').set(NaN)
    const text = registry.render()
    expect(text).toContain('zv_value{v="inf"} +Inf\n')
    expect(text).toContain('zv_value{v="ninf"} -Inf\n')
    expect(text).toContain('zv_value{v="nan"} NaN\n')
  })

  it('catches mistakes when a metric is declared or used', () => {
    const registry = new Registry()
    expect(() => registry.counter('zv-bad', 'x')).toThrow(/invalid metric name/)
    expect(() => registry.counter('zv_ok', 'x', ['__reserved'])).toThrow(/invalid label name/)
    expect(() => registry.histogram('zv_h', 'x', ['le'], [1])).toThrow(/le/)
    expect(() => registry.histogram('zv_h2', 'x', [], [1, 1])).toThrow(/increasing/)
    registry.counter('zv_twice', 'x')
    expect(() => registry.gauge('zv_twice', 'x')).toThrow(/already registered/)
    const labelled = registry.counter('zv_labelled', 'x', ['a', 'b'])
    expect(() => labelled.labels('only-one')).toThrow(/takes 2 label values/)
  })
})
