/**
 * A workflow run drawn as its DAG: one box per step, coloured by the step's state, arrows from
 * each need to its dependant. An SVG with a title per step, plus the same facts as a list.
 */
import type { RunStep, WorkflowStep } from '../api-types'
import { layoutDag } from '../dag-layout'

const BOX_W = 150
const BOX_H = 46
const GAP_X = 60
const GAP_Y = 22

export function WorkflowDag({ steps, run }: { steps: WorkflowStep[]; run: RunStep[] }) {
  const layout = layoutDag(steps)
  const state = new Map(run.map((step) => [step.id, step]))
  const pos = new Map(
    layout.steps.map((s) => [s.id, { x: s.column * (BOX_W + GAP_X), y: s.row * (BOX_H + GAP_Y) }]),
  )
  const width = layout.columns * (BOX_W + GAP_X) - GAP_X
  const height = layout.rows * (BOX_H + GAP_Y) - GAP_Y
  return (
    <div class="dag-wrap">
      <svg
        class="dag"
        viewBox={`-4 -4 ${width + 8} ${height + 8}`}
        width={width + 8}
        height={height + 8}
        role="img"
        aria-label={`Workflow DAG: ${layout.steps.map((s) => `${s.id} ${state.get(s.id)?.status ?? 'pending'}`).join(', ')}`}
        data-testid="dag"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" class="dag-arrow" />
          </marker>
        </defs>
        {layout.edges.map((edge) => {
          const from = pos.get(edge.from)!
          const to = pos.get(edge.to)!
          const x1 = from.x + BOX_W
          const y1 = from.y + BOX_H / 2
          const x2 = to.x
          const y2 = to.y + BOX_H / 2
          const mid = (x1 + x2) / 2
          return (
            <path
              key={`${edge.from}-${edge.to}`}
              class="dag-edge"
              d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
              marker-end="url(#arrow)"
            />
          )
        })}
        {layout.steps.map((s) => {
          const p = pos.get(s.id)!
          const step = state.get(s.id)
          const status = step?.status ?? 'pending'
          return (
            <g
              key={s.id}
              transform={`translate(${p.x},${p.y})`}
              class={`dag-step step-${status}`}
              data-step={s.id}
              data-status={status}
            >
              <title>
                {s.id}: {status}
                {step?.duration_ms != null ? `, ${step.duration_ms} ms` : ''}
              </title>
              <rect width={BOX_W} height={BOX_H} rx={8} />
              <text x={10} y={19} class="dag-name">
                {s.id.length > 18 ? `${s.id.slice(0, 17)}…` : s.id}
              </text>
              <text x={10} y={36} class="dag-status">
                {status}
                {step?.duration_ms != null ? ` · ${step.duration_ms} ms` : ''}
              </text>
            </g>
          )
        })}
      </svg>
    </div>
  )
}
