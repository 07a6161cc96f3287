/**
 * `zerverless kv`, `storage`, `tokens`, `secrets` and `init` against a real orchestrator with
 * auth on: the admin's token, a namespace token that sees only its own, values in and out.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliAt, runCli } from '../helpers/cli-process'
import {
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const ADMIN = 'zv_admin_cli_test_token_0123456789'
let server: ZerverlessProcess
let admin: ReturnType<typeof cliAt>
const dir = tempDir('zv-cli-data-')

beforeAll(async () => {
  server = await startZerverless(['--workers', '1', '--auth', 'on'], undefined, {
    ZERVERLESS_ADMIN_TOKEN: ADMIN,
  })
  admin = cliAt(server.url, ADMIN)
})

afterAll(async () => {
  await server.stop()
  removeDir(server.dataDir)
  removeDir(dir)
})

describe('zerverless kv', () => {
  it('puts, gets, lists and deletes JSON values', async () => {
    expect((await admin.run(['kv', 'put', 'alice', 'count', '41'])).code).toBe(0)
    expect((await admin.run(['kv', 'put', 'alice', 'name', 'Ada', '--string'])).code).toBe(0)
    expect((await admin.run(['kv', 'get', 'alice', 'name'])).stdout).toBe('Ada\n')
    expect((await admin.json(['kv', 'get', 'alice', 'count'])).json()).toMatchObject({
      value: 41,
      exists: true,
    })
    expect((await admin.json(['kv', 'list', 'alice'])).json()).toMatchObject({
      keys: ['count', 'name'],
      count: 2,
    })
    expect((await admin.json(['kv', 'list', 'alice', '--prefix', 'na'])).json()).toMatchObject({
      keys: ['name'],
    })
    expect((await admin.run(['kv', 'delete', 'alice', 'count'])).code).toBe(0)
    const gone = await admin.run(['kv', 'get', 'alice', 'count'])
    expect(gone.code).toBe(2)
    expect(gone.stderr).toContain('(KEY_NOT_FOUND, HTTP 404)')
  })

  it('refuses a value that is not JSON unless --string, before sending it', async () => {
    const res = await admin.run(['kv', 'put', 'alice', 'k', 'not json'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('(INVALID_JSON)')
  })
})

describe('zerverless storage', () => {
  it('uploads, lists, downloads and removes a file, byte for byte', async () => {
    const local = path.join(dir, 'data.bin')
    const bytes = Buffer.alloc(3 << 20)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) % 251
    writeFileSync(local, bytes)
    const put = await admin.json(['storage', 'put', 'alice', local, 'files/data.bin', '--private'])
    expect(put.code).toBe(0)
    expect(put.json()).toMatchObject({
      path: 'files/data.bin',
      size: bytes.length,
      visibility: 'private',
    })
    // Off a terminal the upload draws no bar.
    expect(put.stderr).toBe('')

    const ls = await admin.json(['storage', 'ls', 'alice'])
    expect(ls.json()).toMatchObject({ files: ['files/data.bin'], private: ['files/data.bin'] })

    const back = path.join(dir, 'back.bin')
    expect((await admin.run(['storage', 'get', 'alice', 'files/data.bin', back])).code).toBe(0)
    expect(readFileSync(back).equals(bytes)).toBe(true)

    expect((await admin.run(['storage', 'rm', 'alice', 'files/data.bin'])).code).toBe(0)
    const missing = await admin.run(['storage', 'get', 'alice', 'files/data.bin', back])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('(FILE_NOT_FOUND, HTTP 404)')
  })
})

describe('zerverless tokens', () => {
  it('issues a namespace token that reaches only its namespace, lists and revokes it', async () => {
    const made = await admin.json([
      'tokens',
      'create',
      '--namespace',
      'bob',
      '--right',
      'jobs',
      '--right',
      'db',
      '--name',
      'bob-cli',
    ])
    expect(made.code).toBe(0)
    const { token, id } = made.json() as { token: string; id: string }
    const bob = cliAt(server.url, token)

    expect((await bob.run(['kv', 'put', 'bob', 'x', '1'])).code).toBe(0)
    const other = await bob.run(['kv', 'get', 'alice', 'name'])
    expect(other.code).toBe(2)
    expect(other.stderr).toContain('HTTP 403')

    // The job listing: a namespace token names its namespace, and sees only it.
    const job = path.join(dir, 'one.lua')
    writeFileSync(job, 'return 1')
    expect((await bob.run(['run', job, '--namespace', 'bob'])).code).toBe(0)
    expect((await admin.run(['run', job, '--namespace', 'alice'])).code).toBe(0)
    const all = await bob.run(['jobs', 'list'])
    expect(all.code).toBe(2)
    expect(all.stderr).toContain('(FORBIDDEN, HTTP 403)')
    const own = await bob.json(['jobs', 'list', '--namespace', 'bob'])
    const namespaces = (own.json() as { jobs: { namespace: string }[] }).jobs.map(
      (j) => j.namespace,
    )
    expect(namespaces).toEqual(['bob'])
    expect((await bob.run(['jobs', 'list', '--namespace', 'alice'])).code).toBe(2)

    const listed = await admin.json(['tokens', 'list'])
    expect((listed.json() as { tokens: { id: string; name: string }[] }).tokens).toContainEqual(
      expect.objectContaining({ id, name: 'bob-cli' }),
    )
    expect((await admin.run(['tokens', 'revoke', id])).code).toBe(0)
    const revoked = await bob.run(['kv', 'get', 'bob', 'x'])
    expect(revoked.code).toBe(2)
    expect(revoked.stderr).toContain('HTTP 401')
  })

  it('reads the token from ZERVERLESS_TOKEN and the URL from ZERVERLESS_URL', async () => {
    const env = { ZERVERLESS_URL: server.url, ZERVERLESS_TOKEN: ADMIN }
    expect((await runCli(['kv', 'list', 'alice'], { env })).code).toBe(0)
    const anonymous = await runCli(['kv', 'list', 'alice'], { env: { ZERVERLESS_URL: server.url } })
    expect(anonymous.code).toBe(2)
    expect(anonymous.stderr).toContain('HTTP 401')
  })
})

describe('zerverless secrets', () => {
  it('takes the value from stdin, never prints it, and lists and deletes by name', async () => {
    const put = await admin.json(['secrets', 'put', 'alice', 'API_KEY'], {
      stdin: 's3cret-value\n',
    })
    expect(put.code).toBe(0)
    expect(put.stdout).not.toContain('s3cret-value')
    expect(put.json()).toMatchObject({ namespace: 'alice', name: 'API_KEY' })
    const listed = await admin.run(['secrets', 'list', 'alice'])
    expect(listed.stdout).toContain('API_KEY')
    expect(listed.stdout).not.toContain('s3cret-value')

    // The value reaches a job that declares it.
    const js = path.join(dir, 'secret.js')
    writeFileSync(js, 'SECRETS.API_KEY.length')
    const job = await admin.json(['run', js, '--namespace', 'alice', '--secret', 'API_KEY'])
    expect(job.json()).toMatchObject({ status: 'completed', result: 's3cret-value'.length })

    expect((await admin.run(['secrets', 'delete', 'alice', 'API_KEY'])).code).toBe(0)
    expect((await admin.json(['secrets', 'list', 'alice'])).json()).toMatchObject({ count: 0 })
    const empty = await admin.run(['secrets', 'put', 'alice', 'EMPTY'], { stdin: '' })
    expect(empty.code).toBe(2)
    expect(empty.stderr).toContain('(EMPTY_SECRET)')
  })
})
