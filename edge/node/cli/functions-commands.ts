/** `zerverless functions list|get|versions|rollback|delete`: deployed functions and their versions. */
import type { Command } from 'commander'
import { action, type Context } from './client-program'
import { functionAddress } from './cli-values'
import { table } from './output'

export function addFunctionsCommands(program: Command): void {
  const functions = program.command('functions').description('deployed functions')
  functions
    .command('list')
    .description("functions, a user's with --user (a namespace token must give it)")
    .option('--user <user>', "only this user's functions")
    .action(
      action(async (ctx: Context, flags: { user?: string }) => {
        const listed = await ctx.api.deployments(flags.user)
        ctx.out.print(listed, () =>
          table(
            ['URL', 'RUNTIME', 'VERSION', 'UPDATED'],
            listed.deployments.map((d) => [d.url, d.runtime, d.version, d.updated_at]),
          ),
        )
      }),
    )
  functions
    .command('versions <target>')
    .description('the kept versions of USER/PATH, newest first; * marks the current one')
    .action(
      action(async (ctx: Context, target: string) => {
        const { user, path } = functionAddress(target)
        const d = await ctx.api.deployment(user, path)
        const versions = d.versions ?? []
        ctx.out.print({ url: d.url, current: d.version, versions }, () =>
          table(
            ['', 'VERSION', 'RUNTIME', 'CREATED'],
            versions.map((v) => [
              v.version === d.version ? '*' : '',
              v.version,
              v.runtime,
              v.created_at,
            ]),
          ),
        )
      }),
    )
  functions
    .command('rollback <target>')
    .description('make the previous version of USER/PATH current again')
    .action(
      action(async (ctx: Context, target: string) => {
        const { user, path } = functionAddress(target)
        const d = await ctx.api.rollback(user, path)
        ctx.out.print(d, () => `${d.url} is at version ${d.version}`)
      }),
    )
  functions
    .command('delete <target>')
    .description('remove USER/PATH and all its versions')
    .action(
      action(async (ctx: Context, target: string) => {
        const { user, path } = functionAddress(target)
        await ctx.api.undeploy(user, path)
        ctx.out.print({ deleted: `${user}/${path}` }, () => `deleted ${user}/${path}`)
      }),
    )
}
