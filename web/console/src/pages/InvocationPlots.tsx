/**
 * Two uPlot charts of a function's calls: rate (calls per second, failed ones apart) and latency
 * (each call's duration). uPlot draws on a canvas, so each chart carries a text summary for
 * screen readers; charts are rebuilt when the data or the width changes.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { InvocationSeries } from '../invocation-series'

interface PlotProps {
  label: string
  summary: string
  data: uPlot.AlignedData
  series: uPlot.Series[]
  yLabel: string
  bars?: boolean
  /** The time axis' span (Unix seconds): a single bucket would otherwise stretch over years. */
  xRange: [number, number]
}

function Plot({ label, summary, data, series, yLabel, bars, xRange }: PlotProps) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    let chart: uPlot | undefined
    const draw = () => {
      chart?.destroy()
      chart = new uPlot(
        {
          width: Math.max(240, el.clientWidth),
          height: 200,
          series: [
            {},
            ...series.map((s) => ({
              ...s,
              ...(bars && { paths: uPlot.paths.bars!({ size: [0.8, 40] }) }),
            })),
          ],
          // One-line clock labels, spaced for a phone: uPlot's default adds a second line with the
          // date at each new minute, and on a narrow chart those overlap their neighbours.
          axes: [
            { space: 64, values: clockLabels },
            { label: yLabel, size: 56 },
          ],
          scales: {
            x: { time: true, range: () => xRange },
            // Counts and durations start at zero, so bar heights compare.
            y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
          },
          legend: { show: true },
        },
        data,
        el,
      )
    }
    draw()
    const resized = new ResizeObserver(() => {
      if (chart && Math.abs(chart.width - el.clientWidth) > 8) draw()
    })
    resized.observe(el)
    return () => {
      resized.disconnect()
      chart?.destroy()
    }
  }, [data, series, yLabel, bars, xRange])
  return (
    <figure class="plot">
      <figcaption>{label}</figcaption>
      <div ref={box} role="img" aria-label={`${label}: ${summary}`} data-testid="plot" />
    </figure>
  )
}

function clockLabels(_u: uPlot, splits: number[]): string[] {
  return splits.map((s) =>
    new Date(s * 1000).toLocaleTimeString([], {
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }),
  )
}

const RATE_SERIES: uPlot.Series[] = [
  { label: 'calls/s', stroke: '#4338ca', fill: 'rgba(67,56,202,0.25)' },
  { label: 'failed/s', stroke: '#b91c1c', fill: 'rgba(185,28,28,0.35)' },
]
const LATENCY_SERIES: uPlot.Series[] = [
  { label: 'duration (ms)', stroke: '#0f766e', points: { show: true, size: 5 } },
]

/** At least a minute wide, ending `pad` seconds after the last point (room for its bar). */
function timeRange(times: number[], pad: number): [number, number] {
  const last = (times.at(-1) ?? 0) + pad
  return [Math.min(times[0] ?? last, last - 60), last]
}

export function InvocationPlots({ series }: { series: InvocationSeries }) {
  const rateRange = useMemo(() => timeRange(series.rateTimes, 2 * series.bucketSeconds), [series])
  const latencyRange = useMemo(() => timeRange(series.latencyTimes, 1), [series])
  const rateData = useMemo<uPlot.AlignedData>(
    () => [series.rateTimes, series.rate, series.errorRate],
    [series],
  )
  const latencyData = useMemo<uPlot.AlignedData>(
    () => [series.latencyTimes, series.latency],
    [series],
  )
  const calls = series.latency.length
  const sorted = [...series.latency].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0
  return (
    <div class="plots">
      <Plot
        label={`Invocation rate (calls per second, ${series.bucketSeconds} s buckets)`}
        summary={`${calls} calls, peak ${Math.max(...series.rate).toFixed(2)} per second`}
        data={rateData}
        series={RATE_SERIES}
        yLabel="calls/s"
        xRange={rateRange}
        bars
      />
      <Plot
        label="Latency (ms per call)"
        summary={`median ${median} ms, 95th percentile ${p95} ms over ${calls} calls`}
        data={latencyData}
        series={LATENCY_SERIES}
        yLabel="ms"
        xRange={latencyRange}
      />
    </div>
  )
}
