/** `zerverless init KIND [DIR]`: a function or a job to start from, in any runtime. */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { action, type Context } from './client-program'
import { CliError } from './cli-error'
import {
  INIT_KINDS,
  INIT_RUNTIMES,
  scaffold,
  type InitKind,
  type InitRuntime,
} from './init-templates'
import { fileError } from './program-file'

export function addInitCommand(program: Command): void {
  program
    .command('init <kind> [dir]')
    .description(
      "scaffold a function or a job (kind: function or job) in DIR (default: the kind's name)",
    )
    .option('--runtime <runtime>', `${INIT_RUNTIMES.join(', ')}`, 'js')
    .action(action(init))
}

async function init(
  ctx: Context,
  kind: string,
  dir: string | undefined,
  flags: { runtime: string },
): Promise<void> {
  if (!(INIT_KINDS as readonly string[]).includes(kind))
    throw new CliError('INVALID_ARGUMENT', `kind must be ${INIT_KINDS.join(' or ')}; got '${kind}'`)
  if (!(INIT_RUNTIMES as readonly string[]).includes(flags.runtime))
    throw new CliError(
      'INVALID_ARGUMENT',
      `--runtime must be one of ${INIT_RUNTIMES.join(', ')}; got '${flags.runtime}'`,
    )
  const target = dir ?? `hello-${kind}`
  const name = path.basename(path.resolve(target))
  const files = scaffold(kind as InitKind, flags.runtime as InitRuntime, name)
  try {
    await mkdir(target, { recursive: true })
    // `wx`: an existing file is never overwritten.
    for (const file of files)
      await writeFile(
        path.join(target, file.path),
        file.base64 !== undefined ? Buffer.from(file.base64, 'base64') : (file.text ?? ''),
        { flag: 'wx' },
      )
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new CliError(
        'FILE_EXISTS',
        `${(err as NodeJS.ErrnoException).path ?? target} exists already; init writes only new files`,
      )
    throw fileError(target, err)
  }
  const written = files.map((f) => path.join(target, f.path))
  ctx.out.print({ kind, runtime: flags.runtime, dir: target, files: written }, () =>
    [
      `created ${target}/:`,
      ...written.map((f) => `  ${f}`),
      `next: see ${path.join(target, 'README.md')}`,
    ].join('\n'),
  )
}
