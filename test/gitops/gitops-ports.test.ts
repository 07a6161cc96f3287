/**
 * What a sync does with the cron and secrets services, over a real core (in process), its real
 * cron and secrets services, and real git: crons are put with the manifest's workflow's id,
 * changed only when changed, pruned with prune; named secrets must exist; a cron may not reach
 * into another namespace.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApplicationStore, type Application } from '../../edge/core/gitops/application-store'
import type { GitopsDeps } from '../../edge/core/gitops/gitops-deps'
import { runSync } from '../../edge/core/gitops/sync-run'
import { functionCaller, serviceStarter } from '../../edge/core/workflows/step-hosts'
import { GitRepoReader } from '../../edge/node/git-repo-reader'
import { jsFunction, manifest, repoWith } from '../helpers/gitops-fixtures'
import { createTestApp, type TestApp } from '../helpers/test-app'

let server: TestApp
let deps: GitopsDeps
/** The triggers namespace `ports` has, with what they target. */
const crons = () =>
  server.orchestrator.crons
    .list('ports')
    .crons.map((c) => ({ name: c.name, schedule: c.schedule, target: c.target }))

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
  await o.secrets?.put('ports', 'API_KEY', 'sk-ports')
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
    crons: o.crons,
    secrets: o.secrets,
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
    expect(crons()).toEqual([
      { name: 'nightly', schedule: '0 3 * * *', target: { workflow: workflowId, input: { n: 1 } } },
      { name: 'ping', schedule: '*/5 * * * *', target: { function: '/ports/hello' } },
    ])
    const pingSince = server.orchestrator.crons.view('ports', 'ping').updated_at

    repo.push('main', {
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hi'), {
        static: false,
        workflow: true,
        extra: CRONS('0 4 * * *'),
      }),
    })
    const stored = deps.store.get('ports', 'site') as Application
    const second = await runSync(deps, stored, {})
    expect(second.changes).toEqual([
      expect.objectContaining({ kind: 'cron', name: 'nightly', action: 'update' }),
    ])
    expect(crons().map((c) => c.schedule)).toEqual(['0 4 * * *', '*/5 * * * *'])
    // The trigger that did not change was not put again.
    expect(server.orchestrator.crons.view('ports', 'ping').updated_at).toBe(pingSince)

    repo.push('main', {
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hi'), { static: false }),
    })
    const third = await runSync(deps, deps.store.get('ports', 'site') as Application, {})
    expect(third.phase).toBe('Synced')
    expect(crons()).toEqual([])
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
      const outcome = await runSync(deps, app(repo.url, false), {})
      expect(outcome.phase).toBe('Failed')
      expect(outcome.error).toMatchObject({ field, file: 'zerverless.yaml' })
      expect(outcome.error?.message).toMatch(why)
      expect(crons()).toEqual([])
      expect(deps.functions.store.get('ports', '/never')).toBeUndefined()
    }
  })
})
