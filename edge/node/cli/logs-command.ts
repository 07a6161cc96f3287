/** `zerverless logs USER/PATH [--follow]`: each call of a function, its status and duration. */
import type { Command } from 'commander'
import type { Invocation } from './api-views'
import { action, type Context } from './client-program'
import { count, functionAddress, seconds } from './cli-values'

interface LogsFlags {
  follow?: boolean
  limit: number
  interval: number
}

export function addLogsCommand(program: Command): void {
  program
    .command('logs <target>')
    .description("a function's calls, oldest first: time, status, duration, version, error")
    .option('-f, --follow', 'keep polling and print new calls as they happen (Ctrl-C stops)')
    .option('--limit <n>', 'how many recent calls to show first', count('--limit', 1000), 20)
    .option('--interval <seconds>', 'how often --follow asks', seconds('--interval'), 2)
    .action(action(logs))
}

const line = (call: Invocation) =>
  [
    call.time,
    String(call.status),
    `${call.duration_ms} ms`,
    `v${call.version}`,
    ...(call.error ? [`${call.error.code}: ${call.error.message}`] : []),
  ].join('  ')

/** Calls have no id: one is known by its end time, version, status and duration. */
const keyOf = (call: Invocation) =>
  `${call.time}|${call.version}|${call.status}|${call.duration_ms}`

async function logs(ctx: Context, target: string, flags: LogsFlags): Promise<void> {
  const { user, path } = functionAddress(target)
  if (!flags.follow) {
    const first = await ctx.api.functionLogs(user, path, flags.limit)
    ctx.out.print(first, () =>
      first.invocations.length === 0
        ? '(no calls yet)'
        : [...first.invocations].reverse().map(line).join('\n'),
    )
    return
  }
  // Following prints one line per call (with --json, one JSON object per line). Every poll reads
  // the whole kept history, so that a call is new only if the last poll did not hold it.
  const emit = (call: Invocation) =>
    process.stdout.write(`${ctx.out.json ? JSON.stringify(call) : line(call)}\n`)
  const history = (await ctx.api.functionLogs(user, path, 1000)).invocations
  for (const call of history.slice(0, flags.limit).reverse()) emit(call)
  let seen = new Set(history.map(keyOf))
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, flags.interval * 1000))
    const calls = (await ctx.api.functionLogs(user, path, 1000)).invocations
    for (const call of [...calls].reverse()) if (!seen.has(keyOf(call))) emit(call)
    seen = new Set(calls.map(keyOf))
  }
}
