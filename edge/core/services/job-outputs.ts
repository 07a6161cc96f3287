/**
 * The files a native job produced (stdout.txt, stderr.txt, logs.txt and OUTPUT mounts), uploaded
 * by the runner that ran it and read by users through /api/jobs/{id}/outputs. Bytes live in a
 * FileStore (one directory per job), what is known about them in SQL.
 */
import { HttpError } from '../http-error'
import {
  FileTooLargeError,
  PathConflictError,
  type ByteRange,
  type FileStore,
} from '../storage/file-store'
import { checkStoragePath } from '../storage/storage-path'
import type { Sql } from '../store/sql'

export interface OutputFile {
  name: string
  attempt: number
  size: number
  sha256: string
  created_at: number
}

export class JobOutputs {
  constructor(
    private readonly sql: Sql,
    private readonly files: FileStore,
    private readonly maxBytes: number,
  ) {}

  async put(
    jobId: string,
    attempt: number,
    name: string,
    body: ReadableStream<Uint8Array>,
    now = Date.now(),
  ): Promise<OutputFile> {
    checkStoragePath(name)
    let written
    try {
      written = await this.files.write(jobId, name, body, this.maxBytes)
    } catch (err) {
      if (err instanceof FileTooLargeError)
        throw new HttpError(
          413,
          'FILE_TOO_LARGE',
          `the output is larger than ${err.maxBytes} bytes`,
        )
      if (err instanceof PathConflictError) throw new HttpError(409, 'PATH_CONFLICT', err.message)
      throw err
    }
    const file = { name, attempt, size: written.size, sha256: written.sha256, created_at: now }
    this.sql.run(
      `INSERT INTO job_outputs (job_id, name, attempt, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id, name) DO UPDATE SET attempt = excluded.attempt, size = excluded.size,
         sha256 = excluded.sha256, created_at = excluded.created_at`,
      jobId,
      name,
      attempt,
      file.size,
      file.sha256,
      now,
    )
    return file
  }

  list(jobId: string): OutputFile[] {
    return this.sql.all<OutputFile>(
      'SELECT name, attempt, size, sha256, created_at FROM job_outputs WHERE job_id = ? ORDER BY name',
      jobId,
    )
  }

  info(jobId: string, name: string): OutputFile | undefined {
    return this.sql.get<OutputFile>(
      'SELECT name, attempt, size, sha256, created_at FROM job_outputs WHERE job_id = ? AND name = ?',
      jobId,
      name,
    )
  }

  read(
    jobId: string,
    name: string,
    range?: ByteRange,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    return this.files.read(jobId, name, range)
  }
}
