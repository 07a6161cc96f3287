/**
 * The developer CLI's program: the global flags (--url, --token, --json), the verb groups, and
 * the one place an error becomes a line on stderr and an exit code.
 */
import { Command, CommanderError } from 'commander'
import { VERSION } from '../../../shared/protocol/version'
import { apiClient, type Api } from './api-client'
import { CliError, describeError, EXIT } from './cli-error'
import { output, type Output } from './output'
import { addBatchCommand } from './batch-command'
import { addDeployCommands } from './deploy-commands'
import { addFunctionsCommands } from './functions-commands'
import { addInitCommand } from './init-command'
import { addJobsCommands } from './jobs-commands'
import { addKvCommands } from './kv-commands'
import { addLaterCommands } from './later-commands'
import { addRunCommand } from './run-command'
import { addStorageCommands } from './storage-commands'
import { addTokensCommands } from './tokens-commands'
import { addSecretsCommands } from './secrets-commands'

/** What every verb's action gets: the API, where to print, and how to end. */
export interface Context {
  api: Api
  out: Output
  /** Exit code to end with once the action returns (default 0). */
  exitCode: number
}

interface GlobalFlags {
  url: string
  token?: string
  json?: boolean
}

/** A verb's action: its context first, then commander's arguments. */
export type Action<A extends unknown[]> = (ctx: Context, ...args: A) => Promise<void>

/** Wraps a verb's action: builds its context from the global flags, and ends with its exit code. */
export function action<A extends unknown[]>(fn: Action<A>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command
    const flags = command.optsWithGlobals<GlobalFlags>()
    const ctx: Context = {
      api: apiClient({ url: flags.url, token: flags.token }),
      out: output(flags.json === true),
      exitCode: EXIT.ok,
    }
    await fn(ctx, ...(args.slice(0, -1) as A))
    process.exitCode = ctx.exitCode
  }
}

/** The program with every verb, ready to parse. */
function clientProgram(): Command {
  const program = new Command('zerverless')
    .description('The Zerverless developer CLI (`zerverless serve` starts a server).')
    .version(VERSION)
    .option(
      '--url <url>',
      'the orchestrator (env ZERVERLESS_URL)',
      process.env.ZERVERLESS_URL || 'http://127.0.0.1:8000',
    )
    .option('--token <token>', 'an API token (env ZERVERLESS_TOKEN)', process.env.ZERVERLESS_TOKEN)
    .option('--json', 'print machine-readable JSON only, for scripts')
    .showHelpAfterError()
    // Subcommands inherit it: commander's own errors come back here rather than exiting.
    .exitOverride()
  for (const add of [
    addRunCommand,
    addJobsCommands,
    addBatchCommand,
    addDeployCommands,
    addFunctionsCommands,
    addKvCommands,
    addStorageCommands,
    addTokensCommands,
    addSecretsCommands,
    addLaterCommands,
    addInitCommand,
  ])
    add(program)
  return program
}

/** Parses argv and runs the verb; a user's error is one line on stderr and exit code 2. */
export async function runClient(argv: string[]): Promise<void> {
  const program = clientProgram()
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.error
      return
    }
    // A bug is a stack for us; the user's errors (and the system's: EPIPE, EACCES) are one line.
    if (!(err instanceof CliError) && typeof (err as NodeJS.ErrnoException).code !== 'string')
      throw err
    process.stderr.write(`${describeError(err)}\n`)
    process.exitCode = EXIT.error
  }
}
