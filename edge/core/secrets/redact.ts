/**
 * Takes secret values out of what work sends back, before anything is stored or returned: every
 * occurrence of a value the attempt received becomes `[secret NAME]`, in text and in every string
 * (and key) of a JSON result. Both the value as it is and as it appears inside a JSON string
 * (quotes, backslashes, newlines escaped) are found. Values shorter than MIN_REDACTED characters
 * are left alone: replacing "1" or "on" everywhere would wreck output and hide almost nothing.
 */
import type { JobError } from '../../../shared/protocol/job'
import type { JsonValue } from '../../../shared/protocol/json'
import type { Report } from '../placement/placement'
import type { Progress } from '../placement/work'
import type { SecretValues } from './secret-service'

export const MIN_REDACTED = 4

/** One attempt's values, ready to search for: longest first, so a value holding another goes whole. */
export class Redactor {
  private readonly pairs: [needle: string, mark: string][]

  constructor(values: SecretValues) {
    const pairs: [string, string][] = []
    for (const [name, value] of Object.entries(values)) {
      if (value.length < MIN_REDACTED) continue
      const mark = `[secret ${name}]`
      pairs.push([value, mark])
      const escaped = JSON.stringify(value).slice(1, -1)
      if (escaped !== value) pairs.push([escaped, mark])
    }
    this.pairs = pairs.sort((a, b) => b[0].length - a[0].length)
  }

  get empty(): boolean {
    return this.pairs.length === 0
  }

  text(text: string): string {
    let out = text
    for (const [needle, mark] of this.pairs)
      if (out.includes(needle)) out = out.split(needle).join(mark)
    return out
  }

  optionalText<T extends string | null | undefined>(text: T): T {
    return (typeof text === 'string' ? this.text(text) : text) as T
  }

  json(value: JsonValue): JsonValue {
    if (typeof value === 'string') return this.text(value)
    if (Array.isArray(value)) return value.map((v) => this.json(v))
    if (value !== null && typeof value === 'object') {
      const out: Record<string, JsonValue> = {}
      for (const [k, v] of Object.entries(value)) out[this.text(k)] = this.json(v)
      return out
    }
    return value
  }

  error(error: JobError): JobError {
    return {
      ...error,
      message: this.text(error.message),
      ...(error.traceback !== undefined && { traceback: this.text(error.traceback) }),
    }
  }
}

/** A site's report without the values its attempt was sent. */
export function redactReport(report: Report, values: SecretValues): Report {
  const redactor = new Redactor(values)
  if (redactor.empty) return report
  const stderr = redactor.optionalText(report.stderr)
  const common = { ...(stderr !== undefined && { stderr }) }
  if (report.type === 'result')
    return {
      ...report,
      ...common,
      result: redactor.json(report.result),
      output: redactor.text(report.output),
    }
  return {
    ...report,
    ...common,
    error: redactor.error(report.error),
    ...(report.output !== undefined && { output: redactor.text(report.output) }),
  }
}

/** What a site says of its progress, without the values its attempt was sent. */
export function redactProgress(progress: Progress, values: SecretValues): Progress {
  if (progress.message === undefined) return progress
  return { ...progress, message: new Redactor(values).text(progress.message) }
}
