/**
 * The same edges on the real `zerverless` process (built dist/, its own SQLite, an internal
 * worker): the Node host wires the compile check, and a call's record reaches `/logs`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { jsFunction, manifest, repoWith } from '../helpers/gitops-fixtures'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

let server: ZerverlessProcess

beforeAll(async () => {
  server = await startZerverless(['--workers', '1'])
})

afterAll(async () => {
  await server?.stop()
  if (server) removeDir(server.dataDir)
})

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('the zerverless process', () => {
  it('refuses a function that does not compile, and logs the calls of one that does', async () => {
    const bad = await post('/api/deploy/proc/hello', {
      runtime: 'lua',
      code: 'function handle(req)\n  return {body="hi"\nend',
    })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      code: 'INVALID_FUNCTION',
      line: 3,
      details: { code: 'SYNTAX_ERROR' },
    })

    const good = await post('/api/deploy/proc/hello', {
      runtime: 'lua',
      code: 'function handle(req)\n  return {body="hi"}\nend',
    })
    expect(good.status).toBe(201)
    // The internal worker may still be starting: a call before it is a 503, logged like any other.
    const answered = await eventually(
      async () => (await (await fetch(`${server.url}/proc/hello`)).text()) === 'hi' || undefined,
      30_000,
      'the internal worker to answer',
    )
    expect(answered).toBe(true)
    const logs = await (await fetch(`${server.url}/api/deploy/proc/hello/logs`)).json()
    expect(logs.invocations[0]).toMatchObject({ status: 200, version: 1 })
    for (const call of logs.invocations.slice(1))
      expect(call).toMatchObject({ status: 503, error: { code: 'NO_WORKER' } })
  })

  it('fails a GitOps sync on a code file that does not compile, naming file and line, and applies none of it', async () => {
    const repo = repoWith({
      'zerverless.yaml': manifest(
        'site',
        jsFunction('/hello', 'hello') +
          '    - path: /broken\n      runtime: js\n      codeFile: functions/broken.js\n',
        { static: false },
      ),
      'functions/broken.js': 'function handle(req) {\n  return {body: "x"\n}\n',
    })
    const client = api(server.url)
    const registered = await client.post('/api/gitops/applications', {
      name: 'site',
      namespace: 'gitchk',
      source: { repoURL: repo.url, branch: 'main' },
    })
    expect(registered.status).toBe(201)
    const synced = await client.post('/api/gitops/applications/site/sync?namespace=gitchk')
    expect(synced.body).toMatchObject({
      phase: 'Failed',
      error: { file: 'functions/broken.js', line: 4, field: 'spec.functions.1.codeFile' },
    })
    expect(synced.body.error.message).toMatch(/^functions\/broken\.js line 4: SyntaxError: /)
    expect((await fetch(`${server.url}/gitchk/hello`)).status).toBe(404)
  })
})
