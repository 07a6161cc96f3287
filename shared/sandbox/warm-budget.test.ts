import { describe, expect, it } from 'vitest'
import type { GuestRuntime } from '../runtime/runtime'
import { WarmBudget } from './warm-budget'

/** A runtime whose warm contexts are sizes, least recently used first. */
function runtime(name: 'js' | 'lua', sizes: number[]) {
  const held = [...sizes]
  const fake = {
    name,
    run: () => Promise.reject(new Error('not run here')),
    warmBytes: () => held.reduce((a, b) => a + b, 0),
    dropWarm: (keep: number) => {
      while (held.length > 0 && fake.warmBytes() > keep) held.shift()
    },
  } satisfies GuestRuntime
  return { fake, held }
}

describe('WarmBudget', () => {
  it('evicts from the runtime used least recently first', () => {
    const js = runtime('js', [4, 4])
    const lua = runtime('lua', [3, 3])
    const budget = new WarmBudget(10)
    budget.used(js.fake)
    budget.used(lua.fake)
    budget.enforce()
    expect(js.held).toEqual([4])
    expect(lua.held).toEqual([3, 3])
  })

  it('goes on to the next runtime when one is not enough', () => {
    const js = runtime('js', [2])
    const lua = runtime('lua', [3, 3])
    const budget = new WarmBudget(2)
    budget.used(js.fake)
    budget.used(lua.fake)
    budget.enforce()
    expect(js.held).toEqual([])
    expect(lua.held).toEqual([])
  })
})
