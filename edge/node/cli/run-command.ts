/** `zerverless run FILE`: submit one job from a file, wait for it, print its output and result. */
import type { Command } from 'commander'
import { action, type Context } from './client-program'
import { collect, seconds } from './cli-values'
import { describeJob } from './job-print'
import { exitCodeOf, waitForJob, WAIT_STEP_SECONDS } from './job-wait'
import { parseInput, readBytes, readProgram } from './program-file'

interface RunFlags {
  input?: string
  inputFile?: string
  namespace?: string
  timeout?: number
  secret?: string[]
  wait: number
}

export function addRunCommand(program: Command): void {
  program
    .command('run <file>')
    .description(
      'run a .js, .lua, .py or .wasm file as a job and wait for it; exit 0 completed, 1 failed or cancelled, 124 still running when --wait ran out',
    )
    .option('--input <json>', 'the input_data object, e.g. \'{"n": 3}\'')
    .option('--input-file <file>', 'read input_data from a JSON file')
    .option('--namespace <ns>', 'the namespace to run in (default: default)')
    .option('--timeout <seconds>', "the job's own time limit", seconds('--timeout'))
    .option('--secret <name>', 'a secret of the namespace the job reads (repeatable)', collect)
    .option('--wait <seconds>', 'how long to wait for the job to end', seconds('--wait'), 300)
    .action(action(run))
}

async function run(ctx: Context, file: string, flags: RunFlags): Promise<void> {
  const program = await readProgram(file)
  const input =
    flags.input !== undefined
      ? parseInput(flags.input, '--input')
      : flags.inputFile !== undefined
        ? parseInput((await readBytes(flags.inputFile)).toString('utf8'), flags.inputFile)
        : undefined
  const submitted = await ctx.api.submitJob(
    {
      job_type: program.runtime,
      ...program.fields,
      ...(input && { input_data: input }),
      ...(flags.namespace && { namespace: flags.namespace }),
      ...(flags.timeout !== undefined && { timeout_seconds: flags.timeout }),
      ...(flags.secret?.length && { secrets: flags.secret }),
    },
    Math.max(1, Math.min(WAIT_STEP_SECONDS, Math.ceil(flags.wait))),
  )
  const job = await waitForJob(ctx.api, submitted, flags.wait - WAIT_STEP_SECONDS)
  ctx.out.print(job, () => describeJob(job))
  ctx.exitCode = exitCodeOf(job)
}
