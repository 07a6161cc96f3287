import { describe, expect, it } from 'vitest'
import type { ResultFrame } from '../../../shared/protocol/frames'
import { capOutput, capReport, MAX_STORED_OUTPUT, OUTPUT_KEEP } from './report-caps'

const result = (output: string, stderr?: string): ResultFrame => ({
  type: 'result',
  job_id: 'j',
  attempt: 1,
  result: 1,
  output,
  ...(stderr !== undefined && { stderr }),
})

describe('report caps', () => {
  it('keeps output an honest runtime sends as it is, its own truncation marker included', () => {
    const honest = 'x'.repeat(OUTPUT_KEEP) + '\n[output truncated]\n'
    expect(capOutput(honest)).toBe(honest)
    const frame = result(honest)
    expect(capReport(frame)).toBe(frame)
  })

  it('cuts longer output to the runtime limit and says how much was cut', () => {
    const cut = capOutput('y'.repeat(12 * 1024 * 1024))
    expect(cut.length).toBeLessThanOrEqual(MAX_STORED_OUTPUT)
    expect(cut.startsWith('y'.repeat(OUTPUT_KEEP))).toBe(true)
    expect(
      cut.endsWith(`\n[output cut by the orchestrator: ${11 * 1024 * 1024} characters more]\n`),
    ).toBe(true)
  })

  it('cuts output and stderr of a report alike, leaving the rest of the frame alone', () => {
    const capped = capReport(result('o'.repeat(3 * OUTPUT_KEEP), 'e'.repeat(2 * OUTPUT_KEEP)))
    expect(capped).toMatchObject({ type: 'result', job_id: 'j', attempt: 1, result: 1 })
    expect(capped.output.length).toBeLessThanOrEqual(MAX_STORED_OUTPUT)
    expect(capped.stderr?.length).toBeLessThanOrEqual(MAX_STORED_OUTPUT)
    expect(capped.stderr).toMatch(/\[output cut by the orchestrator: \d+ characters more\]\n$/)
  })

  it('never splits a surrogate pair where it cuts', () => {
    const text = 'a'.repeat(OUTPUT_KEEP - 1) + '😀'.repeat(200)
    const cut = capOutput(text)
    expect(cut.slice(0, OUTPUT_KEEP - 1)).toBe('a'.repeat(OUTPUT_KEEP - 1))
    expect(cut.charAt(OUTPUT_KEEP - 1)).toBe('\n')
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut)
  })
})
