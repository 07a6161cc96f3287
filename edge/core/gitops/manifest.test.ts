/**
 * The manifest's parser names the field and the line of what is wrong, and the JSON Schema
 * committed at docs/zerverless.schema.json is the one the code publishes (UPDATE_SCHEMA=1
 * rewrites it; then run prettier on it).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultConfig } from '../config'
import { parseLocated } from './located-yaml'
import { manifestJsonSchema, manifestSchema } from './manifest'

const config = defaultConfig()
const parse = (text: string) => parseLocated(text, manifestSchema(config), 'zerverless.yaml')

const GOOD = `apiVersion: zerverless.io/v1
kind: Application
metadata:
  name: site
spec:
  functions:
    - path: /hello
      runtime: js
      code: "function handle() { return { body: 'hi' } }"
    - path: /lua
      runtime: lua
      codeFile: functions/hello.lua
      timeout_seconds: 5
  static:
    dir: public
  workflows:
    - file: workflows/etl.yaml
  crons:
    - name: nightly
      schedule: "0 3 * * *"
      target: { function: /site/hello }
  secrets: [API_KEY]
`

describe('zerverless.yaml', () => {
  it('parses the original fields and the new ones, with their defaults', () => {
    const parsed = parse(GOOD)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.value.spec.functions?.[1]).toMatchObject({ codeFile: 'functions/hello.lua' })
    expect(parsed.value.spec.crons?.[0]).toMatchObject({ timezone: 'UTC', missed: 'once' })
  })

  it.each([
    ['runtime: js', 'runtime: cobol', 'spec.functions.0.runtime', 8],
    ['apiVersion: zerverless.io/v1', 'apiVersion: v2', 'apiVersion', 1],
    [
      '      timeout_seconds: 5',
      '      timeout_seconds: 900',
      'spec.functions.1.timeout_seconds',
      13,
    ],
    [
      '      codeFile: functions/hello.lua',
      '      codeFile: ../etc/passwd',
      'spec.functions.1.codeFile',
      12,
    ],
    ['"0 3 * * *"', '"every day"', 'spec.crons.0.schedule', 20],
    ['    dir: public', '    dir: public\n    extra: 1', 'spec.static.extra', 16],
    ['  secrets: [API_KEY]', '  secrets: [1BAD]', 'spec.secrets.0', 22],
  ])('refuses %s → %s naming %s at line %i', (from, to, field, line) => {
    const parsed = parse(GOOD.replace(from, to))
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.problem).toMatchObject({ field, line, file: 'zerverless.yaml' })
    expect(parsed.problem.message).toContain(field.split('.').at(-1))
  })

  it('names the line of a YAML syntax error', () => {
    const parsed = parse(GOOD.replace('  static:\n', '  static: [\n'))
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.problem.message).toMatch(/not valid YAML/)
  })

  it('refuses a function with both code and codeFile, or neither', () => {
    const both = parse(
      GOOD.replace('      codeFile: functions/hello.lua', '      codeFile: a.lua\n      code: x'),
    )
    expect(both.ok).toBe(false)
    const neither = parse(GOOD.replace('      codeFile: functions/hello.lua\n', ''))
    expect(neither.ok).toBe(false)
    if (!neither.ok) expect(neither.problem.message).toMatch(/exactly one of code and codeFile/)
  })

  it('publishes the JSON Schema committed in docs/', () => {
    const file = path.resolve(import.meta.dirname, '../../../docs/zerverless.schema.json')
    const schema = manifestJsonSchema(config)
    if (process.env.UPDATE_SCHEMA === '1')
      writeFileSync(file, JSON.stringify(schema, null, 2) + '\n')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(schema)
  })
})
