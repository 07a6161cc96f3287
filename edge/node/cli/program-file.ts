/** A job's or function's program read from a file: its runtime from the extension, its code or module. */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { CliError } from './cli-error'

const BY_EXTENSION = {
  '.js': 'js',
  '.mjs': 'js',
  '.lua': 'lua',
  '.py': 'python',
  '.wasm': 'wasm',
} as const

export type FileRuntime = (typeof BY_EXTENSION)[keyof typeof BY_EXTENSION]

/** What a submission carries for a program: `code`, or a wasm module as `wasm_base64`. */
export interface ProgramFile {
  runtime: FileRuntime
  fields: { code: string } | { wasm_base64: string }
  /** The source text (not for wasm): deploy checks it before uploading. */
  code?: string
}

export function runtimeOf(file: string): FileRuntime {
  const ext = path.extname(file).toLowerCase()
  const runtime = (BY_EXTENSION as Record<string, FileRuntime>)[ext]
  if (!runtime)
    throw new CliError(
      'UNKNOWN_RUNTIME',
      `cannot tell the runtime of ${file}: name it .js, .lua, .py or .wasm`,
    )
  return runtime
}

export async function readProgram(file: string): Promise<ProgramFile> {
  const runtime = runtimeOf(file)
  const bytes = await readBytes(file)
  if (runtime === 'wasm') return { runtime, fields: { wasm_base64: bytes.toString('base64') } }
  const code = bytes.toString('utf8')
  return { runtime, fields: { code }, code }
}

/** A file's bytes; a missing or unreadable one is the user's error, not a crash. */
export async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (err) {
    throw fileError(file, err)
  }
}

export function fileError(file: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new CliError('FILE_NOT_FOUND', `no file ${file}`)
  if (code === 'EISDIR') return new CliError('FILE_NOT_FOUND', `${file} is a directory`)
  return new CliError('FILE_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`)
}

/** A JSON value given as text (`--input`, `--data`, a line of a .jsonl file). */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new CliError('INVALID_JSON', `${what} is not JSON: ${(err as Error).message}`)
  }
}

/** A job's input: a JSON object (the API's `input_data`). */
export function parseInput(text: string, what: string): Record<string, unknown> {
  const value = parseJson(text, what)
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CliError('INVALID_JSON', `${what} must be a JSON object, e.g. '{"n": 3}'`)
  return value as Record<string, unknown>
}
