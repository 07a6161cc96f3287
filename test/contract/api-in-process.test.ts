/**
 * The API contract against the core in this process with one in-process volunteer: the same
 * answers as the Node host gives, which is what lets the in-process tier stand in for it.
 */
import { createTestApp } from '../helpers/test-app'
import { describeContract } from './api-contract'

describeContract('the core in process', async () => {
  const app = await createTestApp({ volunteers: 1 })
  return { http: app.fetch, host: 'node', stop: () => app.close() }
})
