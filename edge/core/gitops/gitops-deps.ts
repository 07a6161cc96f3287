/**
 * What GitOps uses of the rest of the orchestrator, and the ports for the parts other services
 * own (crons, secrets): structural, so whichever service implements them can be passed in.
 */
import type { OrchestratorConfig } from '../config'
import type { CronBody } from '../cron/cron-schemas'
import type { FunctionService } from '../functions/function-service'
import type { SecretBox } from '../secrets/secret-box'
import type { StorageService } from '../storage/storage-service'
import type { WorkflowLookups } from '../workflows/workflow-check'
import type { WorkflowService } from '../workflows/workflow-service'
import type { ApplicationStore } from './application-store'
import type { RepoReader } from './repo-reader'

/** Cron triggers, as a manifest's `spec.crons` puts and prunes them. */
interface CronPort {
  put(namespace: string, name: string, body: CronBody): { created: boolean }
  remove(namespace: string, name: string): boolean
}

/** Which secrets a namespace holds (names only: a sync never sees a value). */
interface SecretsPort {
  names(namespace: string): string[]
}

export interface GitopsDeps {
  config: OrchestratorConfig
  store: ApplicationStore
  /** The host's git; without it GitOps answers 501. */
  repos: RepoReader | undefined
  /** Seals credentials and webhook secrets; without it none can be registered. */
  secretBox: SecretBox | undefined
  functions: FunctionService
  storage: StorageService | undefined
  workflows: WorkflowService
  /** Whether workflow steps name services that exist (the workflow service's own lookups). */
  lookups: WorkflowLookups
  crons?: CronPort | undefined
  secrets?: SecretsPort | undefined
  sha256: (text: string) => string | Promise<string>
  durable: () => Promise<void>
}

/** Hex SHA-256 of bytes (Web Crypto, on both hosts). */
export async function sha256Bytes(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}
