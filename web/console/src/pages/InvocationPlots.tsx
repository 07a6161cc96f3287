/**
 * Two uPlot charts of a function's calls: rate (calls per second, failed ones apart) and latency
 * (each call's duration). uPlot draws on a canvas, so each chart carries a text summary for
 * screen readers; charts are rebuilt when the data or the width changes.
 */
import { useEffect, useRef } from 'preact/hooks'
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
}

function Plot({ label, summary, data, series, yLabel, bars }: PlotProps) {
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
          axes: [{}, { label: yLabel, size: 56 }],
          scales: { x: { time: true } },
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
  }, [data, series, yLabel, bars])
  return (
    <figure class="plot">
      <figcaption>{label}</figcaption>
      <div ref={box} role="img" aria-label={`${label}: ${summary}`} data-testid="plot" />
    </figure>
  )
}

const RATE_SERIES: uPlot.Series[] = [
  { label: 'calls/s', stroke: '#4338ca', fill: 'rgba(67,56,202,0.25)' },
  { label: 'failed/s', stroke: '#b91c1c', fill: 'rgba(185,28,28,0.35)' },
]
const LATENCY_SERIES: uPlot.Series[] = [
  { label: 'duration (ms)', stroke: '#0f766e', points: { show: true, size: 5 } },
]

export function InvocationPlots({ series }: { series: InvocationSeries }) {
  const calls = series.latency.length
  const sorted = [...series.latency].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0
  return (
    <div class="plots">
      <Plot
        label={`Invocation rate (calls per second, ${series.bucketSeconds} s buckets)`}
        summary={`${calls} calls, peak ${Math.max(...series.rate).toFixed(2)} per second`}
        data={[series.rateTimes, series.rate, series.errorRate]}
        series={RATE_SERIES}
        yLabel="calls/s"
        bars
      />
      <Plot
        label="Latency (ms per call)"
        summary={`median ${median} ms, 95th percentile ${p95} ms over ${calls} calls`}
        data={[series.latencyTimes, series.latency]}
        series={LATENCY_SERIES}
        yLabel="ms"
      />
    </div>
  )
}
