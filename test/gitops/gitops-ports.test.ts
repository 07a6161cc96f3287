/**
 * What a sync asks of the cron and secrets services, which live on other branches until the
 * merge: their ports are played here by recorders, over a real core (in process) and real git.
 * Crons are put with the manifest's workflow's id, changed only when changed, pruned with prune;
 * named secrets must exist; a cron may not reach into another namespace.
 * MERGE: once the orchestrator wires its cron and secrets services, run these against them.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CronBody } from '../../edge/core/cron/cron-schemas'
import { ApplicationStore, type Application } from '../../edge/core/gitops/application-store'
import type { GitopsDeps } from '../../edge/core/gitops/gitops-deps'
import { runSync } from '../../edge/core/gitops/sync-run'
import { functionCaller, serviceStarter } from '../../edge/core/workflows/step-hosts'
import { GitRepoReader } from '../../edge/node/git-repo-reader'
import { jsFunction, manifest, repoWith } from '../helpers/gitops-fixtures'
import { createTestApp, type TestApp } from '../helpers/test-app'

let server: TestApp
let deps: GitopsDeps
const puts: { namespace: string; name: string; body: CronBody }[] = []
const removed: string[] = []
const secretNames = new Map<string, string[]>([['ports', ['API_KEY']]])

const CRONS = (schedule: string, extra = '') =>
  [
    '  crons:',
    '    - name: nightly',
    `      schedule: "${schedule}"`,
    '      target: { workflow: pipeline, input: { n: 1 } }',
    '    - name: ping',
    '      schedule: "*/5 * * * *"',
    '      target: { function: /ports/hello }',
    '  secrets: [API_KEY]',
    extra,
  ].join('\n')
const WORKFLOW = 'name: pipeline\nsteps:\n  - id: a\n    run: { runtime: js, code: "1" }\n'

function app(url: string, prune: boolean): Application {
  return {
    namespace: 'ports',
    name: 'site',
    source: { repoURL: url, branch: 'main', subdir: '' },
    syncPolicy: { intervalSeconds: 300, prune, selfHeal: false },
    sealedAuth: null,
    sealedWebhookSecret: null,
    allowLocal: true,
    target: 'ports',
    revision: null,
    commit: null,
    phase: 'OutOfSync',
    error: null,
    lastSync: null,
    lastPoll: 0,
    resources: [],
    createdAt: 0,
  }
}

beforeAll(async () => {
  server = await createTestApp({ volunteers: 0 })
  const o = server.orchestrator
  deps = {
    config: o.config,
    store: new ApplicationStore(server.sql),
    repos: new GitRepoReader(path.join(server.dataDir as string, 'gitops-ports')),
    secretBox: undefined,
    functions: o.functions,
    storage: o.storage,
    workflows: o.workflows,
    lookups: {
      hasFunction: functionCaller(o.functions).hasFunction,
      hasService: serviceStarter(o.services).hasService,
    },
    crons: {
      put: (namespace, name, body) => {
        puts.push({ namespace, name, body })
        return { created: true }
      },
      remove: (namespace, name) => {
        removed.push(`${namespace}/${name}`)
        return true
      },
    },
    secrets: { names: (namespace) => secretNames.get(namespace) ?? [] },
    sha256: o.sha256,
    durable: () => o.durable(),
  }
})

afterAll(async () => {
  await server.close()
})

describe('GitOps and the cron and secrets services', () => {
  it('puts crons (a workflow target by its id), again only when changed, and prunes them', async () => {
    const repo = repoWith({
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hi'), {
        static: false,
        workflow: true,
        extra: CRONS('0 3 * * *'),
      }),
      'workflows/pipeline.yaml': WORKFLOW,
    })
    const first = await runSync(deps, app(repo.url, true), {})
    expect(first).toMatchObject({ phase: 'Synced', error: null })
    const workflowId = (deps.workflows.list('ports', 10, 0).workflows[0] as { id: string }).id
    expect(puts).toEqual([
      {
        namespace: 'ports',
        name: 'nightly',
        body: expect.objectContaining({ target: { workflow: workflowId, input: { n: 1 } } }),
      },
      { namespace: 'ports', name: 'ping', body: expect.objectContaining({ timezone: 'UTC' }) },
    ])

    repo.push('main', {
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hi'), {
        static: false,
        workflow: true,
        extra: CRONS('0 4 * * *'),
      }),
    })
    puts.length = 0
    const stored = deps.store.get('ports', 'site') as Application
    const second = await runSync(deps, stored, {})
    expect(second.changes).toEqual([
      expect.objectContaining({ kind: 'cron', name: 'nightly', action: 'update' }),
    ])
    expect(puts.map((p) => p.name)).toEqual(['nightly'])

    repo.push('main', {
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hi'), { static: false }),
    })
    const third = await runSync(deps, deps.store.get('ports', 'site') as Application, {})
    expect(third.phase).toBe('Synced')
    expect(removed.sort()).toEqual(['ports/nightly', 'ports/ping'])
  })

  it('fails a sync whose secrets are missing or whose cron reaches another namespace', async () => {
    for (const [extra, field, why] of [
      ['  secrets: [API_KEY, MISSING]', 'spec.secrets.1', /MISSING/],
      [
        '  crons:\n    - name: x\n      schedule: "* * * * *"\n      target: { function: /bob/report }',
        'spec.crons.0.target.function',
        /namespace 'ports'/,
      ],
      [
        '  crons:\n    - name: x\n      schedule: "* * * * *"\n      target: { workflow: nowhere }',
        'spec.crons.0.target.workflow',
        /neither/,
      ],
      [
        '  crons:\n    - name: x\n      schedule: "every day"\n      target: { function: /ports/x }',
        'spec.crons.0.schedule',
        /./,
      ],
    ] as const) {
      const repo = repoWith({
        'zerverless.yaml': manifest('site', jsFunction('/never', 'x'), { static: false, extra }),
      })
      puts.length = 0
      const outcome = await runSync(deps, app(repo.url, false), {})
      expect(outcome.phase).toBe('Failed')
      expect(outcome.error).toMatchObject({ field, file: 'zerverless.yaml' })
      expect(outcome.error?.message).toMatch(why)
      expect(puts).toEqual([])
      expect(deps.functions.store.get('ports', '/never')).toBeUndefined()
    }
  })
})
