/** `zerverless storage put|get|ls|rm`: a namespace's files, with a progress bar for big ones. */
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Command } from 'commander'
import { action, type Context } from './client-program'
import { pageOptions, type PageFlags } from './cli-values'
import { fileError } from './program-file'
import { bytes, noProgress, progressBar, type Progress } from './progress-bar'
import { table } from './output'

/** Files from this size up show a bar, on a terminal only (a log gets no byte counts). */
const BAR_FROM_BYTES = 1 << 20

export function addStorageCommands(program: Command): void {
  const storage = program.command('storage').description("a namespace's files")
  storage
    .command('put <namespace> <file> [remote]')
    .description('upload FILE (to REMOTE, default its file name)')
    .option('--public', 'serve it at /static/{namespace}/{path}')
    .option('--private', 'keep it to token holders')
    .action(action(put))
  storage
    .command('get <namespace> <remote> [file]')
    .description("download REMOTE to FILE (default its file name; '-' for stdout)")
    .action(action(get))
  pageOptions(
    storage
      .command('ls <namespace>')
      .description('list files; --cursor continues where the last page ended'),
    'paths',
  ).action(
    action(async (ctx: Context, ns: string, flags: PageFlags) => {
      const page = await ctx.api.storageList(ns, flags)
      const hidden = new Set(page.private ?? [])
      ctx.out.print(page, () =>
        [
          table(
            ['PATH', 'VISIBILITY'],
            page.files.map((f) => [f, hidden.has(f) ? 'private' : 'public']),
          ),
          ...(page.cursor ? [`more: --cursor ${page.cursor}`] : []),
        ].join('\n'),
      )
    }),
  )
  storage
    .command('rm <namespace> <remote>')
    .description('delete a file')
    .action(
      action(async (ctx: Context, ns: string, remote: string) => {
        await ctx.api.storageRemove(ns, remote)
        ctx.out.print({ deleted: remote, namespace: ns }, () => `deleted ${ns}/${remote}`)
      }),
    )
}

function barFor(ctx: Context, label: string, size: number): Progress {
  return ctx.out.json || size < BAR_FROM_BYTES || !process.stderr.isTTY
    ? noProgress
    : progressBar(label, size, bytes)
}

/** Counts bytes as they pass, for the bar. */
function counting(progress: Progress): Transform {
  let done = 0
  return new Transform({
    transform(chunk: Buffer, _enc, next) {
      done += chunk.length
      progress.update(done)
      next(null, chunk)
    },
  })
}

async function put(
  ctx: Context,
  ns: string,
  file: string,
  remote: string | undefined,
  flags: { public?: boolean; private?: boolean },
): Promise<void> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch (err) {
    throw fileError(file, err)
  }
  const progress = barFor(ctx, `uploading ${path.basename(file)}`, size)
  const body = Readable.toWeb(
    createReadStream(file).pipe(counting(progress)),
  ) as ReadableStream<Uint8Array>
  const visibility = flags.public ? 'public' : flags.private ? 'private' : undefined
  try {
    const stored = await ctx.api.storagePut(
      ns,
      remote ?? path.basename(file),
      body,
      size,
      visibility,
    )
    ctx.out.print(
      stored,
      () =>
        `stored ${stored.namespace}/${stored.path} (${bytes(stored.size)}, ${stored.visibility ?? 'default'})`,
    )
  } finally {
    progress.finish()
  }
}

async function get(
  ctx: Context,
  ns: string,
  remote: string,
  file: string | undefined,
): Promise<void> {
  const answer = await ctx.api.storageGet(ns, remote)
  const target = file ?? path.basename(remote)
  const size = Number(answer.headers.get('content-length') ?? 0)
  const toStdout = target === '-'
  const progress = toStdout ? noProgress : barFor(ctx, `downloading ${remote}`, size)
  const source = answer.body
    ? Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream)
    : Readable.from([])
  try {
    await pipeline(
      source,
      counting(progress),
      toStdout ? process.stdout : createWriteStream(target),
    )
  } catch (err) {
    throw fileError(target, err)
  } finally {
    progress.finish()
  }
  if (!toStdout)
    ctx.out.print(
      { namespace: ns, path: remote, file: target, size },
      () => `saved ${target} (${bytes(size)})`,
    )
}
