/** `zerverless secrets put|list|delete`: a namespace's secrets (values are never printed). */
import type { Command } from 'commander'
import { action, type Context } from './client-program'
import { table } from './output'
import { readSecretValue } from './secret-input'

export function addSecretsCommands(program: Command): void {
  const secrets = program
    .command('secrets')
    .description("a namespace's secrets, read by functions and jobs as SECRETS.NAME")
  secrets
    .command('put <namespace> <name>')
    .description(
      'set a secret; the value comes from stdin or a hidden prompt, never from the command line',
    )
    .action(
      action(async (ctx: Context, ns: string, name: string) => {
        const saved = await ctx.api.putSecret(ns, name, await readSecretValue(name))
        ctx.out.print(saved, () => `set secret ${ns}/${saved.name}`)
      }),
    )
  secrets
    .command('list <namespace>')
    .description("the namespace's secret names")
    .action(
      action(async (ctx: Context, ns: string) => {
        const listed = await ctx.api.secrets(ns)
        ctx.out.print(listed, () =>
          table(
            ['NAME', 'UPDATED'],
            listed.secrets.map((s) => [s.name, s.updated_at]),
          ),
        )
      }),
    )
  secrets
    .command('delete <namespace> <name>')
    .description('remove a secret')
    .action(
      action(async (ctx: Context, ns: string, name: string) => {
        await ctx.api.deleteSecret(ns, name)
        ctx.out.print({ deleted: name, namespace: ns }, () => `deleted secret ${ns}/${name}`)
      }),
    )
}
