/** `zerverless tokens create|list|revoke`: API tokens (the admin's verbs). */
import type { Command } from 'commander'
import type { BodyOf } from './api-views'
import { action, type Context } from './client-program'
import { collect, count } from './cli-values'
import { table } from './output'

interface CreateFlags {
  namespace: string[]
  right: string[]
  name?: string
  expiresIn?: number
}

export function addTokensCommands(program: Command): void {
  const tokens = program.command('tokens').description('API tokens (needs the admin token)')
  tokens
    .command('create')
    .description('issue a token; it is printed once, keep it')
    .requiredOption(
      '--namespace <ns>',
      "a namespace it covers, or '*' for all (repeatable)",
      collect,
    )
    .requiredOption(
      '--right <right>',
      'a right it grants: jobs, deploy, db, storage, … (repeatable)',
      collect,
    )
    .option('--name <name>', 'a name to know it by')
    .option(
      '--expires-in <seconds>',
      'it stops working after this long',
      count('--expires-in', 10 * 365 * 24 * 3600),
    )
    .action(
      action(async (ctx: Context, flags: CreateFlags) => {
        const made = await ctx.api.createToken({
          namespaces: flags.namespace,
          // The server checks each right and names a wrong one (INVALID_REQUEST).
          rights: flags.right as BodyOf<'/api/tokens', 'post'>['rights'],
          ...(flags.name && { name: flags.name }),
          ...(flags.expiresIn !== undefined && { expires_in_seconds: flags.expiresIn }),
        })
        ctx.out.print(
          made,
          () =>
            `${made.token ?? ''}\n(token ${made.id}: ${made.rights.join(',')} on ${made.namespaces.join(',')})`,
        )
      }),
    )
  tokens
    .command('list')
    .description('every token issued (never their secrets)')
    .action(
      action(async (ctx: Context) => {
        const listed = await ctx.api.tokens()
        ctx.out.print(listed, () =>
          table(
            ['ID', 'NAME', 'NAMESPACES', 'RIGHTS', 'EXPIRES', 'REVOKED'],
            listed.tokens.map((t) => [
              t.id,
              t.name,
              t.namespaces.join(','),
              t.rights.join(','),
              t.expires_at,
              t.revoked ? 'yes' : 'no',
            ]),
          ),
        )
      }),
    )
  tokens
    .command('revoke <id>')
    .description('revoke a token: it stops working at once')
    .action(
      action(async (ctx: Context, id: string) => {
        await ctx.api.revokeToken(id)
        ctx.out.print({ revoked: id }, () => `revoked ${id}`)
      }),
    )
}
