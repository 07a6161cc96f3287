/**
 * Who may execute what, with auth on, run against both hosts (Node and workerd): runners must
 * authenticate and get only the namespaces their token covers, anonymous volunteers reach only
 * the database keys a job's submitter allowed, and jobs and functions that require a trusted
 * executor never go to an anonymous one. The attackers are raw sockets (ScriptedVolunteer).
 */
import { afterAll, beforeAll, describe, expect } from 'vitest'
import type { ScriptedVolunteer } from '../helpers/scripted-volunteer'
import { as, type TrustContext, type TrustHost } from './executor-trust-kit'

type Client = ReturnType<typeof as>
import { describeTrustedRunners } from './executor-trust-runners'
import { describeTrustedVolunteers } from './executor-trust-volunteers'

export const TRUST_ADMIN = 'zv-trust-admin-token-0123456789abcdef'

export function describeExecutorTrust(name: string, start: () => Promise<TrustHost>): void {
  describe(`executor trust on ${name} (auth on)`, () => {
    let host: TrustHost
    let admin: Client
    let alice: Client
    let bob: Client
    let bobToken: string
    const sockets: ScriptedVolunteer[] = []
    const issue = async (namespaces: string[], rights: string[]) => {
      const res = await admin.post('/api/tokens', { namespaces, rights })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body.token as string
    }
    const ctx: TrustContext = {
      get host() {
        return host
      },
      get admin() {
        return admin
      },
      get alice() {
        return alice
      },
      get bob() {
        return bob
      },
      get bobToken() {
        return bobToken
      },
      keep: (v) => (sockets.push(v), v),
      issue,
    }

    beforeAll(async () => {
      host = await start()
      admin = as(host.url, TRUST_ADMIN)
      alice = as(host.url, await issue(['alice'], ['jobs', 'db', 'services', 'deploy']))
      bobToken = await issue(['bob'], ['jobs', 'db', 'services', 'deploy'])
      bob = as(host.url, bobToken)
    })

    afterAll(async () => {
      for (const v of sockets) v.terminate()
      await host?.stop()
    })

    describeTrustedRunners(ctx)
    describeTrustedVolunteers(ctx)
  })
}
