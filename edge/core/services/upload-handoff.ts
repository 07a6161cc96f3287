/**
 * What the upload manager takes from its host (a sink that holds parts until their group is
 * complete, its limits) and hands to the service layer (a group whose files have all ended).
 */
import type { MessageRateSettings } from '../limits/message-rate'
import type { UploadScope } from './upload-connection'

/** Where a session's bytes go until the group completes; the host supplies it (temp files, memory). */
export interface UploadSink {
  /** Appends bytes to the session's temporary part (creating it on the first call). */
  append(sessionId: string, bytes: Uint8Array): Promise<void>
  /** Size of the temporary part so far; 0 when there is none. */
  size(sessionId: string): Promise<number>
  /** Reads the whole part back as a stream (for hashing/moving). */
  read(sessionId: string): Promise<ReadableStream<Uint8Array>>
  /** Removes the part; a missing part is not an error. */
  discard(sessionId: string): Promise<void>
}

/** One ended file of a group; its bytes are the sink's part `sessionId`. */
export interface UploadedFile {
  sessionId: string
  filePath: string
  size: number
  sha256: string
  /** The service's entry point: the file that said `executable: true`, else file_index 0. */
  executable: boolean
}

/** A group whose files have all ended, handed to the service layer. Files are in file_index order. */
export interface UploadGroupDone {
  uploadGroupId: string
  /** Absent: create a service. */
  serviceId?: number
  /** Always present when creating; present on update only if the client sent it. */
  serviceName?: string
  /** Service settings from START, unvalidated. */
  service?: Record<string, unknown>
  files: UploadedFile[]
  /** The namespaces the connection that completed the group may write (absent: every one). */
  covers?: UploadScope
}

/**
 * Called when every file of a group has ended: stores the files and creates/updates the service;
 * returns its id, or throws an Error whose message is shown to the client (code SERVICE_FAILED).
 * The sink's parts are discarded by the manager afterwards.
 */
export type CompleteGroup = (
  group: UploadGroupDone,
  sink: UploadSink,
) => Promise<{ serviceId: number }>

/** What the manager is built with. */
export interface UploadSessionsOptions {
  sink: UploadSink
  complete: CompleteGroup
  /** Largest total_size accepted for one file. */
  maxFileBytes: number
  /** How long a group may sit idle before `sweep` drops it; default one hour. */
  sessionTtlMs?: number
  /** Messages a second (and burst) one socket may send; past it they are dropped, then it closes. */
  messageRate?: MessageRateSettings
  now?: () => number
  newId?: () => string
}
