/**
 * The later issues' verbs: `workflows`, `cron` and `gitops`. Their resources are rich documents,
 * so the human form is a short line or table and `--json` gives the whole answer.
 */
import type { Command } from 'commander'
import type { AnyObject } from './api-views'
import { action, type Context } from './client-program'
import { EXIT } from './cli-error'
import { seconds } from './cli-values'
import { readDocument } from './document-file'
import { parseJson } from './program-file'
import { shown, table } from './output'

const field = (o: AnyObject, key: string) => (o[key] === undefined ? null : shown(o[key]))
const items = (o: AnyObject, key: string) => (Array.isArray(o[key]) ? (o[key] as AnyObject[]) : [])
const whole = (ctx: Context, o: AnyObject) => ctx.out.print(o, () => JSON.stringify(o, null, 2))

export function addLaterCommands(program: Command): void {
  addWorkflows(program)
  addCron(program)
  addGitops(program)
}

function addWorkflows(program: Command): void {
  const wf = program.command('workflows').description('DAGs of jobs, functions and services')
  wf.command('create <file>')
    .description('create a workflow from a JSON or YAML document')
    .action(
      action(async (ctx: Context, file: string) =>
        whole(ctx, await ctx.api.workflowCreate(await readDocument(file))),
      ),
    )
  wf.command('list')
    .option('--namespace <ns>', "only this namespace's workflows")
    .action(
      action(async (ctx: Context, flags: { namespace?: string }) => {
        const listed = await ctx.api.workflows(flags.namespace)
        ctx.out.print(listed, () =>
          table(
            ['ID', 'NAME', 'NAMESPACE'],
            items(listed, 'workflows').map((w) => [
              field(w, 'id'),
              field(w, 'name'),
              field(w, 'namespace'),
            ]),
          ),
        )
      }),
    )
  wf.command('get <id>').action(
    action(async (ctx: Context, id: string) => whole(ctx, await ctx.api.workflow(id))),
  )
  wf.command('delete <id>').action(
    action(async (ctx: Context, id: string) => whole(ctx, await ctx.api.workflowDelete(id))),
  )
  wf.command('run <id>')
    .description(
      'start a run and wait for it; exit 0 succeeded, 1 failed or cancelled, 124 still running',
    )
    .option('--input <json>', "the run's input")
    .option('--wait <seconds>', 'how long to wait (0: do not)', seconds('--wait'), 300)
    .action(
      action(async (ctx: Context, id: string, flags: { input?: string; wait: number }) => {
        const input = flags.input === undefined ? {} : { input: parseJson(flags.input, '--input') }
        const started = await ctx.api.workflowStart(id, input)
        const runId = started.id
        let run = started
        const until = Date.now() + flags.wait * 1000
        while (
          !['succeeded', 'failed', 'cancelled', 'completed'].includes(String(run.status)) &&
          Date.now() < until
        )
          run = await ctx.api.workflowRun(
            runId,
            Math.min(60, Math.ceil((until - Date.now()) / 1000)),
          )
        ctx.out.print(run, () => `run ${runId} ${field(run, 'status')}`)
        const status = String(run.status)
        ctx.exitCode =
          status === 'succeeded' || status === 'completed'
            ? EXIT.ok
            : status === 'failed' || status === 'cancelled'
              ? EXIT.failed
              : EXIT.unfinished
      }),
    )
  wf.command('runs <id>').action(
    action(async (ctx: Context, id: string) => whole(ctx, await ctx.api.workflowRuns(id))),
  )
}

function addCron(program: Command): void {
  const cron = program.command('cron').description('cron triggers that start jobs, calls and runs')
  cron
    .command('put <namespace> <name> <file>')
    .description('create or replace a trigger from a JSON or YAML document')
    .action(
      action(async (ctx: Context, ns: string, name: string, file: string) =>
        whole(ctx, await ctx.api.cronPut(ns, name, await readDocument(file))),
      ),
    )
  cron.command('list <namespace>').action(
    action(async (ctx: Context, ns: string) => {
      const listed = await ctx.api.crons(ns)
      ctx.out.print(listed, () =>
        table(
          ['NAME', 'SCHEDULE', 'NEXT'],
          items(listed, 'crons').map((c) => [
            field(c, 'name'),
            field(c, 'schedule'),
            field(c, 'next_run'),
          ]),
        ),
      )
    }),
  )
  cron
    .command('get <namespace> <name>')
    .action(
      action(async (ctx: Context, ns: string, name: string) =>
        whole(ctx, await ctx.api.cron(ns, name)),
      ),
    )
  cron.command('delete <namespace> <name>').action(
    action(async (ctx: Context, ns: string, name: string) => {
      await ctx.api.cronDelete(ns, name)
      ctx.out.print({ deleted: name, namespace: ns }, () => `deleted cron ${ns}/${name}`)
    }),
  )
}

function addGitops(program: Command): void {
  const gitops = program
    .command('gitops')
    .description('functions and files deployed from a Git repository')
  const ns = (flags: { namespace?: string }) => flags.namespace ?? 'default'
  gitops
    .command('add <file>')
    .description('register an application (JSON or YAML: name, namespace, repository, …)')
    .action(
      action(async (ctx: Context, file: string) =>
        whole(ctx, await ctx.api.gitopsAdd(await readDocument(file))),
      ),
    )
  gitops
    .command('list')
    .option('--namespace <ns>', "only this namespace's applications")
    .action(
      action(async (ctx: Context, flags: { namespace?: string }) => {
        const listed = await ctx.api.gitopsList(flags.namespace)
        ctx.out.print(listed, () =>
          table(
            ['NAME', 'NAMESPACE', 'PHASE'],
            items(listed, 'applications').map((a) => [
              field(a, 'name'),
              field(a, 'namespace'),
              field(a, 'phase'),
            ]),
          ),
        )
      }),
    )
  gitops
    .command('get <name>')
    .option('--namespace <ns>', 'its namespace (default: default)')
    .action(
      action(async (ctx: Context, name: string, flags: { namespace?: string }) =>
        whole(ctx, await ctx.api.gitopsGet(name, ns(flags))),
      ),
    )
  gitops
    .command('sync <name>')
    .option('--namespace <ns>', 'its namespace (default: default)')
    .option('--dry-run', 'say what would change, change nothing')
    .action(
      action(async (ctx: Context, name: string, flags: { namespace?: string; dryRun?: boolean }) =>
        whole(ctx, await ctx.api.gitopsSync(name, ns(flags), flags.dryRun === true)),
      ),
    )
  gitops
    .command('delete <name>')
    .option('--namespace <ns>', 'its namespace (default: default)')
    .option('--prune', 'also remove what it deployed')
    .action(
      action(async (ctx: Context, name: string, flags: { namespace?: string; prune?: boolean }) =>
        whole(ctx, await ctx.api.gitopsDelete(name, ns(flags), flags.prune === true)),
      ),
    )
}
