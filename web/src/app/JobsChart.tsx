import { MINUTES } from '../volunteer/volunteer-view'

const WIDTH = 300
const HEIGHT = 80

/** Jobs finished per minute over the last half hour, newest on the right. */
export function JobsChart({ perMinute }: { perMinute: number[] }) {
  const most = Math.max(...perMinute)
  const peak = Math.max(1, most)
  const bar = WIDTH / MINUTES
  const last = perMinute.at(-1) ?? 0
  return (
    <section class="card chart" aria-label="Jobs per minute">
      <h2>
        Jobs per minute <span class="muted small">(now: {last})</span>
      </h2>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`jobs per minute over the last ${MINUTES} minutes; peak ${most}`}
        data-testid="chart"
      >
        <line x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} class="axis" />
        {perMinute.map((count, i) => {
          const h = count === 0 ? 0 : Math.max(2, (count / peak) * (HEIGHT - 4))
          return (
            <rect key={i} x={i * bar + 1} y={HEIGHT - h} width={bar - 2} height={h} rx="1">
              <title>{`${count} job${count === 1 ? '' : 's'}, ${MINUTES - 1 - i} min ago`}</title>
            </rect>
          )
        })}
      </svg>
      <p class="muted small">
        peak {most} · last {MINUTES} minutes
      </p>
    </section>
  )
}
