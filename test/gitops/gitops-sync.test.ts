/**
 * GitOps end to end on the Node host: a real orchestrator process with an internal worker syncs
 * real git repositories (file:// URLs): functions answer over HTTP, static files are served, a
 * workflow runs; a push and a signed webhook deploy a new version (the old one stays listed), a
 * dry run changes nothing, a revision pins a commit, prune removes only when asked, a broken
 * manifest fails with its field and line before anything changes, and no credential is shown; a
 * manifest's cron fires a job that reads a secret the manifest names, and prune removes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { jsFunction, manifest, repoWith, signature } from '../helpers/gitops-fixtures'
import { eventually, startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

let server: ZerverlessProcess
let client: ApiClient

const LUA =
  'function handle(req) return {status=200, body="lua says " .. (req.query.name or "hi")} end\n'
const GREET =
  'function handle(req) { return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ greeting: "hello " + (req.query.name || "you") }) } }\n'
const FUNCTIONS = (ns: string, hello = 'hello v1') =>
  jsFunction('/hello', hello) +
  `    - path: /lua\n      runtime: lua\n      codeFile: functions/hello.lua\n` +
  `    - path: /greet\n      runtime: js\n      codeFile: functions/greet.js\n      timeout_seconds: 10\n`.replace(
    /NS/g,
    ns,
  )
const WORKFLOW = (ns: string) =>
  `name: pipeline\nsteps:\n  - id: greet\n    run:\n      function: /${ns}/greet\n      query: { name: flow }\n`

/** A repository with three functions, `public/` and a workflow, for namespace `ns`. */
function siteRepo(ns: string) {
  return repoWith({
    'zerverless.yaml': manifest('site', FUNCTIONS(ns), { workflow: true }),
    'functions/hello.lua': LUA,
    'functions/greet.js': GREET,
    'public/index.html': '<h1>hello from git</h1>\n',
    'public/css/site.css': 'h1 { color: teal }\n',
    'workflows/pipeline.yaml': WORKFLOW(ns),
  })
}

const register = (ns: string, url: string, extra: Record<string, unknown> = {}) =>
  client.post('/api/gitops/applications', {
    name: 'site',
    namespace: ns,
    source: { repoURL: url, branch: 'main' },
    ...extra,
  })

/** One entry of a sync's `changes`. */
const change = (kind: string, name: string, action: string) =>
  expect.objectContaining({ kind, name, action })

const text = async (path: string) => {
  const res = await fetch(server.url + path)
  return { status: res.status, body: await res.text() }
}

beforeAll(async () => {
  server = await startZerverless(['--workers', '1'])
  client = api(server.url)
  // Functions answer 503 until the internal worker has said hello.
  await eventually(async () =>
    (await client.get('/api/volunteers')).body.total ? true : undefined,
  )
}, 60_000)

afterAll(async () => {
  await server?.stop()
})

