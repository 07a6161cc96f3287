/**
 * Places a workflow's steps for drawing: each step in the column after the deepest step it needs,
 * steps of one column stacked in document order. Edges go from a need to its dependant.
 */

interface PlacedStep {
  id: string
  column: number
  row: number
}

export interface DagLayout {
  steps: PlacedStep[]
  edges: { from: string; to: string }[]
  columns: number
  rows: number
}

/** Steps as the workflow document lists them (the server has checked there is no cycle). */
export function layoutDag(steps: readonly { id: string; needs?: readonly string[] }[]): DagLayout {
  const byId = new Map(steps.map((step) => [step.id, step]))
  const depth = new Map<string, number>()
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id)
    if (known !== undefined) return known
    // A cycle or an unknown need cannot come from the server; place such a step first.
    if (seen.has(id)) return 0
    seen.add(id)
    const needs = (byId.get(id)?.needs ?? []).filter((need) => byId.has(need))
    const value = needs.length ? Math.max(...needs.map((need) => depthOf(need, seen) + 1)) : 0
    depth.set(id, value)
    return value
  }
  const rowsUsed: number[] = []
  const placed = steps.map((step) => {
    const column = depthOf(step.id, new Set())
    const row = rowsUsed[column] ?? 0
    rowsUsed[column] = row + 1
    return { id: step.id, column, row }
  })
  return {
    steps: placed,
    edges: steps.flatMap((step) =>
      (step.needs ?? [])
        .filter((need) => byId.has(need))
        .map((need) => ({ from: need, to: step.id })),
    ),
    columns: rowsUsed.length,
    rows: Math.max(0, ...rowsUsed),
  }
}
