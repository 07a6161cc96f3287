/**
 * A peer's native run, here: the uploaded service it runs becomes a local service of the peer's
 * namespace (made once per distinct set of files, each fetched from the origin and checked by
 * sha256), so our runners fetch its files from us with their job token as for any upload. What
 * reaches outside the files stays at home: no working directory, no user, no inherited environment.
 */
import type { ForwardedRun } from '../../../shared/protocol/federation'
import type { ServiceRecord } from '../services/service-record'
import type { ServiceStore } from '../services/service-store'
import type { FileStore, WriteResult } from '../storage/file-store'

/** Where local services and their files are kept. */
export interface ServiceShelf {
  store: Pick<ServiceStore, 'byName' | 'insert'>
  files: FileStore
  maxFileBytes: number
  sha256(text: string): string | Promise<string>
}

/** Fetches one file of the run from the origin into `store`; undefined when it did not come. */
export type FetchFile = (
  path: string,
  store: (body: ReadableStream<Uint8Array>) => Promise<WriteResult>,
) => Promise<WriteResult | undefined>

export class ForwardedServices {
  /** Services being made, by name: two runs of one service wait for one fetch. */
  private readonly making = new Map<string, Promise<ServiceRecord | string>>()

  constructor(private readonly shelf: ServiceShelf) {}

  /** The local service for this run (made when new), or why it could not be made. */
  async serviceFor(
    namespace: string,
    forwarded: ForwardedRun,
    timeoutSeconds: number,
    fetch: FetchFile,
  ): Promise<ServiceRecord | string> {
    const { run } = forwarded
    const name = `p2p-${(await this.shelf.sha256(JSON.stringify([namespace, run.executable_path, run.sha256, run.files ?? []]))).slice(0, 40)}`
    const known = this.shelf.store.byName(name)
    if (known) return known
    let made = this.making.get(name)
    if (!made) {
      made = this.make(name, namespace, forwarded, timeoutSeconds, fetch).finally(() =>
        this.making.delete(name),
      )
      this.making.set(name, made)
    }
    return made
  }

  private async make(
    name: string,
    namespace: string,
    { run, requirements }: ForwardedRun,
    timeoutSeconds: number,
    fetch: FetchFile,
  ): Promise<ServiceRecord | string> {
    const files = run.files ?? []
    const executable = files.find((f) => f.path === run.executable_path)
    if (!executable || executable.sha256 !== run.sha256)
      return 'the run’s executable is not among its files'
    const { files: store, maxFileBytes } = this.shelf
    for (const file of files) {
      const written = await fetch(file.path, (body) =>
        store.write(name, file.path, body, maxFileBytes),
      )
      if (!written) return `the file ${file.path} did not come`
      if (written.sha256 !== file.sha256 || written.size !== file.size)
        return `the file ${file.path} does not match its sha256`
    }
    return this.shelf.store.insert({
      namespace,
      name,
      description: `${run.service_name}, run for a peer orchestrator`,
      status: 'ACTIVE',
      source: 'upload',
      peer_id: null,
      executable_path: run.executable_path,
      executable_sha256: run.sha256,
      executable_size: executable.size,
      arguments: run.arguments,
      working_directory: '',
      environment_variables: run.environment_variables,
      inherit_environment: false,
      timeout_seconds: timeoutSeconds,
      run_as_user: '',
      capabilities: requirements,
      interfaces: run.interfaces.map((i) => ({ ...i, description: '' })),
      git_repo_url: '',
      git_branch: '',
      git_commit_hash: '',
      files,
    })
  }
}
