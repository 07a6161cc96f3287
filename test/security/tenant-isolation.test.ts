/**
 * Tenant isolation inside sandbox threads, through the core in process with one volunteer (so one
 * sandbox thread would serve everyone); the scenarios are in contract/tenant-isolation-contract.ts.
 */
import { afterEach, beforeEach } from 'vitest'
import { tenantIsolationContract } from '../contract/tenant-isolation-contract'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let server: TestApp

// Every scenario starts from a fresh orchestrator and a fresh volunteer.
beforeEach(async () => {
  server = await createTestApp({ volunteers: 1 })
  await idleVolunteers(server, 1)
})

afterEach(async () => {
  await server.close()
})

tenantIsolationContract({
  client: () => server.api,
  http: () => server.fetch,
  timeoutMs: 180_000,
})
