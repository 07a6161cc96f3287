/** How a job reads to a person: its output, then its result or error, then a status line. */
import type { JobView } from './api-views'
import { shown } from './output'

export function describeJob(job: JobView): string {
  const lines: string[] = []
  if (job.output) lines.push(job.output.replace(/\n$/, ''))
  if (job.stderr) lines.push(job.stderr.replace(/\n$/, ''))
  if (job.status === 'completed') lines.push(`result: ${shown(job.result ?? null)}`)
  if (job.error)
    lines.push(`error: ${job.error.message}${job.error.code ? ` (${job.error.code})` : ''}`)
  const took =
    job.duration_ms === null || job.duration_ms === undefined ? '' : ` in ${job.duration_ms} ms`
  // A guest may report a message without a fraction: `progress(null, "warming up")`.
  const fraction = job.progress?.fraction
  const progress = job.progress
    ? `${typeof fraction === 'number' ? ` ${Math.round(fraction * 100)}%` : ''}${job.progress.message ? ` ${job.progress.message}` : ''}`
    : ''
  lines.push(`job ${job.id} ${job.status}${took}${progress}`)
  return lines.join('\n')
}
