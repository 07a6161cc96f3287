/**
 * The workflow contract, written once and run against every host (the Node server and the Worker
 * under workerd, each with a real `zerverless --worker`): what a user relies on when defining,
 * running, cancelling and retrying workflows. The tests only speak HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import type { ContractHost } from './api-contract-context'
import { describeWorkflowDefinitions } from './workflow-contract-definitions'
import { WORKFLOW_NAMESPACES, workflowKit, type WorkflowKit } from './workflow-contract-kit'

export function describeWorkflowContract(name: string, start: () => Promise<ContractHost>): void {
  describe(`the workflow contract on ${name}`, () => {
    let target: ContractHost
    let client: ApiClient
    let kit: WorkflowKit
    const [A, B] = WORKFLOW_NAMESPACES

    beforeAll(async () => {
      target = await start()
      client = api(target.http)
      kit = workflowKit(target.http)
      await eventually(
        async () => ((await client.get('/stats')).body.volunteers?.idle ?? 0) >= 1 || undefined,
        30_000,
      )
    }, 120_000)

    afterAll(async () => {
      await target?.stop()
    })

    it('passes each result to the next step across runtimes', async () => {
      const runtimes = Object.keys((await client.get('/info')).body.runtimes ?? {})
      const python = runtimes.includes('python')
      const id = await kit.define({
        name: 'chain',
        namespace: A,
        steps: [
          { id: 'double', run: { runtime: 'js', code: '({ n: INPUT.n * 2 })' } },
          ...(python
            ? [
                {
                  id: 'square',
                  run: { runtime: 'python', code: '{"n": INPUT["n"] ** 2}' },
                  input: '${steps.double.result}',
                },
              ]
            : []),
          {
            id: 'describe',
            run: { runtime: 'lua', code: 'return "n=" .. tostring(INPUT.n)' },
            input: python ? '${steps.square.result}' : '${steps.double.result}',
          },
        ],
      })
      const run = await kit.runToEnd(id, { n: 3 })
      expect(run.status, JSON.stringify(run)).toBe('completed')
      expect(kit.step(run, 'double')).toMatchObject({ status: 'completed', result: { n: 6 } })
      expect(kit.step(run, 'describe').result).toBe(python ? 'n=36' : 'n=6')
      const [job] = kit.step(run, 'double').job_ids as string[]
      expect(job).toBe(`${run.id}.double.0.1`)
      expect((await client.get(`/api/jobs/${job}`)).body).toMatchObject({
        status: 'completed',
        namespace: A,
      })
    })

    it('fans out over 20 elements and sums them in element order', async () => {
      const id = await kit.define({
        name: 'map-reduce',
        namespace: B,
        steps: [
          {
            id: 'split',
            run: { runtime: 'js', code: 'Array.from({ length: INPUT.n }, (_, i) => i + 1)' },
          },
          {
            id: 'square',
            run: { runtime: 'js', code: 'INPUT.item * INPUT.item' },
            foreach: '${steps.split.result}',
          },
          {
            id: 'sum',
            run: {
              runtime: 'lua',
              code: 'local s = 0 for _, v in ipairs(INPUT.value) do s = s + v end return s',
            },
            input: '${steps.square.result}',
          },
        ],
      })
      const run = await kit.runToEnd(id, { n: 20 })
      expect(run.status, JSON.stringify(run)).toBe('completed')
      const square = kit.step(run, 'square')
      expect(square.result).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) ** 2))
      expect(square.elements).toMatchObject({ total: 20, completed: 20 })
      expect(square.batch_id).toBe(`${run.id}.square`)
      expect(kit.step(run, 'sum').result).toBe(2870)
      const batch = await client.get(`/api/jobs/batch/${square.batch_id}`)
      expect(batch.body).toMatchObject({ total: 20, completed: 20 })
    })

    it('runs workflows of two namespaces at the same time', async () => {
      const fanOut = (namespace: string) =>
        kit.define({
          name: 'both',
          namespace,
          steps: [
            {
              id: 'each',
              run: { runtime: 'js', code: 'INPUT.item + 1' },
              foreach: [1, 2, 3, 4, 5, 6],
            },
            {
              id: 'then',
              run: { runtime: 'lua', code: 'return #INPUT.value' },
              input: { value: '${steps.each.result}' },
            },
          ],
        })
      const ids = await Promise.all([fanOut(A), fanOut(B)])
      const runs = await Promise.all(ids.map((id) => kit.runToEnd(id)))
      for (const run of runs) {
        expect(run.status, JSON.stringify(run)).toBe('completed')
        expect(kit.step(run, 'each').result).toEqual([2, 3, 4, 5, 6, 7])
        expect(kit.step(run, 'then').result).toBe(6)
      }
      expect(runs.map((r) => r.namespace)).toEqual([A, B])
    })

    it("calls a function of the workflow's namespace with a templated JSON body", async () => {
      const deployed = await client.post(`/api/deploy/${A}/double`, {
        runtime: 'js',
        code: 'function handle(req) { const b = JSON.parse(req.body); return {status: 201, headers: {"content-type": "application/json"}, body: JSON.stringify({twice: b.n * 2, method: req.method})} }',
      })
      expect(deployed.status, JSON.stringify(deployed.body)).toBe(201)
      const id = await kit.define({
        name: 'calls',
        namespace: A,
        steps: [
          { id: 'call', run: { function: `/${A}/double`, body: { n: '${input.n}' } } },
          {
            id: 'after',
            run: { runtime: 'js', code: 'INPUT.value + 1' },
            input: { value: '${steps.call.result.body.twice}' },
          },
        ],
      })
      const run = await kit.runToEnd(id, { n: 21 })
      expect(run.status, JSON.stringify(run)).toBe('completed')
      const call = kit.step(run, 'call')
      expect(call).toMatchObject({ status: 'completed', kind: 'function' })
      expect(call.result.status).toBe(201)
      expect(call.result.body).toEqual({ twice: 42, method: 'POST' })
      expect(kit.step(run, 'after').result).toBe(43)
    })

    it('retries a step that fails on its first attempt', async () => {
      const id = await kit.define({
        name: 'flaky',
        namespace: B,
        steps: [
          {
            id: 'flaky',
            run: {
              runtime: 'js',
              code: 'const n = (db.get(INPUT.key) || 0) + 1; db.set(INPUT.key, n); if (n < 2) throw new Error("first attempt fails"); n',
            },
            retries: { limit: 2, delay_seconds: 0 },
          },
        ],
      })
      const run = await kit.runToEnd(id, { key: `flaky-${Date.now()}` })
      expect(run.status, JSON.stringify(run)).toBe('completed')
      const flaky = kit.step(run, 'flaky')
      expect(flaky).toMatchObject({ status: 'completed', attempts: 2, result: 2 })
      expect(flaky.job_ids).toEqual([`${run.id}.flaky.0.1`, `${run.id}.flaky.0.2`])
      expect((await client.get(`/api/jobs/${flaky.job_ids[0]}`)).body.status).toBe('failed')
    })

    it('goes on past a step that may fail, and skips what needed it', async () => {
      const id = await kit.define({
        name: 'tolerant',
        namespace: A,
        steps: [
          {
            id: 'bad',
            run: { runtime: 'js', code: 'throw new Error("boom")' },
            retries: { limit: 1, delay_seconds: 0 },
            on_failure: 'continue',
          },
          { id: 'after', run: { runtime: 'js', code: '1' }, needs: ['bad'] },
          { id: 'other', run: { runtime: 'lua', code: 'return 2' } },
        ],
      })
      const run = await kit.runToEnd(id)
      expect(run.status, JSON.stringify(run)).toBe('completed')
      expect(kit.step(run, 'bad')).toMatchObject({ status: 'failed', attempts: 2 })
      expect(kit.step(run, 'bad').error.message).toContain('boom')
      expect(kit.step(run, 'after').status).toBe('skipped')
      expect(kit.step(run, 'other')).toMatchObject({ status: 'completed', result: 2 })
    })

    it('cancels a running run and its job', async () => {
      const id = await kit.define({
        name: 'spin',
        namespace: B,
        steps: [
          {
            id: 'spin',
            run: { runtime: 'js', code: 'while (true) {}' },
            timeout_seconds: 60,
          },
          { id: 'never', run: { runtime: 'js', code: '1' }, needs: ['spin'] },
        ],
      })
      const run = await kit.start(id)
      const job = `${run.id}.spin.0.1`
      await eventually(
        async () => (await client.get(`/api/jobs/${job}`)).body.status === 'running',
        20_000,
        'the spinning job to run',
      )
      const cancelled = await client.delete(`/api/workflow-runs/${run.id}`)
      expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200)
      expect(cancelled.body.status).toBe('cancelled')
      expect(kit.step(cancelled.body, 'spin').status).toBe('cancelled')
      expect(kit.step(cancelled.body, 'never').status).toBe('cancelled')
      expect((await client.get(`/api/jobs/${job}`)).body.status).toBe('cancelled')
      const again = await client.delete(`/api/workflow-runs/${run.id}`)
      expect(again).toMatchObject({ status: 409, body: { code: 'RUN_FINISHED' } })
      // The worker is free again: a job after it runs.
      expect(await client.run({ job_type: 'js', code: '7', namespace: B })).toMatchObject({
        status: 'completed',
        result: 7,
      })
    })

    it('retries a failed run: only the failed step runs again', async () => {
      const flag = `go-${Date.now()}`
      const id = await kit.define({
        name: 'gated',
        namespace: A,
        steps: [
          {
            id: 'first',
            run: { runtime: 'js', code: 'db.set(INPUT.key, (db.get(INPUT.key) || 0) + 1); 5' },
            input: { key: `${flag}-first` },
          },
          {
            id: 'gate',
            run: {
              runtime: 'js',
              code: 'if (!db.get(INPUT.flag)) throw new Error("closed"); INPUT.n * 2',
            },
            input: { flag, n: '${steps.first.result}' },
          },
        ],
      })
      const failed = await kit.runToEnd(id)
      expect(failed.status, JSON.stringify(failed)).toBe('failed')
      expect(failed.error).toContain('gate')
      expect(kit.step(failed, 'gate').status).toBe('failed')
      const opened = await kit.put(`/api/db/${A}/${flag}`, { value: true })
      expect(opened.status, JSON.stringify(opened.body)).toBe(200)
      const retried = await client.post(`/api/workflow-runs/${failed.id}/retry`, {})
      expect(retried.status, JSON.stringify(retried.body)).toBe(202)
      const done = (await client.get(`/api/workflow-runs/${failed.id}?wait=30`)).body
      expect(done.status, JSON.stringify(done)).toBe('completed')
      expect(kit.step(done, 'first')).toMatchObject({ attempts: 1, result: 5 })
      expect(kit.step(done, 'gate')).toMatchObject({ attempts: 2, result: 10 })
      expect((await client.get(`/api/db/${A}/${flag}-first`)).body.value).toBe(1)
      const again = await client.post(`/api/workflow-runs/${failed.id}/retry`, {})
      expect(again).toMatchObject({ status: 409, body: { code: 'RUN_NOT_FAILED' } })
    })

    it('starts a run once for one caller id', async () => {
      const id = await kit.define({
        name: 'once',
        namespace: B,
        steps: [{ id: 'one', run: { runtime: 'js', code: 'INPUT.v' } }],
      })
      const first = await client.post(`/api/workflows/${id}/runs`, {
        id: 'nightly-1',
        input: { v: 1 },
      })
      expect(first.status, JSON.stringify(first.body)).toBe(202)
      const second = await client.post(`/api/workflows/${id}/runs`, {
        id: 'nightly-1',
        input: { v: 2 },
      })
      expect(second.status).toBe(200)
      expect(second.body.id).toBe(first.body.id)
      const done = (await client.get(`/api/workflow-runs/${first.body.id}?wait=30`)).body
      expect(kit.step(done, 'one').result).toBe(1)
      // Another caller id is another run (whatever shape run ids take, they route to its room).
      const other = await client.post(`/api/workflows/${id}/runs`, { id: 'nightly-2' })
      expect(other.status, JSON.stringify(other.body)).toBe(202)
      expect(other.body.id).not.toBe(first.body.id)
      expect((await client.get(`/api/workflow-runs/${other.body.id}?wait=30`)).body.status).toBe(
        'completed',
      )
      const runs = (await client.get(`/api/workflows/${id}/runs`)).body
      expect(runs.total).toBe(2)
    })

    it("answers the seed's /execute and /workflow-executions/{id}/status", async () => {
      const id = await kit.define({
        name: 'seed',
        namespace: A,
        steps: [{ id: 'hello', run: { runtime: 'js', code: '"hello"' } }],
      })
      const started = await client.post(`/api/workflows/${id}/execute`, {})
      expect(started.status, JSON.stringify(started.body)).toBe(202)
      expect(started.body).toMatchObject({ workflow_id: id, status: 'running' })
      const execution = started.body.execution_id as string
      await client.get(`/api/workflow-runs/${execution}?wait=30`)
      const status = await client.get(`/api/workflow-executions/${execution}/status`)
      expect(status.status).toBe(200)
      expect(status.body).toMatchObject({
        execution: { id: execution, status: 'completed' },
        jobs: [{ id: 'hello', status: 'completed', result: 'hello' }],
        total: 1,
      })
    })

    it('logs run and step changes as JSON lines', async () => {
      const logs = target.logs
      if (!logs) return
      const id = await kit.define({
        name: 'logged',
        namespace: A,
        steps: [{ id: 'noted', run: { runtime: 'js', code: '1' } }],
      })
      const run = await kit.runToEnd(id)
      const lines = await eventually(
        () => {
          const mine = logs()
            .split('\n')
            .filter((line) => line.includes(run.id))
          return mine.some((line) => line.includes('workflow run completed')) ? mine : undefined
        },
        10_000,
        'the log lines of the run',
      )
      expect(lines.some((line) => /"msg":"workflow run started"/.test(line))).toBe(true)
      expect(lines.some((line) => /"msg":"workflow step started".*"step":"noted"/.test(line))).toBe(
        true,
      )
    })

    describeWorkflowDefinitions(() => ({ client, kit, host: target.host }))
  })
}
