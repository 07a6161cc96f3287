/**
 * `zerverless batch FILE --inputs inputs.jsonl`: one job per input line, a progress bar while
 * they run, and the results written as JSON lines in the order of the inputs.
 */
import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { BatchCounts, JobView } from './api-views'
import { action, type Context } from './client-program'
import { CliError, EXIT } from './cli-error'
import { seconds } from './cli-values'
import { fileError, parseInput, readBytes, readProgram } from './program-file'
import { noProgress, progressBar } from './progress-bar'

interface BatchFlags {
  inputs: string
  out?: string
  namespace?: string
  timeout?: number
  wait: number
}

/** How long each poll of the batch's counts may wait on the server. */
const POLL_SECONDS = 2
const PAGE = 1000

export function addBatchCommand(program: Command): void {
  program
    .command('batch <file>')
    .description(
      'run FILE once per line of --inputs (JSON objects); results as JSON lines in input order; exit 0 all completed, 1 some failed, 124 not all ended',
    )
    .requiredOption('--inputs <file>', 'a .jsonl file: one input_data object per line')
    .option('--out <file>', 'write the results here (default: stdout)')
    .option('--namespace <ns>', 'the namespace to run in (default: default)')
    .option('--timeout <seconds>', "each job's own time limit", seconds('--timeout'))
    .option('--wait <seconds>', 'how long to wait for all to end', seconds('--wait'), 3600)
    .action(action(batch))
}

async function batch(ctx: Context, file: string, flags: BatchFlags): Promise<void> {
  const program = await readProgram(file)
  const inputs = (await readBytes(flags.inputs))
    .toString('utf8')
    .split('\n')
    .map((line, i) => ({ line: line.trim(), at: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, at }) => parseInput(line, `${flags.inputs} line ${at}`))
  if (inputs.length === 0) throw new CliError('NO_INPUTS', `${flags.inputs} has no input lines`)
  const submitted = await ctx.api.submitBatch({
    job_type: program.runtime,
    ...program.fields,
    inputs,
    ...(flags.namespace && { namespace: flags.namespace }),
    ...(flags.timeout !== undefined && { timeout_seconds: flags.timeout }),
  })
  ctx.out.note(`batch ${submitted.batch_id}: ${submitted.count} jobs`)
  const counts = await follow(ctx, submitted.batch_id, submitted.count, flags.wait)
  const results = await resultsInOrder(ctx, submitted.batch_id, submitted.count)
  await writeLines(flags.out, results.map(resultLine))
  const summary = counts
  if (flags.out !== undefined)
    ctx.out.print(
      summary,
      () =>
        `${counts.completed ?? 0} completed, ${counts.failed ?? 0} failed; results in ${flags.out}`,
    )
  else ctx.out.note(`${counts.completed ?? 0} completed, ${counts.failed ?? 0} failed`)
  ctx.exitCode = !counts.done
    ? EXIT.unfinished
    : (counts.completed ?? 0) === counts.total
      ? EXIT.ok
      : EXIT.failed
}

/** Polls the batch's counts until all jobs ended or the wait is over, moving the bar. */
async function follow(ctx: Context, id: string, total: number, wait: number): Promise<BatchCounts> {
  const bar = ctx.out.json ? noProgress : progressBar('jobs', total)
  const until = Date.now() + wait * 1000
  let counts = await ctx.api.batch(id)
  try {
    for (;;) {
      bar.update((counts.completed ?? 0) + (counts.failed ?? 0) + (counts.cancelled ?? 0))
      if (counts.done || Date.now() >= until) return counts
      counts = await ctx.api.batch(id, POLL_SECONDS)
    }
  } finally {
    bar.finish()
  }
}

async function resultsInOrder(ctx: Context, batchId: string, total: number): Promise<JobView[]> {
  const jobs: JobView[] = []
  for (let offset = 0; offset < total; offset += PAGE) {
    const page = await ctx.api.jobs({ batch_id: batchId, order: 'input', limit: PAGE, offset })
    jobs.push(...page.jobs)
    if (page.jobs.length < PAGE) break
  }
  return jobs
}

const resultLine = (job: JobView) =>
  JSON.stringify({
    index: job.index ?? null,
    id: job.id,
    status: job.status,
    result: job.result ?? null,
    output: job.output ?? null,
    error: job.error ?? null,
  })

async function writeLines(file: string | undefined, lines: string[]): Promise<void> {
  const text = lines.map((l) => `${l}\n`).join('')
  if (file === undefined) {
    process.stdout.write(text)
    return
  }
  try {
    await writeFile(file, text)
  } catch (err) {
    throw fileError(file, err)
  }
}
