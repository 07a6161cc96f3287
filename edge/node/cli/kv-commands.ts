/** `zerverless kv get|put|list|delete`: a namespace's key-value database. */
import type { Command } from 'commander'
import { action, type Context } from './client-program'
import { CliError } from './cli-error'
import { pageOptions, seconds, type PageFlags } from './cli-values'
import { shown, table } from './output'

export function addKvCommands(program: Command): void {
  const kv = program.command('kv').description("a namespace's key-value database")
  kv.command('get <namespace> <key>')
    .description('print the value (as JSON); exit 2 with KEY_NOT_FOUND when there is none')
    .action(
      action(async (ctx: Context, ns: string, key: string) => {
        const entry = await ctx.api.kvGet(ns, key)
        ctx.out.print(entry, () => shown(entry.value))
      }),
    )
  kv.command('put <namespace> <key> <value>')
    .description('set a key to a JSON value (or, with --string, to the text as it is)')
    .option('--string', 'store the value as a string, not parsed as JSON')
    .option('--ttl <seconds>', 'forget the key after this long', seconds('--ttl'))
    .action(
      action(
        async (
          ctx: Context,
          ns: string,
          key: string,
          text: string,
          flags: { string?: boolean; ttl?: number },
        ) => {
          const value = flags.string ? text : jsonValue(text)
          const done = await ctx.api.kvPut(ns, key, value, flags.ttl)
          ctx.out.print(done, () => `set ${ns}/${key}`)
        },
      ),
    )
  pageOptions(
    kv
      .command('list <namespace>')
      .description('keys in order; --cursor continues where the last page ended'),
    'keys',
  ).action(
    action(async (ctx: Context, ns: string, flags: PageFlags) => {
      const page = await ctx.api.kvList(ns, flags)
      ctx.out.print(page, () =>
        [
          table(
            ['KEY'],
            page.keys.map((k) => [k]),
          ),
          ...(page.cursor ? [`more: --cursor ${page.cursor}`] : []),
        ].join('\n'),
      )
    }),
  )
  kv.command('delete <namespace> <key>')
    .description('remove a key')
    .action(
      action(async (ctx: Context, ns: string, key: string) => {
        await ctx.api.kvDelete(ns, key)
        ctx.out.print({ deleted: key, namespace: ns }, () => `deleted ${ns}/${key}`)
      }),
    )
}

function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new CliError(
      'INVALID_JSON',
      `the value is not JSON (strings are quoted: '"hi"'); add --string to store the text as it is`,
    )
  }
}
