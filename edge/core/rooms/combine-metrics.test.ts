import { describe, expect, it } from 'vitest'
import { mergeMetrics, withRoom } from './combine-metrics'

const room = (jobs: number, slow: number) =>
  [
    '# HELP zerverless_jobs Jobs.',
    '# TYPE zerverless_jobs gauge',
    `zerverless_jobs{state="pending"} ${jobs}`,
    '# HELP zerverless_up Up.',
    '# TYPE zerverless_up gauge',
    'zerverless_up 1',
    '# HELP zerverless_wait_seconds Wait.',
    '# TYPE zerverless_wait_seconds histogram',
    `zerverless_wait_seconds_bucket{le="1"} ${slow}`,
    `zerverless_wait_seconds_bucket{le="+Inf"} ${slow}`,
    `zerverless_wait_seconds_sum ${slow}`,
    `zerverless_wait_seconds_count ${slow}`,
    '',
  ].join('\n')

describe('mergeMetrics', () => {
  it('labels every sample with its room and keeps each metric together under one HELP and TYPE', () => {
    expect(mergeMetrics([room(3, 1), room(5, 2)])).toBe(
      [
        '# HELP zerverless_jobs Jobs.',
        '# TYPE zerverless_jobs gauge',
        'zerverless_jobs{room="0",state="pending"} 3',
        'zerverless_jobs{room="1",state="pending"} 5',
        '# HELP zerverless_up Up.',
        '# TYPE zerverless_up gauge',
        'zerverless_up{room="0"} 1',
        'zerverless_up{room="1"} 1',
        '# HELP zerverless_wait_seconds Wait.',
        '# TYPE zerverless_wait_seconds histogram',
        'zerverless_wait_seconds_bucket{room="0",le="1"} 1',
        'zerverless_wait_seconds_bucket{room="0",le="+Inf"} 1',
        'zerverless_wait_seconds_sum{room="0"} 1',
        'zerverless_wait_seconds_count{room="0"} 1',
        'zerverless_wait_seconds_bucket{room="1",le="1"} 2',
        'zerverless_wait_seconds_bucket{room="1",le="+Inf"} 2',
        'zerverless_wait_seconds_sum{room="1"} 2',
        'zerverless_wait_seconds_count{room="1"} 2',
        '',
      ].join('\n'),
    )
  })

  it('leaves label values containing braces and spaces alone', () => {
    expect(withRoom('m{scope="a} b"} 1', 2)).toBe('m{room="2",scope="a} b"} 1')
    expect(withRoom('m{} 1', 0)).toBe('m{room="0"} 1')
  })
})
