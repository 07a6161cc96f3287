/** Small pieces every page uses: error notes, status badges, progress bars, JSON, times, tables. */
import type { ComponentChildren } from 'preact'
import type { ApiError } from './api'

/** An API error as the server worded it, with its code; announced to screen readers. */
export function ErrorNote({ error }: { error: ApiError | string | undefined }) {
  if (!error) return null
  const text = typeof error === 'string' ? error : `${error.message} (${error.code})`
  return (
    <p class="error" role="alert">
      {text}
    </p>
  )
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge badge-${status}`} data-status={status}>
      {status}
    </span>
  )
}

/** A progress bar that assistive technology reads as one (`fraction` 0..1). */
export function ProgressBar({ fraction, label }: { fraction: number; label: string }) {
  const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100)
  return (
    <div
      class="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
    >
      <div class="progress-fill" style={{ width: `${percent}%` }} />
      <span class="progress-text">{percent}%</span>
    </div>
  )
}

/** A value as indented JSON; strings as they are. */
export function Json({ value }: { value: unknown }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2)
  return <pre class="code">{text ?? 'null'}</pre>
}

/** A labelled section of a page. */
export function Section(props: {
  title: string
  children: ComponentChildren
  actions?: ComponentChildren
}) {
  return (
    <section class="card" aria-label={props.title}>
      <header class="card-head">
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  )
}

/** "12:03:04" today, the date too otherwise; the full ISO time on hover. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>
  const date = new Date(iso)
  const today = date.toDateString() === new Date().toDateString()
  return (
    <time dateTime={iso} title={iso}>
      {today ? date.toLocaleTimeString() : date.toLocaleString()}
    </time>
  )
}

/** Parses JSON typed into a text area; an empty text is `undefined`. */
export function parseJsonInput(text: string, field: string): { value?: unknown; error?: string } {
  if (text.trim() === '') return {}
  try {
    return { value: JSON.parse(text) as unknown }
  } catch (err) {
    return { error: `${field} is not valid JSON: ${(err as Error).message}` }
  }
}

/** A column heading: `wide` ones hide on a phone, `hidden` ones are read out only. */
export type Column = string | { label: string; wide?: boolean; hidden?: boolean }

/** A table with its column headings, scrolling sideways inside its card on a phone. */
export function Table(props: { columns: Column[]; testId?: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {props.columns.map((column) => {
              const { label, wide, hidden } =
                typeof column === 'string' ? { label: column } : column
              return (
                <th key={label} scope="col" class={wide ? 'wide-only' : undefined}>
                  {hidden ? <span class="visually-hidden">{label}</span> : label}
                </th>
              )
            })}
          </tr>
        </thead>
        <tbody data-testid={props.testId}>{props.children}</tbody>
      </table>
    </div>
  )
}
