import { describe, expect, it } from 'vitest'
import { Authenticator, type TokenGrant } from '../auth/authenticator'
import { RIGHTS } from '../auth/principal'
import { ExecutorCredentials, servedNamespaces } from './executor-identity'

const secret = new TextEncoder().encode('a-test-secret-of-at-least-32-bytes!!')
/** A grant as wide as any token's claims: these tests are about identities, not grants. */
const everything: TokenGrant = {
  namespaces: ['*'],
  rights: [...RIGHTS],
  expires_at: null,
  revoked_at: null,
}
const on = new Authenticator({ enabled: true, adminToken: 'admin-token', secret }, () => everything)
const off = new Authenticator({ enabled: false }, () => everything)

async function issued(rights: ('volunteer' | 'runner' | 'jobs')[], namespaces = ['alice']) {
  return (await on.issue({ name: 't', namespaces, rights })).token
}

describe('ExecutorCredentials', () => {
  it('trusts nobody anonymous with auth on, and makes no runner of them', async () => {
    const credentials = new ExecutorCredentials({ auth: on })
    expect(await credentials.identify(undefined)).toEqual({
      ok: true,
      identity: { kind: 'anonymous', trusted: false, runner: false },
    })
  })

  it('trusts anonymous volunteers with auth off, where the API is open anyway', async () => {
    expect(await new ExecutorCredentials({ auth: off }).identify(undefined)).toMatchObject({
      identity: { kind: 'anonymous', trusted: true, runner: true },
    })
    // A runner token still keeps tokenless runners out.
    const guarded = new ExecutorCredentials({ auth: off, runnerToken: 'rt' })
    expect(await guarded.identify(undefined)).toMatchObject({ identity: { runner: false } })
    expect(await guarded.identify('rt')).toMatchObject({
      identity: { kind: 'runner-token', runner: true },
    })
  })

  it('tells the shared tokens, the internal credential and the admin token apart', async () => {
    const credentials = new ExecutorCredentials({
      auth: on,
      volunteerToken: 'vt',
      runnerToken: 'rt',
      internalToken: 'it',
    })
    const kind = async (token: string | undefined) => {
      const result = await credentials.identify(token)
      return result.ok ? `${result.identity.kind}:${result.identity.runner}` : 'refused'
    }
    expect(await kind('it')).toBe('internal:false')
    expect(await kind('vt')).toBe('volunteer-token:false')
    expect(await kind('rt')).toBe('runner-token:true')
    expect(await kind('admin-token')).toBe('admin:true')
    // With a volunteer token set, nobody gets in without some credential.
    expect(await kind(undefined)).toBe('refused')
    expect(await kind('vt-guess')).toBe('refused')
  })

  it('binds an issued token to its namespaces and its right', async () => {
    const credentials = new ExecutorCredentials({ auth: on })
    expect(await credentials.identify(await issued(['volunteer']))).toMatchObject({
      identity: { kind: 'token', trusted: true, runner: false, namespaces: ['alice'] },
    })
    expect(await credentials.identify(await issued(['runner'], ['*']))).toMatchObject({
      identity: { kind: 'token', runner: true },
    })
    const everywhere = await credentials.identify(await issued(['runner'], ['*']))
    expect(everywhere.ok && everywhere.identity.namespaces).toBeUndefined()
    expect(await credentials.identify(await issued(['jobs']))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/neither the 'volunteer' nor the 'runner' right/),
    })
    expect((await credentials.identify('not.a.jwt')).ok).toBe(false)
  })

  it('lets only executors the admin vouched for have secrets, auth on or off', async () => {
    const secrets = async (credentials: ExecutorCredentials, token: string | undefined) => {
      const result = await credentials.identify(token)
      return result.ok && result.identity.secrets === true
    }
    const shared = { volunteerToken: 'vt', runnerToken: 'rt', internalToken: 'it' }
    for (const auth of [on, off]) {
      const credentials = new ExecutorCredentials({ auth, ...shared })
      expect(await secrets(credentials, 'it')).toBe(true)
      expect(await secrets(credentials, 'rt')).toBe(true)
      expect(await secrets(credentials, 'vt')).toBe(false)
    }
    const issuedOnly = new ExecutorCredentials({ auth: on })
    expect(await secrets(issuedOnly, 'admin-token')).toBe(true)
    expect(await secrets(issuedOnly, await issued(['runner']))).toBe(true)
    expect(await secrets(issuedOnly, await issued(['volunteer']))).toBe(false)
    // Anonymous tabs never, even where auth off trusts them with the database.
    expect(await secrets(issuedOnly, undefined)).toBe(false)
    expect(await secrets(new ExecutorCredentials({ auth: off }), undefined)).toBe(false)
  })

  it('refuses a revoked token', async () => {
    const revoked = new Authenticator({ enabled: true, secret }, () => ({
      ...everything,
      revoked_at: Date.now(),
    }))
    const token = (await revoked.issue({ name: 't', namespaces: ['a'], rights: ['runner'] })).token
    expect(await new ExecutorCredentials({ auth: revoked }).identify(token)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/revoked/),
    })
  })
})

describe('servedNamespaces', () => {
  const bound = { kind: 'token' as const, trusted: true, runner: false, namespaces: ['a', 'b'] }
  const free = { kind: 'internal' as const, trusted: true, runner: false }

  it('narrows what the volunteer asked for to what its token covers', () => {
    expect(servedNamespaces(undefined, free)).toBeUndefined()
    expect(servedNamespaces([], free)).toBeUndefined()
    expect(servedNamespaces(['x'], free)).toEqual(['x'])
    expect(servedNamespaces(undefined, bound)).toEqual(['a', 'b'])
    expect(servedNamespaces(['b', 'c'], bound)).toEqual(['b'])
    expect(servedNamespaces(['c'], bound)).toEqual([])
  })
})
