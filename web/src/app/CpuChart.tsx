/** The CPU this tab gave over the last ten minutes, as a uPlot line with a time axis and cores. */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { CPU_SAMPLE_MS, CPU_SAMPLES, type CpuSeries } from '../volunteer/cpu-series'

const HEIGHT = 160
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })

interface Props {
  cpu: CpuSeries
  /** The threads the volunteer gives: the most cores the jobs can keep busy. */
  threads: number
}

export function CpuChart({ cpu, threads }: Props) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | undefined>(undefined)
  const data: uPlot.AlignedData = [cpu.at, cpu.cores, cpu.at.map(() => threads)]
  const peak = cpu.cores.reduce((most, cores) => Math.max(most, cores), 0)
  const last = cpu.cores.at(-1)

  useEffect(() => {
    const element = box.current
    if (!element) return
    const made = new uPlot(options(element, threads), data, element)
    plot.current = made
    // The card's width follows the page (a phone, a resized window).
    const resize = new ResizeObserver(() =>
      made.setSize({ width: element.clientWidth, height: HEIGHT }),
    )
    resize.observe(element)
    return () => {
      resize.disconnect()
      made.destroy()
      plot.current = undefined
    }
    // A new thread count changes the scale: the plot is made again for it.
  }, [threads])

  useEffect(() => plot.current?.setData(data), [cpu])

  return (
    <section class="card chart cpu" aria-label="CPU given">
      <h2>
        CPU given{' '}
        <span class="muted small" data-testid="cpu-now">
          (now: {last === undefined ? 'measuring…' : cores(last)})
        </span>
      </h2>
      <div
        ref={box}
        role="img"
        aria-label={`cores busy with jobs over the last ${minutes()} minutes; peak ${cores(peak)} of ${threads}`}
        data-testid="cpu-chart"
        data-points={cpu.cores.length}
        data-peak={peak}
      />
      <p class="muted small">
        average cores busy every {CPU_SAMPLE_MS / 1000} s · last {minutes()} minutes
      </p>
    </section>
  )
}

function options(element: HTMLElement, threads: number): uPlot.Options {
  const style = getComputedStyle(element)
  const color = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback
  const ink = color('--muted', '#64748b')
  const grid = { stroke: color('--line', '#e2e8f0'), width: 1 }
  return {
    width: element.clientWidth || 300,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    legend: { live: false },
    scales: {
      // Always the whole window, ending at the newest sample: one point is not a range of years.
      x: {
        time: true,
        range: (_, __, newest) => {
          const end = (newest ?? now()) + CPU_SAMPLE_MS / 2000
          return [end - minutes() * 60, end]
        },
      },
      y: { range: [0, Math.max(1, threads)] },
    },
    axes: [
      {
        stroke: ink,
        grid,
        ticks: grid,
        // Clock time is the unit people read; uPlot's default adds a date line under it.
        values: (_, ticks) => ticks.map((tick) => clock.format(new Date(tick * 1000))),
      },
      {
        stroke: ink,
        grid,
        ticks: grid,
        label: 'CPU cores',
        labelSize: 20,
        size: 40,
        values: (_, ticks) => ticks.map((tick) => (Number.isInteger(tick) ? String(tick) : '')),
      },
    ],
    series: [
      { label: 'time' },
      {
        label: 'busy (CPU cores)',
        stroke: color('--accent', '#4338ca'),
        fill: 'rgba(99, 102, 241, 0.15)',
        width: 2,
        points: { show: true, size: 5 },
      },
      {
        label: 'given (threads)',
        stroke: ink,
        dash: [4, 4],
        width: 1,
      },
    ],
  }
}

function cores(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} core${value === 1 ? '' : 's'}`
}

function now(): number {
  return Date.now() / 1000
}

function minutes(): number {
  return (CPU_SAMPLES * CPU_SAMPLE_MS) / 60_000
}