describe('a GitOps sync', () => {
  it('deploys three functions, the static dir and a workflow from the repository', async () => {
    const repo = siteRepo('alpha')
    const created = await register('alpha', repo.url)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ phase: 'Synced', commit: repo.first, error: null })
    expect(created.body.resources).toEqual(
      expect.arrayContaining([
        { kind: 'function', name: '/hello' },
        { kind: 'function', name: '/lua' },
        { kind: 'function', name: '/greet' },
        { kind: 'static', name: 'index.html' },
        { kind: 'static', name: 'css/site.css' },
        expect.objectContaining({ kind: 'workflow', name: 'pipeline', version: 1 }),
      ]),
    )
    expect(await text('/alpha/hello')).toEqual({ status: 200, body: 'hello v1' })
    expect(await text('/alpha/lua?name=git')).toEqual({ status: 200, body: 'lua says git' })
    expect((await client.get('/alpha/greet?name=ann')).body).toEqual({ greeting: 'hello ann' })
    expect(await text('/static/alpha/index.html')).toEqual({
      status: 200,
      body: '<h1>hello from git</h1>\n',
    })
    expect((await text('/static/alpha/css/site.css')).body).toBe('h1 { color: teal }\n')
    expect((await client.get('/api/deploy/alpha/greet')).body.timeout_seconds).toBe(10)

    const workflows = (await client.get('/api/workflows?namespace=alpha')).body.workflows
    expect(workflows).toHaveLength(1)
    const run = await client.post(`/api/workflows/${workflows[0].id}/runs`, {})
    const done = (await client.get(`/api/workflow-runs/${run.body.id}?wait=20`)).body
    expect(done.status).toBe('completed')
    expect(JSON.stringify(done)).toContain('hello flow')

    const status = await client.get('/api/gitops/applications/site?namespace=alpha')
    expect(status.body).toMatchObject({ phase: 'Synced', commit: repo.first })
    expect(typeof status.body.lastSync).toBe('string')
    const listed = await client.get('/api/gitops/applications?namespace=alpha')
    expect(listed.body).toMatchObject({ total: 1, applications: [{ name: 'site' }] })
  })

  it('deploys a push on a signed webhook: a new version is live, the old one still listed', async () => {
    const repo = siteRepo('beta')
    const secret = 'a webhook secret of some length'
    expect((await register('beta', repo.url, { webhookSecret: secret })).status).toBe(201)
    const second = repo.push('main', {
      'zerverless.yaml': manifest('site', FUNCTIONS('beta', 'hello v2'), { workflow: true }),
    })
    const payload = JSON.stringify({ ref: 'refs/heads/main', after: second })
    const hook = (sig: string) =>
      fetch(`${server.url}/api/gitops/applications/site/webhook?namespace=beta`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig },
        body: payload,
      })
    const forged = await hook(signature('not the secret at all', payload))
    expect(forged.status).toBe(401)
    expect(await forged.json()).toMatchObject({ code: 'BAD_SIGNATURE' })
    expect((await hook('sha256=zz')).status).toBe(401)
    expect(await text('/beta/hello')).toEqual({ status: 200, body: 'hello v1' })

    const pushed = await hook(signature(secret, payload))
    expect(pushed.status).toBe(200)
    expect(await pushed.json()).toMatchObject({ phase: 'Synced', commit: second })
    expect(await text('/beta/hello')).toEqual({ status: 200, body: 'hello v2' })
    const versions = (await client.get('/api/deploy/beta/hello')).body.versions
    expect(versions.map((v: { version: number }) => v.version)).toEqual([2, 1])
    // Unchanged functions got no new version.
    expect((await client.get('/api/deploy/beta/lua')).body.versions).toHaveLength(1)
    // The existing rollback still works on what GitOps deployed.
    expect((await client.post('/api/deploy/beta/hello/rollback')).status).toBe(200)
    expect(await text('/beta/hello')).toEqual({ status: 200, body: 'hello v1' })
  })

  it('shows a dry run diff without changing anything, and pins a revision (rollback)', async () => {
    const repo = siteRepo('gamma')
    await register('gamma', repo.url)
    const second = repo.push('main', {
      'zerverless.yaml': manifest(
        'site',
        FUNCTIONS('gamma', 'hello v2') + jsFunction('/new', 'new'),
        {
          workflow: true,
        },
      ),
      'public/index.html': '<h1>v2</h1>\n',
    })
    const dry = await client.post('/api/gitops/applications/site/sync?namespace=gamma&dryRun=true')
    expect(dry.status).toBe(200)
    expect(dry.body).toMatchObject({ dryRun: true, commit: second })
    expect(dry.body.changes).toEqual(
      expect.arrayContaining([
        change('function', '/hello', 'update'),
        change('function', '/new', 'create'),
        change('static', 'index.html', 'update'),
      ]),
    )
    expect(dry.body.changes).toHaveLength(3)
    expect(await text('/gamma/hello')).toEqual({ status: 200, body: 'hello v1' })
    expect((await text('/gamma/new')).status).toBe(404)
    const after = await client.get('/api/gitops/applications/site?namespace=gamma')
    expect(after.body.commit).toBe(repo.first)

    const synced = await client.post('/api/gitops/applications/site/sync?namespace=gamma')
    expect(synced.body).toMatchObject({ commit: second, phase: 'Synced', revision: null })
    expect(await text('/gamma/new')).toEqual({ status: 200, body: 'new' })

    const pinned = await client.post(
      `/api/gitops/applications/site/sync?namespace=gamma&revision=${repo.first.slice(0, 10)}`,
    )
    expect(pinned.body).toMatchObject({
      commit: repo.first,
      revision: repo.first,
      phase: 'OutOfSync',
    })
    expect(await text('/gamma/hello')).toEqual({ status: 200, body: 'hello v1' })
    expect((await text('/static/gamma/index.html')).body).toBe('<h1>hello from git</h1>\n')
    // /new is no longer in the manifest; without prune it stays, and the phase says so.
    expect(pinned.body.sync.changes).toContainEqual(change('function', '/new', 'orphaned'))
    expect(await text('/gamma/new')).toEqual({ status: 200, body: 'new' })

    const unknown = await client.post(
      '/api/gitops/applications/site/sync?namespace=gamma&revision=abcdef12',
    )
    expect(unknown.body).toMatchObject({ phase: 'Failed' })
    expect(unknown.body.error.message).toMatch(/abcdef12/)
    const bad = await client.post(
      '/api/gitops/applications/site/sync?namespace=gamma&revision=--upload-pack=x',
    )
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ code: 'INVALID_REQUEST' })
  })

  it('runs one sync of an application at a time: concurrent requests make one new version', async () => {
    const repo = siteRepo('theta')
    await register('theta', repo.url)
    const second = repo.push('main', {
      'zerverless.yaml': manifest('site', FUNCTIONS('theta', 'hello v2'), { workflow: true }),
    })
    const syncs = await Promise.all(
      [1, 2, 3].map(() => client.post('/api/gitops/applications/site/sync?namespace=theta')),
    )
    for (const res of syncs) expect(res.body).toMatchObject({ phase: 'Synced', commit: second })
    // The first deployed v2; the ones that waited for it found nothing left to change.
    expect(syncs.map((res) => res.body.sync.changes.length).sort()).toEqual([0, 0, 1])
    expect((await client.get('/api/deploy/theta/hello')).body.versions).toHaveLength(2)
  })

  it("applies a manifest's cron and secrets: the trigger fires with the secret, and is pruned", async () => {
    const value = 'sk-from-gitops-0123456789'
    const put = await client.put('/api/secrets/kappa/REPORT_KEY', { value })
    expect(put.status).toBe(201)
    const crons = [
      '  crons:',
      '    - name: report',
      '      schedule: "*/2 * * * * *"',
      '      target:',
      '        job: { job_type: js, code: "console.log(SECRETS.REPORT_KEY); SECRETS.REPORT_KEY.length", secrets: [REPORT_KEY] }',
      '  secrets: [REPORT_KEY]',
    ].join('\n')
    const repo = repoWith({
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hi'), {
        static: false,
        extra: crons,
      }),
    })
    const created = await register('kappa', repo.url, { syncPolicy: { prune: true } })
    expect(created.body).toMatchObject({ phase: 'Synced' })
    expect(created.body.resources).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'cron', name: 'report' })]),
    )
    // The trigger fires on its own; its job read the secret and its output shows it redacted.
    const jobId = await eventually(async () => {
      const runs = (await client.get('/api/cron/kappa/report')).body.runs as { job_id?: string }[]
      return runs.find((r) => r.job_id)?.job_id
    }, 20_000)
    const job = (await client.get(`/api/jobs/${jobId}?wait=20`)).body
    expect(job).toMatchObject({ status: 'completed', result: value.length })
    expect(job.output).toContain('[secret REPORT_KEY]')
    expect(JSON.stringify(job)).not.toContain(value)

    repo.push('main', {
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hi'), { static: false }),
    })
    const pruned = await client.post('/api/gitops/applications/site/sync?namespace=kappa')
    expect(pruned.body.sync.changes).toEqual([change('cron', 'report', 'delete')])
    expect((await client.get('/api/cron/kappa/report')).status).toBe(404)
  })

  it('removes a function the manifest dropped only with prune', async () => {
    const repo = siteRepo('delta')
    await register('delta', repo.url)
    repo.push('main', {
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hello v1'), { static: false }),
    })
    const kept = await client.post('/api/gitops/applications/site/sync?namespace=delta')
    expect(kept.body.phase).toBe('OutOfSync')
    expect((await client.get('/delta/greet')).status).toBe(200)
    expect((await text('/static/delta/index.html')).status).toBe(200)

    const pruning = await register('delta', repo.url, { syncPolicy: { prune: true } })
    expect(pruning.body).toMatchObject({ phase: 'Synced' })
    expect(pruning.body.sync.changes).toEqual(
      expect.arrayContaining([
        change('function', '/greet', 'delete'),
        change('function', '/lua', 'delete'),
        change('static', 'index.html', 'delete'),
        change('workflow', 'pipeline', 'delete'),
      ]),
    )
    expect((await client.get('/delta/greet')).status).toBe(404)
    expect((await text('/static/delta/index.html')).status).toBe(404)
    expect((await client.get('/api/workflows?namespace=delta')).body.total).toBe(0)
    expect(await text('/delta/hello')).toEqual({ status: 200, body: 'hello v1' })
  })

  it('fails a broken manifest with its field and line, and applies none of it', async () => {
    const repo = siteRepo('eps')
    await register('eps', repo.url)
    const broken = repo.push('main', {
      'zerverless.yaml': manifest(
        'site',
        jsFunction('/hello', 'hello v2') +
          jsFunction('/added', 'added') +
          '    - path: /bad\n      runtime: cobol\n      code: x\n',
      ),
    })
    const synced = await client.post('/api/gitops/applications/site/sync?namespace=eps')
    expect(synced.status).toBe(200)
    expect(synced.body).toMatchObject({
      phase: 'Failed',
      commit: broken,
      error: { file: 'zerverless.yaml', field: 'spec.functions.2.runtime', line: 14 },
    })
    expect(synced.body.error.message).toMatch(/runtime must be one of js, lua, python/)
    expect(await text('/eps/hello')).toEqual({ status: 200, body: 'hello v1' })
    expect((await text('/eps/added')).status).toBe(404)

    repo.push('main', {
      'zerverless.yaml': manifest(
        'site',
        jsFunction('/added', 'added') +
          '    - path: /missing\n      runtime: lua\n      codeFile: nowhere.lua\n',
      ),
    })
    const missing = await client.post('/api/gitops/applications/site/sync?namespace=eps')
    expect(missing.body.error).toMatchObject({ field: 'spec.functions.1.codeFile', line: 12 })
    expect((await text('/eps/added')).status).toBe(404)

    repo.push('main', {
      'zerverless.yaml': manifest('site', jsFunction('/added', 'added'), {
        workflow: true,
      }),
      'workflows/pipeline.yaml':
        'name: pipeline\nsteps:\n  - id: a\n    needs: [ghost]\n    run: { runtime: js, code: "1" }\n',
    })
    const workflow = await client.post('/api/gitops/applications/site/sync?namespace=eps')
    expect(workflow.body.error).toMatchObject({
      file: 'workflows/pipeline.yaml',
      field: 'steps.0.needs',
      line: 4,
    })
    expect((await text('/eps/added')).status).toBe(404)

    repo.push('main', {
      'zerverless.yaml': manifest('site', jsFunction('/added', 'added'), {
        extra:
          '  crons:\n    - name: tick\n      schedule: "* * * * *"\n      target: { function: /eps/added }\n  secrets: [API_KEY]',
      }),
    })
    // A secret the namespace does not hold: nothing is applied, the cron included.
    const unset = await client.post('/api/gitops/applications/site/sync?namespace=eps')
    expect(unset.body).toMatchObject({
      phase: 'Failed',
      error: { field: 'spec.secrets.0', line: 16 },
    })
    expect(unset.body.error.message).toMatch(/'API_KEY', which namespace 'eps' does not hold/)
    expect((await text('/eps/added')).status).toBe(404)
    expect((await client.get('/api/cron/eps/tick')).status).toBe(404)
  })

  it('never shows the repository credentials or the webhook secret', async () => {
    const repo = siteRepo('zeta')
    const token = 'ghp_TOKENVALUE_never_shown_1234'
    const secret = 'webhook-SECRET-never-shown-5678'
    const created = await register('zeta', repo.url, { auth: { token }, webhookSecret: secret })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ auth: 'set', webhook: true, phase: 'Synced' })
    const basic = await client.post('/api/gitops/applications', {
      name: 'basic',
      namespace: 'zeta',
      source: { repoURL: 'file:///nowhere/at/all.git' },
      auth: { username: 'USERNAME-never-shown', password: 'PASSWORD-never-shown' },
    })
    expect(basic.status).toBe(201)
    expect(basic.body.phase).toBe('Failed')
    const responses = [
      created,
      basic,
      await client.get('/api/gitops/applications?namespace=zeta'),
      await client.get('/api/gitops/applications'),
      await client.get('/api/gitops/applications/site?namespace=zeta'),
      await client.post('/api/gitops/applications/site/sync?namespace=zeta'),
      await client.post('/api/gitops/applications/site/sync?namespace=zeta&dryRun=true'),
      await client.post('/api/gitops/applications/basic/sync?namespace=zeta'),
    ]
    for (const res of responses) {
      const body = JSON.stringify(res.body)
      for (const value of [token, secret, 'USERNAME-never-shown', 'PASSWORD-never-shown'])
        expect(body).not.toContain(value)
    }
    for (const value of [token, secret, 'PASSWORD-never-shown'])
      expect(server.output()).not.toContain(value)
    const withCreds = await client.post('/api/gitops/applications', {
      name: 'inurl',
      namespace: 'zeta',
      source: { repoURL: 'https://user:pw@example.invalid/x.git' },
    })
    expect(withCreds.status).toBe(400)
    expect(withCreds.body).toMatchObject({ code: 'INVALID_REQUEST' })
  })

  it('deletes an application, with prune also what it deployed', async () => {
    const repo = siteRepo('eta')
    await register('eta', repo.url)
    const kept = await client.delete('/api/gitops/applications/site?namespace=eta')
    expect(kept.status).toBe(200)
    expect(await text('/eta/hello')).toEqual({ status: 200, body: 'hello v1' })
    expect((await client.get('/api/gitops/applications/site?namespace=eta')).status).toBe(404)
    await register('eta', repo.url)
    const pruned = await client.delete('/api/gitops/applications/site?namespace=eta&prune=true')
    expect(pruned.body.pruned).toContain('function:/hello')
    expect((await text('/eta/hello')).status).toBe(404)
    expect((await text('/static/eta/index.html')).status).toBe(404)
    expect((await client.delete('/api/gitops/applications/site?namespace=eta')).body).toMatchObject(
      {
        code: 'APPLICATION_NOT_FOUND',
      },
    )
  })

  it('answers bad requests with 400 and the field', async () => {
    for (const [body, field] of [
      [{ name: 'x', source: {} }, 'source'],
      [{ name: '../x', source: { repoURL: 'file:///x' } }, 'name'],
      [{ name: 'x', source: { repoURL: 'ext::sh -c x' } }, 'source'],
      [{ name: 'x', source: { repoURL: 'file:///x', branch: '--upload-pack=x' } }, 'source'],
      [
        { name: 'x', source: { repoURL: 'file:///x' }, syncPolicy: { intervalSeconds: 0 } },
        'syncPolicy',
      ],
      [{ name: 'x', source: { repoURL: 'file:///x' }, auth: { token: '' } }, 'auth'],
    ] as const) {
      const res = await client.post('/api/gitops/applications', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', field })
    }
    expect((await client.get('/api/gitops/applications/nope?namespace=alpha')).status).toBe(404)
    const schema = await client.get('/api/gitops/schema')
    expect(schema.status).toBe(200)
    expect(schema.body.properties.apiVersion).toMatchObject({ const: 'zerverless.io/v1' })
  })
})
