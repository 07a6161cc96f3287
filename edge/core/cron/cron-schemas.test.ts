import { describe, expect, it } from 'vitest'
import { describeIssues, issueField } from '../../../shared/protocol/schema-errors'
import { defaultConfig } from '../config'
import { cronBody, CronName } from './cron-schemas'

const schema = cronBody(defaultConfig())

/** The 400 a route would answer: the message and the field it names. */
function refusal(body: Record<string, unknown>): [string, string | undefined] {
  const parsed = schema.safeParse(body)
  if (parsed.success) throw new Error(`accepted ${JSON.stringify(body)}`)
  return [describeIssues(parsed.error, body), issueField(parsed.error)]
}

describe('a cron body', () => {
  it('fills in the zone and the missed-tick rule, and normalizes a job', () => {
    const body = schema.parse({
      schedule: '*/2 * * * * *',
      target: { job: { job_type: 'javascript', code: '1' } },
    })
    expect(body).toEqual({
      schedule: '*/2 * * * * *',
      timezone: 'UTC',
      missed: 'once',
      target: { job: { job_type: 'js', code: '1' } },
    })
  })

  it("refuses a bad expression with croner's reason, at schedule", () => {
    const [message, field] = refusal({ schedule: '61 * * * *', target: { workflow: 'w' } })
    expect(field).toBe('schedule')
    expect(message).toContain('minute')
  })

  it('refuses an unknown zone at timezone', () => {
    const [message, field] = refusal({
      schedule: '* * * * *',
      timezone: 'Mars/Base',
      target: { workflow: 'w' },
    })
    expect(field).toBe('timezone')
    expect(message).toContain('Mars/Base')
  })

  it('names an unknown field inside the target it belongs to', () => {
    const [message, field] = refusal({
      schedule: '* * * * *',
      target: { function: '/a/b', verb: 'GET' },
    })
    expect(field).toBe('verb')
    expect(message).toBe("unknown field 'verb' in target")
  })

  it('names what is wrong inside a job target', () => {
    const [message] = refusal({ schedule: '* * * * *', target: { job: { job_type: 'lua' } } })
    expect(message).toBe('target.job.code is required')
  })

  it('says what a target may be when it is none of them', () => {
    for (const target of [{ run: 'x' }, 5, null]) {
      const [message, field] = refusal({ schedule: '* * * * *', target })
      expect(field).toBe('target')
      expect(message).toContain('{"function": "/user/path"')
    }
  })

  it('refuses headers a request could not carry', () => {
    for (const headers of [{ 'bad name': 'x' }, { ok: 'line\nbreak' }]) {
      const [message, field] = refusal({
        schedule: '* * * * *',
        target: { function: '/a/b', headers },
      })
      expect(field).toBe('target')
      expect(message).toMatch(/header (names|values)/)
    }
  })

  it('refuses unknown top-level fields', () => {
    const [message] = refusal({ schedule: '* * * * *', target: { workflow: 'w' }, every: 5 })
    expect(message).toContain("'every'")
  })

  it('keeps names short enough for a job id', () => {
    expect(CronName.safeParse('a'.repeat(32)).success).toBe(true)
    expect(CronName.safeParse('a'.repeat(33)).success).toBe(false)
    expect(CronName.safeParse('a:b').success).toBe(false)
  })
})
