/** What the API contract's sections share: the host under test and how to call it. */
import type { ApiClient, Fetcher } from '../helpers/api'

export interface ContractHost {
  /** Where requests go: the host's base URL, or an in-process app's fetch. */
  http: string | Fetcher
  /** The base URL, for requests sent byte for byte; a core in process has no socket to send them to. */
  url?: string
  /** What `/info` says the host is. */
  host: 'node' | 'workers'
  /** What the host wrote so far (its JSON log lines among it), where it is a process. */
  logs?: () => string
  stop(): Promise<void>
}

/** What the contract's sections share: the host under test, once it has started. */
export interface ContractContext {
  readonly target: ContractHost
  readonly client: ApiClient
  call(path: string, init?: RequestInit): Promise<Response>
  /** Deploys a function (expecting 201) and returns what the API answered. */
  deploy(at: string, body: Record<string, unknown>): Promise<any>
}
