/**
 * The typed client: its generated types are what `npm run gen:client` writes from today's routes,
 * and it works against a real orchestrator process (auth on, one internal worker).
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientTypes, CLIENT_TYPES_FILE } from '../../scripts/gen-client'
import {
  createZerverlessClient,
  errorOf,
  orThrow,
  ZerverlessError,
} from '../../shared/client/client'
import { startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

describe('the generated client types', () => {
  it('are what npm run gen:client writes from the routes of today', async () => {
    const committed = readFileSync(CLIENT_TYPES_FILE, 'utf8')
    // On a difference: run `npm run gen:client` and commit shared/client/generated/api-types.ts.
    expect(
      committed === (await clientTypes()),
      'shared/client/generated/api-types.ts is stale',
    ).toBe(true)
  })
})

describe('the typed client against a real orchestrator', () => {
  const ADMIN = 'zv_admin_client-test-token-0123456789'
  let server: ZerverlessProcess

  beforeAll(async () => {
    server = await startZerverless(['--auth', 'on', '--workers', '1'], undefined, {
      ZERVERLESS_ADMIN_TOKEN: ADMIN,
    })
  })

  afterAll(async () => {
    await server?.stop()
  })

  it('submits a job, waits for it and reads it', async () => {
    const client = createZerverlessClient({ url: server.url, token: ADMIN })
    const submitted = orThrow(
      await client.POST('/api/jobs', {
        params: { query: { wait: '30' } },
        body: { job_type: 'js', code: 'INPUT.n * 2', input_data: { n: 21 } },
      }),
    )
    expect(submitted.status).toBe('completed')
    const job = orThrow(
      await client.GET('/api/jobs/{id}', { params: { path: { id: submitted.id } } }),
    )
    expect(job).toMatchObject({ id: submitted.id, status: 'completed', result: 42 })
  })

  it("turns the API's errors into values with status and code", async () => {
    const client = createZerverlessClient({ url: server.url, token: ADMIN })
    const missing = await client.GET('/api/jobs/{id}', { params: { path: { id: 'nope' } } })
    const error = errorOf(missing)
    expect(error).toBeInstanceOf(ZerverlessError)
    expect(error).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' })
    expect(errorOf(await client.GET('/health'))).toBeUndefined()

    const invalid = client.POST('/api/jobs', {
      body: { job_type: 'js', code: '' },
    })
    await expect(invalid.then(orThrow)).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      field: 'code',
    })
  })

  it('keeps the slashes of a nested {path}, encoding each segment, and rolls back with no body', async () => {
    const client = createZerverlessClient({ url: server.url, token: ADMIN })
    const at = { params: { path: { user: 'alice', path: 'api/hello world' } } }
    const code = (n: number) => `function handle() { return { n: ${n} } }`
    orThrow(
      await client.POST('/api/deploy/{user}/{path}', {
        ...at,
        body: { runtime: 'js', code: code(1) },
      }),
    )
    const second = orThrow(
      await client.POST('/api/deploy/{user}/{path}', {
        ...at,
        body: { runtime: 'js', code: code(2) },
      }),
    )
    expect(second).toMatchObject({ path: '/api/hello world', version: 2 })
    const back = orThrow(
      await client.POST('/api/deploy/{user}/{path}', {
        params: { path: { user: 'alice', path: 'api/hello world/rollback' } },
      }),
    )
    expect(back).toMatchObject({ path: '/api/hello world', version: 1 })
  })

  it('sends the token: without one, a write is refused', async () => {
    const anonymous = createZerverlessClient({ url: server.url })
    const refused = await anonymous.POST('/api/jobs', { body: { job_type: 'js', code: '1' } })
    expect(errorOf(refused)).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' })
    expect(orThrow(await anonymous.GET('/health'))).toEqual({ status: 'healthy' })
  })
})
