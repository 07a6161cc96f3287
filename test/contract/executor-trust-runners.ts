/** The executor-trust contract's runners and uploaded services (see executor-trust-contract.ts). */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import type { Frame } from '../helpers/scripted-volunteer'
import { UploadClient, uploadFile } from '../helpers/upload-client'
import type { TrustContext } from './executor-trust-kit'
import {
  DB_SECRET,
  GIT_PASSWORD,
  open,
  playAlong,
  runnerHello,
  STDIN_SECRET,
} from './executor-trust-kit'

export function describeTrustedRunners(ctx: TrustContext): void {
  describe('runners', () => {
    it('refuses an anonymous runner: no git password, environment, stdin or job token reaches it', async () => {
      const fake = ctx.keep(await open(ctx.host.runnerWsUrl, runnerHello('fake-anon-runner')))
      playAlong(fake)
      // Its hello has been answered (welcomed or refused) before alice comes along.
      await eventually(() => fake.frames.length > 0 || undefined)
      // The attack: alice registers a repository with credentials and secrets, then runs it.
      const created = await ctx.alice.post('/api/services/standalone/from-git', {
        service_name: 'alice-app',
        namespace: 'alice',
        repo_url: 'https://git.example.org/alice/app.git',
        executable_path: 'run.sh',
        username: 'alice',
        password: GIT_PASSWORD,
        environment_variables: { DB_PASSWORD: DB_SECRET },
      })
      const run =
        created.status === 201
          ? await ctx.alice.post(`/api/services/standalone/${created.body.service.id}/run`, {
              stdin: STDIN_SECRET,
            })
          : undefined
      const finished =
        run?.status === 202
          ? await ctx.alice.get(`/api/jobs/${run.body.job.id}?wait=10`)
          : undefined
      const seen = JSON.stringify(fake.frames)
      expect(seen).not.toContain(GIT_PASSWORD)
      expect(seen).not.toContain(DB_SECRET)
      expect(seen).not.toContain(STDIN_SECRET)
      expect(fake.frames.filter((f) => f.type === 'job')).toEqual([])
      expect(finished?.body.status).not.toBe('completed')
      expect(fake.frames.map((f) => f.type)).toEqual(['error'])
      expect(fake.frames[0]).toMatchObject({ code: 'UNAUTHORIZED' })
      expect((await fake.waitClosed()).code).toBe(1008)
      expect(created).toMatchObject({ status: 503, body: { code: 'NO_RUNNERS' } })
      expect((await ctx.admin.get('/api/peers')).body.total).toBe(0)
    })

    it('refuses a runner whose token is not a runner credential', async () => {
      const jobsOnly = await ctx.issue(['alice'], ['jobs'])
      const fake = ctx.keep(
        await open(ctx.host.runnerWsUrl, runnerHello('fake-jobs-token', jobsOnly)),
      )
      const error = await fake.next('error')
      expect(error.code).toBe('UNAUTHORIZED')
      expect(error.message).toMatch(/runner/)
      expect((await fake.waitClosed()).code).toBe(1008)
      const forged = ctx.keep(
        await open(ctx.host.runnerWsUrl, runnerHello('fake-forged', 'eyJhbGciOiJub25lIn0.e30.')),
      )
      expect((await forged.next('error')).code).toBe('UNAUTHORIZED')
      expect((await forged.waitClosed()).code).toBe(1008)
    })

    it("gives a runner bound to bob nothing of alice's, and bob's own work with its secrets", async () => {
      const token = await ctx.issue(['bob'], ['runner'])
      const runner = ctx.keep(await open(ctx.host.runnerWsUrl, runnerHello('bobs-runner', token)))
      playAlong(runner)
      await runner.next('welcome')
      const forAlice = await ctx.alice.post('/api/services/standalone/from-git', {
        service_name: 'alice-second',
        namespace: 'alice',
        repo_url: 'https://git.example.org/alice/app.git',
        executable_path: 'run.sh',
        username: 'alice',
        password: GIT_PASSWORD,
        environment_variables: { DB_PASSWORD: DB_SECRET },
      })
      expect(forAlice).toMatchObject({ status: 503, body: { code: 'NO_RUNNERS' } })
      const named = await ctx.alice.post('/api/services/standalone/from-local', {
        service_name: 'alice-local',
        namespace: 'alice',
        executable_path: '/bin/true',
        peer_id: 'bobs-runner',
      })
      expect(named).toMatchObject({ status: 403, body: { code: 'RUNNER_NOT_ALLOWED' } })
      expect(JSON.stringify(runner.frames)).not.toContain(GIT_PASSWORD)
      // Bob's own service reaches it, credentials, environment and stdin included.
      const created = await ctx.bob.post('/api/services/standalone/from-git', {
        service_name: 'bob-app',
        namespace: 'bob',
        repo_url: 'https://git.example.org/bob/app.git',
        executable_path: 'run.sh',
        username: 'bob',
        password: 'bobs-git-password',
        environment_variables: { DB_PASSWORD: 'bobs-db' },
      })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const run = await ctx.bob.post(`/api/services/standalone/${created.body.service.id}/run`, {
        stdin: 'bobs input',
      })
      expect(run.status).toBe(202)
      const done = await ctx.bob.get(`/api/jobs/${run.body.job.id}?wait=10`)
      expect(done.body).toMatchObject({ status: 'completed', result: { forged: true } })
      const job = runner.frames.find((f) => f.type === 'job') as Frame
      expect(job.namespace).toBe('bob')
      expect(job.native).toMatchObject({
        stdin: 'bobs input',
        environment_variables: { DB_PASSWORD: 'bobs-db' },
      })
      const register = runner.frames.find((f) => f.type === 'service_register') as Frame
      expect(register.git).toMatchObject({ password: 'bobs-git-password' })
      const peers = (await ctx.admin.get('/api/peers')).body
      expect(peers.total).toBe(1)
      runner.close()
      await runner.waitClosed()
    })
  })

  describe('uploaded services', () => {
    it("keeps an uploader to its token's namespaces: bob cannot add to or replace alice's", async () => {
      const upload = async (token: string, group: string, service: Record<string, unknown>) => {
        const client = await UploadClient.open(ctx.host.url, token)
        await uploadFile(client, {
          group,
          serviceName: group,
          filePath: 'run.sh',
          bytes: Buffer.from(`#!/bin/sh\necho ${group}\n`),
          chunkSize: 1024,
          executable: true,
          service,
        })
        const done = await client.next()
        await client.close()
        return done
      }
      const aliceToken = await ctx.issue(['alice'], ['services'])
      const mine = await upload(aliceToken, 'alice-tool', { namespace: 'alice' })
      expect(mine).toMatchObject({ type: 'FILE_UPLOAD_COMPLETE' })
      const id = (mine.payload as { service_id: number }).service_id
      // Bob's token covers bob: writing a service into alice's namespace is refused ...
      const planted = await upload(ctx.bobToken, 'planted', { namespace: 'alice' })
      expect(planted).toMatchObject({
        type: 'FILE_UPLOAD_ERROR',
        payload: { code: 'SERVICE_FAILED' },
      })
      // ... and so is replacing alice's executable, which her runs would then execute.
      const replace = await UploadClient.open(ctx.host.url, ctx.bobToken)
      const { sessionId } = await replace
        .request(
          {
            type: 'FILE_UPLOAD_START',
            payload: {
              upload_group_id: 'takeover-2',
              service_id: id,
              filename: 'run.sh',
              file_path: 'run.sh',
              file_index: 0,
              total_files: 1,
              total_size: 1,
              total_chunks: 1,
              chunk_size: 1024,
            },
          },
          'FILE_UPLOAD_PROGRESS',
        )
        .then((p) => ({ sessionId: p.session_id }))
      await replace.request(
        {
          type: 'FILE_UPLOAD_CHUNK',
          payload: { session_id: sessionId, chunk_index: 0, data: 'eA==' },
        },
        'FILE_UPLOAD_PROGRESS',
      )
      replace.send({ type: 'FILE_UPLOAD_END', payload: { session_id: sessionId } })
      expect((await replace.next()).type).toBe('FILE_UPLOAD_FILE_COMPLETE')
      expect(await replace.next()).toMatchObject({
        type: 'FILE_UPLOAD_ERROR',
        payload: { code: 'SERVICE_FAILED' },
      })
      await replace.close()
      const details = await ctx.alice.get(`/api/services/standalone/${id}/details`)
      expect(details.body.service).toMatchObject({ namespace: 'alice' })
      expect(JSON.stringify(details.body)).toContain(
        createHash('sha256').update('#!/bin/sh\necho alice-tool\n').digest('hex'),
      )
      expect((await ctx.admin.get('/api/services/standalone?namespace=alice')).body.total).toBe(1)
    })
  })
}
