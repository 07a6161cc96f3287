/**
 * The API contract, written once and run against every host: the Node server and the Worker under
 * workerd, each started for real with a real Node worker (`zerverless --worker`) connected over
 * WebSocket, and the core in this process with an in-process volunteer (which shows the in-process
 * tier answers as the Node host does). The tests only speak HTTP and read what comes back.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { api, fetcherOf, type ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { describeContractBasics } from './api-contract-basics'
import { describeContractCron } from './api-contract-cron'
import { describeContractEdges } from './api-contract-edges'
import { describeContractOpenApi } from './api-contract-openapi'
import { describeContractPaths } from './api-contract-paths'
import type { ContractContext, ContractHost } from './api-contract-context'

export function describeContract(name: string, start: () => Promise<ContractHost>): void {
  describe(`the API contract on ${name}`, () => {
    let target: ContractHost
    let client: ApiClient
    const ctx: ContractContext = {
      get target() {
        return target
      },
      get client() {
        return client
      },
      call: (path, init) => fetcherOf(target.http)(path, init),
      deploy: async (at, body) => {
        const res = await client.post(`/api/deploy/${at}`, body)
        expect(res.status, JSON.stringify(res.body)).toBe(201)
        return res.body
      },
    }

    beforeAll(async () => {
      target = await start()
      client = api(target.http)
      // A worker is connected and has said hello before the first test.
      await eventually(
        async () => ((await client.get('/stats')).body.volunteers?.idle ?? 0) >= 1 || undefined,
        30_000,
      )
    }, 120_000)

    afterAll(async () => {
      await target?.stop()
    })

    describeContractBasics(ctx)
    describeContractPaths(ctx)
    describeContractCron(ctx)
    describeContractEdges(ctx)
    describeContractOpenApi(ctx)
  })
}
