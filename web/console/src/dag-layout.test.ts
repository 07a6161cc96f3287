import { describe, expect, it } from 'vitest'
import { layoutDag } from './dag-layout'

describe('layoutDag', () => {
  it('puts each step one column after the deepest step it needs', () => {
    const layout = layoutDag([
      { id: 'fetch' },
      { id: 'a', needs: ['fetch'] },
      { id: 'b', needs: ['fetch'] },
      { id: 'join', needs: ['a', 'b', 'fetch'] },
    ])
    const at = Object.fromEntries(layout.steps.map((s) => [s.id, [s.column, s.row]]))
    expect(at).toEqual({ fetch: [0, 0], a: [1, 0], b: [1, 1], join: [2, 0] })
    expect(layout.columns).toBe(3)
    expect(layout.rows).toBe(2)
    expect(layout.edges).toContainEqual({ from: 'b', to: 'join' })
    expect(layout.edges).toHaveLength(5)
  })

  it('places independent steps in the first column', () => {
    const layout = layoutDag([{ id: 'x' }, { id: 'y' }])
    expect(layout.steps.map((s) => s.column)).toEqual([0, 0])
    expect(layout.edges).toEqual([])
  })
})
