/** `zerverless workflows`, `cron` and `gitops` against a real orchestrator: documents from YAML or JSON files. */
import { describe, expect, it } from 'vitest'
import { cliTestServer } from '../helpers/cli-process'

const t = cliTestServer('later')
const { file } = t

describe('zerverless workflows', () => {
  it('creates a workflow from YAML, runs it to the end, and lists it and its runs', async () => {
    const doc = file(
      'squares.yaml',
      [
        'name: squares',
        'namespace: alice',
        'steps:',
        '  - id: split',
        '    run: { runtime: js, code: "Array.from({length: INPUT.n}, (_, i) => i + 1)" }',
        '  - id: square',
        `    run: { runtime: python, code: 'INPUT["item"] ** 2' }`,
        '    foreach: "${steps.split.result}"',
      ].join('\n'),
    )
    const created = await t.cli.json(['workflows', 'create', doc])
    expect(created.code).toBe(0)
    const { id } = created.json() as { id: string }
    const run = await t.cli.json(['workflows', 'run', id, '--input', '{"n": 3}'])
    expect(run.code).toBe(0)
    expect(run.json()).toMatchObject({ status: 'completed', workflow_id: id })
    const listed = await t.cli.run(['workflows', 'list', '--namespace', 'alice'])
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+squares\\s+alice`))
    const runs = await t.cli.json(['workflows', 'runs', id])
    expect((runs.json() as { runs: unknown[] }).runs).toHaveLength(1)
  })

  it("names what is wrong with a document, in the server's words", async () => {
    const res = await t.cli.run([
      'workflows',
      'create',
      file('empty.json', '{"name": "x", "steps": []}'),
    ])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/steps.*\(INVALID_REQUEST, HTTP 400\)/)
    const yaml = await t.cli.run(['workflows', 'create', file('bad.yaml', 'steps: [unclosed')])
    expect(yaml.code).toBe(2)
    expect(yaml.stderr).toContain('(INVALID_YAML)')
  })
})

describe('zerverless cron', () => {
  it('puts, lists, reads and deletes a trigger', async () => {
    const spec = file(
      'nightly.json',
      '{"schedule": "0 3 * * *", "target": {"job": {"job_type": "lua", "code": "return 6 * 7"}}}',
    )
    expect((await t.cli.json(['cron', 'put', 'alice', 'nightly', spec])).json()).toMatchObject({
      name: 'nightly',
      namespace: 'alice',
    })
    const listed = await t.cli.run(['cron', 'list', 'alice'])
    expect(listed.stdout).toMatch(/nightly\s+0 3 \* \* \*\s+\d{4}-/)
    expect((await t.cli.json(['cron', 'get', 'alice', 'nightly'])).code).toBe(0)
    expect((await t.cli.run(['cron', 'delete', 'alice', 'nightly'])).code).toBe(0)
    const gone = await t.cli.run(['cron', 'get', 'alice', 'nightly'])
    expect(gone.code).toBe(2)
    expect(gone.stderr).toContain('(CRON_NOT_FOUND, HTTP 404)')
  })
})

describe('zerverless gitops', () => {
  it('lists no applications, and names an unknown one', async () => {
    expect((await t.cli.json(['gitops', 'list'])).json()).toMatchObject({
      applications: [],
      total: 0,
    })
    const missing = await t.cli.run(['gitops', 'get', 'site', '--namespace', 'dana'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('HTTP 404')
  })
})
