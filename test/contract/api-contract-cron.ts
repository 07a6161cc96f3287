/**
 * The API contract's cron triggers (see api-contract.ts): on every host a trigger fires its job on
 * schedule (on the Worker, from its room's alarm), shows the run with its status and ids, refuses
 * a bad expression with croner's reason, and stops once deleted.
 */
import { describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import type { ContractContext } from './api-contract-context'

interface RunView {
  id: string
  tick: string
  status: string
  job_id: string
}

export function describeContractCron(ctx: ContractContext): void {
  describe('cron triggers', () => {
    const at = '/api/cron/contract-cron/every-second'

    it('fires a job each tick, shows it with its status, and stops once deleted', async () => {
      const { client } = ctx
      const put = await client.put(at, {
        schedule: '* * * * * *',
        target: { job: { job_type: 'lua', code: 'return 5' } },
      })
      expect(put.status, JSON.stringify(put.body)).toBe(201)
      expect(put.body).toMatchObject({ name: 'every-second', namespace: 'contract-cron' })
      const runs = await eventually(
        async () => {
          const found = (await client.get(at)).body.runs as RunView[]
          return found.some((run) => run.status === 'completed') ? found : undefined
        },
        30_000,
        'a run to complete',
      )
      const done = runs.find((run) => run.status === 'completed') as RunView
      const tick = Date.parse(done.tick)
      expect(done.id).toBe(`cron:every-second:${tick}`)
      // On the Worker a job id carries its room (`r2-`).
      expect(done.job_id).toMatch(new RegExp(`^(r\\d+-)?cron:contract-cron:every-second:${tick}$`))
      expect((await client.get(`/api/jobs/${done.job_id}`)).body).toMatchObject({
        status: 'completed',
        result: 5,
      })
      const listed = (await client.get('/api/cron/contract-cron')).body
      expect(listed.crons.map((c: { name: string }) => c.name)).toEqual(['every-second'])
      expect((await client.delete(at)).status).toBe(204)
      expect((await client.get(at)).status).toBe(404)
      expect((await client.get('/api/cron/contract-cron')).body).toEqual({ crons: [], total: 0 })
    })

    it("refuses a bad expression with croner's reason", async () => {
      const res = await ctx.client.put(at, {
        schedule: '61 * * * *',
        target: { job: { job_type: 'lua', code: 'return 1' } },
      })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'schedule' })
      expect(res.body.error).toContain('minute')
    })
  })
}
