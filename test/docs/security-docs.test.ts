/**
 * The security page's examples need what the other pages' do not: auth on, an admin token, and
 * the tokens the examples issue. They run here against a server started so, `http://host:8000`
 * standing for it and `$ADMIN`, `$ALICE` and `$RUNNER` for the tokens.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'
import { examplesOf, expectAnswer, unrunnable, runCurl } from './doc-examples'

const PAGE = readFileSync(path.resolve(import.meta.dirname, '../../docs/security.md'), 'utf8')
const HOST = 'http://host:8000'
const ADMIN = `zv_admin_${randomBytes(16).toString('hex')}`

/** Tokens the examples issue, by the name they give them, and the variable that holds each. */
const ISSUED: Record<string, string> = { 'alice ci': 'ALICE', 'gpu box': 'RUNNER' }

describe('docs/security.md examples (auth on)', () => {
  let server: ZerverlessProcess
  const env: Record<string, string> = { ADMIN }

  beforeAll(async () => {
    server = await startZerverless(['--auth', 'on', '--workers', '1'], undefined, {
      ZERVERLESS_ADMIN_TOKEN: ADMIN,
    })
  })

  afterAll(async () => {
    await server.stop()
    removeDir(server.dataDir)
  })

  it('targets the example server with every curl example', () => {
    expect(unrunnable(PAGE, HOST)).toEqual([])
  })

  for (const example of examplesOf(PAGE))
    it(`runs: ${example.command.slice(0, 90)}`, async () => {
      let command = example.command.replaceAll(HOST, server.url)
      // The revoke example revokes a token made for it, so the examples after it keep $ALICE.
      const doomed = command.includes('<id>') ? await issue(server.url) : undefined
      if (doomed) command = command.replaceAll('<id>', doomed.id)
      const { status, body } = runCurl(command, env)
      if (example.errorStatus !== undefined) expect(status, body).toBe(example.errorStatus)
      else expect(status, body).toBeLessThan(400)
      if (example.expect) expectAnswer(example.expect, body)
      for (const [name, variable] of Object.entries(ISSUED))
        if (command.includes('/api/tokens') && command.includes(`"name": "${name}"`))
          env[variable] = (JSON.parse(body) as { token: string }).token
      // "401 from now on".
      if (doomed) expect(await statusWith(server.url, doomed.token)).toBe(401)
    })
})

async function issue(url: string): Promise<{ id: string; token: string }> {
  const res = await fetch(`${url}/api/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'to revoke', namespaces: ['alice'], rights: ['jobs'] }),
  })
  return (await res.json()) as { id: string; token: string }
}

async function statusWith(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/api/jobs?namespace=alice`, {
    headers: { authorization: `Bearer ${token}` },
  })
  return res.status
}
