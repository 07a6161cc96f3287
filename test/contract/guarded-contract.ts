/**
 * The API contract of a host with auth on and no volunteer, run against the Node server and the
 * Worker under workerd: how tokens are read (any case of "Bearer", claims held to what was
 * issued), that a caller is checked before its request body is read, and that a function call
 * nobody can run is answered at once. The tests only speak HTTP and WebSocket.
 */
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest } from '../helpers/raw-http'
import { UploadClient, uploadFile } from '../helpers/upload-client'

export interface GuardedHost {
  url: string
  admin: string
  /** The secret the host signs API tokens with (as if it had leaked). */
  secret: Uint8Array
  /** Namespaces to try each check in: on the edge, one in room 0 and one in another room. */
  namespaces: string[]
  stop(): Promise<void>
}

interface Res {
  status: number
  headers: Headers
  body: any
}

export function describeGuardedContract(name: string, start: () => Promise<GuardedHost>): void {
  describe(`the API with auth on and no volunteer, on ${name}`, () => {
    let host: GuardedHost
    const call = async (
      method: string,
      route: string,
      options: { authorization?: string; token?: string; body?: string } = {},
    ): Promise<Res> => {
      const authorization =
        options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined)
      const res = await fetch(host.url + route, {
        method,
        headers: {
          ...(authorization && { authorization }),
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(options.body !== undefined && { body: options.body }),
        signal: AbortSignal.timeout(20_000),
      })
      const text = await res.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {
        // Not JSON: keep the text.
      }
      return { status: res.status, headers: res.headers, body }
    }
    const issue = async (grant: Record<string, unknown>) => {
      const res = await call('POST', '/api/tokens', {
        token: host.admin,
        body: JSON.stringify(grant),
      })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body as { token: string; id: string }
    }

    beforeAll(async () => {
      host = await start()
    }, 120_000)

    afterAll(async () => {
      await host?.stop()
    })

    it('takes the Bearer scheme in any letter case, on the API and on the upload socket', async () => {
      for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
        const res = await call('GET', '/api/tokens', { authorization: `${scheme} ${host.admin}` })
        expect(res.status, `${scheme}: ${JSON.stringify(res.body)}`).toBe(200)
      }
      for (const ns of host.namespaces) {
        const { token } = await issue({ namespaces: [ns], rights: ['db'] })
        const put = await call('PUT', `/api/db/${ns}/case`, {
          authorization: `bearer ${token}`,
          body: JSON.stringify({ value: 1 }),
        })
        expect(put.status, JSON.stringify(put.body)).toBe(200)
      }
      const socket = await UploadClient.open(host.url, host.admin, 'bearer')
      try {
        const { ended } = await uploadFile(socket, {
          group: 'case-group',
          serviceName: 'case-svc',
          filePath: 'run.sh',
          bytes: Buffer.from('#!/bin/sh\necho hi\n'),
          chunkSize: 1024,
          executable: true,
        })
        expect(ended).toMatchObject({ type: 'FILE_UPLOAD_FILE_COMPLETE' })
      } finally {
        await socket.close()
      }
    })

    it('refuses a token signed with the real secret whose claims widen what was issued', async () => {
      for (const ns of host.namespaces) {
        const { token } = await issue({
          namespaces: [ns],
          rights: ['db'],
          expires_in_seconds: 3600,
        })
        // The real token works (and, on the edge, its room now remembers it).
        const put = await call('PUT', `/api/db/${ns}/k`, {
          token,
          body: JSON.stringify({ value: 'mine' }),
        })
        expect(put.status).toBe(200)
        const claims = JSON.parse(
          Buffer.from(token.split('.')[1] as string, 'base64url').toString(),
        ) as Record<string, unknown>
        const sign = (body: Record<string, unknown>) =>
          new SignJWT(body).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(host.secret)
        const { exp: _exp, ...forever } = claims
        const widened: [string, string, string][] = [
          ['every namespace', await sign({ ...claims, ns: ['*'] }), `/api/db/${ns}/k`],
          ['another namespace', await sign({ ...claims, ns: [ns, 'zz-other'] }), `/api/db/${ns}/k`],
          [
            'another right',
            await sign({ ...claims, rights: ['db', 'storage'] }),
            `/api/db/${ns}/k`,
          ],
          ['no expiry', await sign(forever), `/api/db/${ns}/k`],
          [
            'a later expiry',
            await sign({ ...claims, exp: Number(claims.exp) + 3600 }),
            `/api/db/${ns}/k`,
          ],
        ]
        for (const [what, forged, route] of widened) {
          const res = await call('GET', route, { token: forged })
          expect(res.status, `${ns}, ${what}: ${JSON.stringify(res.body)}`).toBe(401)
          expect(res.body.code, what).toBe('INVALID_TOKEN')
        }
        // What the forged tokens would have reached.
        expect(
          (await call('GET', '/api/db/zz-other/k', { token: await sign({ ...claims, ns: ['*'] }) }))
            .status,
        ).toBe(401)
        expect((await call('GET', `/api/db/${ns}/k`, { token })).body).toMatchObject({
          value: 'mine',
        })
      }
    })

    it('checks the caller before reading a request body: 401, or 403 where it can tell', async () => {
      const [ns = 'guarded'] = host.namespaces
      const { token: dbOnly } = await issue({ namespaces: [ns], rights: ['db'] })
      const { token: jobs } = await issue({ namespaces: [ns], rights: ['jobs'] })
      const malformed = '{"job_type": '
      const attempts: [string, string, string | undefined, number][] = [
        ['POST', '/api/jobs', undefined, 401],
        ['POST', '/api/jobs/batch', undefined, 401],
        ['POST', '/api/wasm', undefined, 401],
        ['POST', '/api/services/standalone/from-local', undefined, 401],
        ['POST', '/api/services/standalone/from-git', undefined, 401],
        ['POST', '/api/tokens', undefined, 401],
        ['POST', `/api/deploy/${ns}/fn`, undefined, 401],
        ['PUT', `/api/db/${ns}/k`, undefined, 401],
        // A token that cannot submit anywhere, or not in the namespace the path names.
        ['POST', '/api/jobs', dbOnly, 403],
        ['POST', '/api/jobs/batch', dbOnly, 403],
        ['POST', '/api/services/standalone/from-local', dbOnly, 403],
        ['POST', '/api/tokens', dbOnly, 403],
        ['POST', `/api/deploy/${ns}/fn`, dbOnly, 403],
        ['PUT', '/api/db/zz-other/k', dbOnly, 403],
        // The control: a caller who may submit gets the 400 for the body.
        ['POST', '/api/jobs', jobs, 400],
      ]
      for (const [method, route, token, status] of attempts) {
        const res = await call(method, route, { body: malformed, ...(token && { token }) })
        expect(res.status, `${method} ${route}: ${JSON.stringify(res.body)}`).toBe(status)
      }
      // A body that never finishes arriving: the refusal comes without waiting for it.
      const unfinished: [string, string, string | undefined, number][] = [
        ['POST', '/api/jobs', undefined, 401],
        ['POST', '/api/wasm', undefined, 401],
        ['POST', `/api/deploy/${ns}/fn`, undefined, 401],
        ['PUT', `/api/storage/${ns}/big.bin`, undefined, 401],
        ['POST', '/api/jobs', dbOnly, 403],
        ['PUT', '/api/db/zz-other/k', dbOnly, 403],
      ]
      for (const [method, route, token, status] of unfinished) {
        const res = await rawRequest(host.url, {
          method,
          target: route,
          headers: {
            'content-type': 'application/json',
            'content-length': '1000000',
            ...(token && { authorization: `Bearer ${token}` }),
          },
          body: malformed,
          timeoutMs: 15_000,
        })
        expect(res.status, `${method} ${route} with an unfinished body: ${res.body}`).toBe(status)
      }
    })

    it('answers a function call that no volunteer can run with 503 NO_WORKER and Retry-After', async () => {
      for (const ns of host.namespaces) {
        const deployed = await call('POST', `/api/deploy/${ns}/lonely`, {
          token: host.admin,
          body: JSON.stringify({
            runtime: 'js',
            code: 'function handle() { return {body: "ran"} }',
            timeout_seconds: 120,
          }),
        })
        expect(deployed.status, JSON.stringify(deployed.body)).toBe(201)
        const res = await call('GET', `/${ns}/lonely`)
        expect(res.status, JSON.stringify(res.body)).toBe(503)
        expect(res.body).toMatchObject({ code: 'NO_WORKER', error: expect.any(String) })
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      }
    })

    it("keeps workflows and their runs to tokens of the workflow's namespace", async () => {
      const [mine, theirs] = host.namespaces as [string, string]
      const { token } = await issue({ namespaces: [mine], rights: ['jobs'] })
      const { token: other } = await issue({ namespaces: [theirs], rights: ['jobs'] })
      const doc = (namespace: string) =>
        JSON.stringify({
          name: 'guarded',
          namespace,
          steps: [{ id: 'a', run: { runtime: 'js', code: '1' } }],
        })
      const created = await call('POST', '/api/workflows', { token, body: doc(mine) })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const id = created.body.id as string
      const elsewhere = await call('POST', '/api/workflows', { token, body: doc(theirs) })
      expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(403)
      // No volunteer: the run is accepted and waits.
      const run = await call('POST', `/api/workflows/${id}/runs`, { token, body: '{}' })
      expect(run.status, JSON.stringify(run.body)).toBe(202)
      const runId = run.body.id as string
      for (const [method, route] of [
        ['GET', `/api/workflows/${id}`],
        ['POST', `/api/workflows/${id}/runs`],
        ['GET', `/api/workflow-runs/${runId}`],
        ['DELETE', `/api/workflow-runs/${runId}`],
        ['GET', `/api/workflows?namespace=${mine}`],
      ] as const) {
        const res = await call(method, route, {
          token: other,
          ...(method === 'POST' && { body: '{}' }),
        })
        expect(res.status, `${method} ${route}: ${JSON.stringify(res.body)}`).toBe(403)
        expect((await call(method, route)).status, `${method} ${route} without a token`).toBe(401)
      }
      expect((await call('GET', `/api/workflow-runs/${runId}`, { token })).body).toMatchObject({
        status: 'running',
        namespace: mine,
      })
      expect((await call('DELETE', `/api/workflow-runs/${runId}`, { token })).status).toBe(200)
    })
  })
}
