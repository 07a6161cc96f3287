/**
 * The workflow contract's definitions (see workflow-contract.ts): listing by namespace, versions
 * that runs keep, deleting, and the bad documents the API refuses with the reason.
 */
import { describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import type { ContractHost } from './api-contract-context'
import { HOME_NAMESPACE, WORKFLOW_NAMESPACES, type WorkflowKit } from './workflow-contract-kit'

interface DefinitionsContext {
  client: ApiClient
  kit: WorkflowKit
  host: ContractHost['host']
}

export function describeWorkflowDefinitions(ctx: () => DefinitionsContext): void {
  const [A, B] = WORKFLOW_NAMESPACES
  const one = (name: string, namespace: string, code = '1') => ({
    name,
    namespace,
    steps: [{ id: 'only', run: { runtime: 'js', code } }],
  })

  describe('definitions', () => {
    it('lists workflows by namespace', async () => {
      const { client, kit } = ctx()
      const a = await kit.define(one('listed-a', A))
      const b = await kit.define(one('listed-b', B))
      const inA = (await client.get(`/api/workflows?namespace=${A}`)).body
      const inB = (await client.get(`/api/workflows?namespace=${B}`)).body
      const ids = (list: { workflows: { id: string }[] }) => list.workflows.map((w) => w.id)
      expect(ids(inA)).toContain(a)
      expect(ids(inA)).not.toContain(b)
      expect(ids(inB)).toContain(b)
      expect(ids(inB)).not.toContain(a)
      expect(inA.workflows.every((w: { namespace: string }) => w.namespace === A)).toBe(true)
      expect(inA.total).toBe(inA.workflows.length)
      // Without a namespace (an operator's call): the default namespace's, paged like the rest.
      const d = await kit.define({ ...one('listed-default', 'default'), namespace: undefined })
      const inDefault = await client.get('/api/workflows?limit=5')
      expect(inDefault.status).toBe(200)
      expect(inDefault.body).toMatchObject({ total: 1, limit: 5, offset: 0 })
      expect(ids(inDefault.body)).toEqual([d])
    })

    it('makes version 2 with a PUT while a run started on version 1 keeps it', async () => {
      const { client, kit } = ctx()
      const version = (v: string) => ({
        name: 'versioned',
        namespace: B,
        steps: [
          // Long enough for the PUT to land while the run is on its first step.
          {
            id: 'wait',
            run: {
              runtime: 'js',
              code: 'const t = Date.now(); while (Date.now() - t < 1500) {} 1',
            },
          },
          { id: 'say', run: { runtime: 'js', code: JSON.stringify(v) }, needs: ['wait'] },
        ],
      })
      const id = await kit.define(version('v1'))
      const first = await kit.start(id)
      const put = await ctx().kit.put(`/api/workflows/${id}`, version('v2'))
      expect(put.status, JSON.stringify(put.body)).toBe(200)
      expect(put.body.version).toBe(2)
      const done = (await client.get(`/api/workflow-runs/${first.id}?wait=30`)).body
      expect(done).toMatchObject({ status: 'completed', workflow_version: 1 })
      expect(kit.step(done, 'say').result).toBe('v1')
      expect((await client.get(`/api/workflows/${id}`)).body).toMatchObject({ version: 2 })
      const second = await kit.runToEnd(id)
      expect(second.workflow_version).toBe(2)
      expect(kit.step(second, 'say').result).toBe('v2')
    })

    it('deletes a workflow; its runs stay readable', async () => {
      const { client, kit } = ctx()
      const id = await kit.define(one('doomed', A, '"bye"'))
      const run = await kit.runToEnd(id)
      expect((await client.delete(`/api/workflows/${id}`)).status).toBe(204)
      const gone = await client.get(`/api/workflows/${id}`)
      expect(gone).toMatchObject({ status: 404, body: { code: 'WORKFLOW_NOT_FOUND' } })
      expect((await client.get(`/api/workflow-runs/${run.id}`)).body.status).toBe('completed')
      expect((await client.delete(`/api/workflows/${id}`)).status).toBe(404)
    })

    it('answers unknown workflows and runs with 404', async () => {
      const { client } = ctx()
      for (const path of [
        '/api/workflows/r1-wf-nothing',
        '/api/workflows/nothing',
        '/api/workflow-runs/r3-run-nothing',
        '/api/workflow-executions/nothing/status',
      ]) {
        const res = await client.get(path)
        expect(res.status, path).toBe(404)
        expect(res.body.code, path).toMatch(/^WORKFLOW_(RUN_)?NOT_FOUND$/)
      }
    })

    it('refuses bad definitions with the reason', async () => {
      const { client } = ctx()
      const refused = async (doc: object, says: RegExp) => {
        const res = await client.post('/api/workflows', doc)
        expect(res.status, JSON.stringify(res.body)).toBe(400)
        expect(res.body.code).toBe('INVALID_WORKFLOW')
        expect(res.body.error).toMatch(says)
      }
      const js = { runtime: 'js', code: '1' }
      await refused(
        {
          name: 'cycle',
          namespace: A,
          steps: [
            { id: 'a', run: js, needs: ['b'] },
            { id: 'b', run: js, needs: ['a'] },
          ],
        },
        /cycle/,
      )
      const cycle = await client.post('/api/workflows', {
        name: 'cycle',
        namespace: A,
        steps: [
          { id: 'a', run: js, needs: ['b'] },
          { id: 'b', run: js, needs: ['a'] },
        ],
      })
      expect(cycle.body.error).toMatch(/\ba\b.*\bb\b.*\ba\b|\bb\b.*\ba\b.*\bb\b/)
      await refused(
        { name: 'needs', namespace: A, steps: [{ id: 'a', run: js, needs: ['ghost'] }] },
        /ghost/,
      )
      await refused(
        {
          name: 'template',
          namespace: B,
          steps: [{ id: 'a', run: js, input: { x: '${steps.ghost.result}' } }],
        },
        /ghost/,
      )
      await refused(
        {
          name: 'function',
          namespace: B,
          steps: [{ id: 'a', run: { function: `/${B}/missing` } }],
        },
        new RegExp(`no function is deployed at /${B}/missing`),
      )
    })

    it('says which native steps a workflow of this namespace can run', async () => {
      const { client, host } = ctx()
      const native = (namespace: string) =>
        client.post('/api/workflows', {
          name: 'native',
          namespace,
          steps: [{ id: 'a', run: { service: 'no-such-service' } }],
        })
      const away = await native(A)
      expect(away.status, JSON.stringify(away.body)).toBe(400)
      expect(away.body).toMatchObject({ code: 'INVALID_WORKFLOW', field: 'steps.0.run.service' })
      // The edge keeps services and runners in its home room, which A is not in.
      expect(away.body.error).toMatch(
        host === 'workers' ? /service steps.*home room.*js, lua, python, wasm/ : /no-such-service/,
      )
      // In the home room (and on Node) a service step is looked up like any other name.
      const home = await native(HOME_NAMESPACE)
      expect(home.status, JSON.stringify(home.body)).toBe(400)
      expect(home.body).toMatchObject({ code: 'INVALID_WORKFLOW', field: 'steps.0.run.service' })
      expect(home.body.error).toMatch(/has no service "no-such-service"/)
    })
  })
}
