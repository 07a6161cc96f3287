/**
 * Tenant isolation inside sandbox threads, through the real server with one internal worker (so
 * one sandbox thread would serve everyone); the scenarios are in contract/tenant-isolation-contract.ts.
 */
import { afterEach, beforeEach, expect } from 'vitest'
import { tenantIsolationContract } from './contract/tenant-isolation-contract'
import { api } from './helpers/api'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from './helpers/zerverless-process'

let server: ZerverlessProcess
let client: ReturnType<typeof api>

beforeEach(async () => {
  server = await startZerverless(['--workers', '1'])
  client = api(server.url)
  await eventually(async () => (await client.get('/stats')).body.volunteers.idle === 1 || undefined)
})

afterEach(async () => {
  expect(await server.stop()).toBe(0)
  removeDir(server.dataDir)
})

tenantIsolationContract({ client: () => client, url: () => server.url, timeoutMs: 180_000 })
