/**
 * The executor-trust contract's anonymous volunteers: the database keys they may reach, and the
 * jobs and functions that require a trusted executor (see executor-trust-contract.ts).
 */
import { describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import type { TrustContext } from './executor-trust-kit'
import { DB_SECRET, hostCall, open, volunteer, volunteerHello } from './executor-trust-kit'

export function describeTrustedVolunteers(ctx: TrustContext): void {
  describe('database access from anonymous volunteers', () => {
    it("refuses an anonymous volunteer's db calls for a job that did not allow them", async () => {
      expect((await ctx.alice.put('/api/db/alice/secretkey', { value: DB_SECRET })).status).toBe(
        200,
      )
      const anon = ctx.keep(await volunteer(ctx.host.wsUrl))
      const submitted = await ctx.alice.post('/api/jobs', {
        job_type: 'js',
        code: 'db.get("secretkey")',
        namespace: 'alice',
      })
      expect(submitted.status).toBe(201)
      const job = await anon.next('job')
      const list = await hostCall(anon, job, { op: 'db.list' })
      const get = await hostCall(anon, job, { op: 'db.get', key: 'secretkey' })
      const set = await hostCall(anon, job, { op: 'db.set', key: 'planted', value: 'evil' })
      const del = await hostCall(anon, job, { op: 'db.delete', key: 'secretkey' })
      expect(JSON.stringify([list, get, set, del])).not.toContain(DB_SECRET)
      for (const reply of [list, get, set, del]) {
        expect(reply.ok).toBe(false)
        expect(reply.error).toMatch(/untrusted_db/)
      }
      anon.complete(job, null)
      expect((await ctx.alice.get('/api/db/alice/planted')).status).toBe(404)
      expect((await ctx.alice.get('/api/db/alice/secretkey')).body.value).toBe(DB_SECRET)
      expect(submitted.body).toMatchObject({
        executor: 'any',
        untrusted_db: { read: [], write: [] },
      })
      anon.close()
      await anon.waitClosed()
    })

    it('lets an anonymous volunteer reach only the keys the submitter allowed', async () => {
      await ctx.alice.put('/api/db/alice/public-motd', { value: 'public' })
      const anon = ctx.keep(await volunteer(ctx.host.wsUrl))
      const submitted = await ctx.alice.post('/api/jobs', {
        job_type: 'js',
        code: '1',
        namespace: 'alice',
        untrusted_db: { read: ['public'], write: ['results-'] },
      })
      expect(submitted.body.untrusted_db).toEqual({ read: ['public'], write: ['results-'] })
      const job = await anon.next('job')
      expect(await hostCall(anon, job, { op: 'db.get', key: 'public-motd' })).toEqual({
        ok: true,
        value: 'public',
      })
      expect(await hostCall(anon, job, { op: 'db.list', prefix: 'public' })).toMatchObject({
        ok: true,
      })
      expect((await hostCall(anon, job, { op: 'db.get', key: 'secretkey' })).ok).toBe(false)
      expect((await hostCall(anon, job, { op: 'db.list' })).ok).toBe(false)
      expect((await hostCall(anon, job, { op: 'db.set', key: 'public-motd', value: 1 })).ok).toBe(
        false,
      )
      expect(await hostCall(anon, job, { op: 'db.set', key: 'results-1', value: 7 })).toEqual({
        ok: true,
        value: true,
      })
      // Writing is not reading: the job's own result key stays unreadable to it.
      expect((await hostCall(anon, job, { op: 'db.get', key: 'results-1' })).ok).toBe(false)
      anon.complete(job, null)
      expect((await ctx.alice.get('/api/db/alice/results-1')).body.value).toBe(7)
      expect((await ctx.alice.get('/api/db/alice/public-motd')).body.value).toBe('public')
      anon.close()
      await anon.waitClosed()
    })

    it('gives a trusted volunteer the whole namespace database, as before', async () => {
      const token = await ctx.issue(['alice'], ['volunteer'])
      const trusted = ctx.keep(await volunteer(ctx.host.wsUrl, token))
      await ctx.alice.post('/api/jobs', { job_type: 'js', code: '1', namespace: 'alice' })
      const job = await trusted.next('job')
      expect(await hostCall(trusted, job, { op: 'db.get', key: 'secretkey' })).toEqual({
        ok: true,
        value: DB_SECRET,
      })
      trusted.complete(job, null)
      trusted.close()
      await trusted.waitClosed()
    })
  })

  describe('jobs that require a trusted executor', () => {
    it('never gives one to an anonymous volunteer and runs it on a trusted one', async () => {
      const anon = ctx.keep(await volunteer(ctx.host.wsUrl))
      const needsTrust = await ctx.alice.post('/api/jobs', {
        job_type: 'js',
        code: '"trusted"',
        namespace: 'alice',
        executor: 'trusted',
      })
      expect(needsTrust.status, JSON.stringify(needsTrust.body)).toBe(201)
      expect(needsTrust.body).toMatchObject({ executor: 'trusted', status: 'pending' })
      // A younger ordinary job goes to the anonymous volunteer: it was free, and skipped the older one.
      const ordinary = await ctx.alice.post('/api/jobs', {
        job_type: 'js',
        code: '"any"',
        namespace: 'alice',
      })
      const given = await anon.next('job')
      expect(given.job_id).toBe(ordinary.body.id)
      anon.complete(given, 'any')
      await anon.expectNo('job', 300)
      const token = await ctx.issue(['alice'], ['volunteer'])
      const trusted = ctx.keep(await volunteer(ctx.host.wsUrl, token))
      const job = await trusted.next('job')
      expect(job.job_id).toBe(needsTrust.body.id)
      trusted.complete(job, 'trusted')
      const done = await ctx.alice.get(`/api/jobs/${needsTrust.body.id}?wait=10`)
      expect(done.body).toMatchObject({ status: 'completed', result: 'trusted' })
      expect(anon.frames.filter((f) => f.type === 'job').map((f) => f.job_id)).toEqual([
        ordinary.body.id,
      ])
      for (const v of [anon, trusted]) v.close()
    })

    it("narrows a bound volunteer to its token's namespaces", async () => {
      const token = await ctx.issue(['alice'], ['volunteer'])
      const forBob = await ctx.bob.post('/api/jobs', {
        job_type: 'js',
        code: '1',
        namespace: 'bob',
      })
      const bound = ctx.keep(await volunteer(ctx.host.wsUrl, token))
      const forAlice = await ctx.alice.post('/api/jobs', {
        job_type: 'js',
        code: '2',
        namespace: 'alice',
      })
      const job = await bound.next('job')
      expect(job.job_id).toBe(forAlice.body.id)
      bound.complete(job, 2)
      const listed = (await ctx.admin.get('/api/volunteers')).body.volunteers as any[]
      expect(listed.find((v) => v.id === bound.frames[0]?.volunteer_id)).toMatchObject({
        identity: 'token',
        trusted: true,
        namespaces: ['alice'],
      })
      // Asking only for namespaces the token does not cover is refused at hello.
      const elsewhere = ctx.keep(await open(ctx.host.wsUrl, volunteerHello(token, ['bob'])))
      expect((await elsewhere.next('error')).code).toBe('UNAUTHORIZED')
      expect((await elsewhere.waitClosed()).code).toBe(1008)
      bound.close()
      await bound.waitClosed()
      expect((await ctx.bob.get(`/api/jobs/${forBob.body.id}`)).body.status).toBe('pending')
      expect((await ctx.bob.delete(`/api/jobs/${forBob.body.id}`)).status).toBe(200)
    })

    it('refuses unknown executor and untrusted_db values, naming the field', async () => {
      const bad = await ctx.alice.post('/api/jobs', {
        job_type: 'js',
        code: '1',
        namespace: 'alice',
        executor: 'sometimes',
      })
      expect(bad).toMatchObject({ status: 400, body: { field: 'executor' } })
      const db = await ctx.alice.post('/api/jobs', {
        job_type: 'js',
        code: '1',
        namespace: 'alice',
        untrusted_db: 'everything',
      })
      expect(db).toMatchObject({ status: 400, body: { field: 'untrusted_db' } })
      const deploy = await ctx.alice.post('/api/deploy/alice/bad', {
        runtime: 'js',
        code: 'function handle() { return {body: "x"} }',
        executor: 'nobody',
      })
      expect(deploy).toMatchObject({ status: 400, body: { field: 'executor' } })
    })
  })

  describe('functions', () => {
    it('are not answered by anonymous volunteers unless deployed with executor "any"', async () => {
      const anon = ctx.keep(await volunteer(ctx.host.wsUrl, undefined, ['alice']))
      const deployed = await ctx.alice.post('/api/deploy/alice/private', {
        runtime: 'js',
        code: 'function handle() { return {body: "private"} }',
        timeout_seconds: 1,
      })
      expect(deployed.status).toBe(201)
      expect(deployed.body).toMatchObject({ executor: 'trusted' })
      const refused = await ctx.alice.get('/alice/private')
      expect(refused.status).toBeGreaterThanOrEqual(500)
      const open = await ctx.alice.post('/api/deploy/alice/open', {
        runtime: 'js',
        code: 'function handle() { return {body: "open"} }',
        executor: 'any',
      })
      expect(open.body).toMatchObject({ executor: 'any', untrusted_db: { read: [], write: [] } })
      const answered = ctx.alice.get('/alice/open?x=1', { cookie: 'session=alice-cookie' })
      const call = await anon.next('job')
      expect(call).toMatchObject({ mode: 'function', namespace: 'alice' })
      // The caller's credentials are not the stranger's business.
      expect(Object.keys(call.input_data.headers)).not.toContain('authorization')
      expect(Object.keys(call.input_data.headers)).not.toContain('cookie')
      anon.complete(call, { status: 200, body: 'from a stranger' })
      const response = await answered
      expect(response).toMatchObject({ status: 200, body: 'from a stranger' })
      expect(anon.frames.filter((f) => f.type === 'job')).toHaveLength(1)
      anon.close()
      await anon.waitClosed()
      await eventually(
        async () => (await ctx.admin.get('/api/volunteers')).body.total === 0 || undefined,
      )
    })
  })
}
