/** `zerverless jobs list|get|cancel|wait`: the jobs already submitted. */
import type { Command } from 'commander'
import type { JobView } from './api-views'
import { action, type Context } from './client-program'
import { count, seconds, wholeNumber } from './cli-values'
import { describeJob } from './job-print'
import { exitCodeOf, waitForJob } from './job-wait'
import { table } from './output'

interface ListFlags {
  namespace?: string
  status?: string
  batch?: string
  limit: number
  offset?: number
}

export function addJobsCommands(program: Command): void {
  const jobs = program.command('jobs').description('list, read, cancel and wait for jobs')
  jobs
    .command('list')
    .description(
      "jobs newest first (a batch's in input order); a namespace token must give --namespace",
    )
    .option('--namespace <ns>', "only this namespace's jobs")
    .option('--status <status>', 'pending, running, completed, failed or cancelled')
    .option('--batch <id>', "only this batch's jobs, in input order")
    .option('--limit <n>', 'at most this many', count('--limit', 1000), 20)
    .option('--offset <n>', 'skip this many (the next page)', wholeNumber('--offset'))
    .action(action(list))
  jobs
    .command('get <id>')
    .description('one job: status, output, result or error')
    .action(action(async (ctx: Context, id: string) => show(ctx, await ctx.api.job(id))))
  jobs
    .command('cancel <id>')
    .description('cancel a pending or running job')
    .action(action(async (ctx: Context, id: string) => show(ctx, await ctx.api.cancelJob(id))))
  jobs
    .command('wait <id>')
    .description(
      'wait for a job to end; exit 0 completed, 1 failed or cancelled, 124 not yet ended',
    )
    .option('--wait <seconds>', 'how long to wait', seconds('--wait'), 300)
    .action(
      action(async (ctx: Context, id: string, flags: { wait: number }) => {
        const job = await waitForJob(ctx.api, await ctx.api.job(id), flags.wait)
        show(ctx, job)
        ctx.exitCode = exitCodeOf(job)
      }),
    )
}

function show(ctx: Context, job: JobView): void {
  ctx.out.print(job, () => describeJob(job))
}

async function list(ctx: Context, flags: ListFlags): Promise<void> {
  const listed = await ctx.api.jobs({
    namespace: flags.namespace,
    status: flags.status,
    batch_id: flags.batch,
    order: flags.batch ? 'input' : undefined,
    limit: flags.limit,
    offset: flags.offset,
  })
  ctx.out.print(listed, () => {
    const rows = listed.jobs.map((j) => [
      j.id,
      j.job_type,
      j.namespace,
      j.status,
      j.duration_ms === null || j.duration_ms === undefined ? null : `${j.duration_ms} ms`,
      j.created_at,
    ])
    const shownCount = (flags.offset ?? 0) + listed.jobs.length
    const more =
      listed.total > shownCount ? `\n${listed.total - shownCount} more: --offset ${shownCount}` : ''
    return table(['ID', 'RUNTIME', 'NAMESPACE', 'STATUS', 'TOOK', 'CREATED'], rows) + more
  })
}
