/** `zerverless deploy`, `invoke` and `logs`: put functions up, call them, watch their calls. */
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import type { Deployment } from './api-views'
import { action, type Context } from './client-program'
import { CliError, EXIT } from './cli-error'
import { checkJsFunction } from './code-check'
import { collect, functionAddress, seconds } from './cli-values'
import { addLogsCommand } from './logs-command'
import { table } from './output'
import { fileError, parseJson, readProgram, runtimeOf } from './program-file'

interface DeployFlags {
  dir?: string
  timeout?: number
  secret?: string[]
}

export function addDeployCommands(program: Command): void {
  program
    .command('deploy [file] [target]')
    .description(
      'deploy FILE at USER/PATH (a new version each time), or every function file of --dir DIR at USER/<file name>',
    )
    .option(
      '--dir <dir>',
      'deploy each .js/.lua/.py/.wasm file under DIR; index.* is the directory',
    )
    .option('--timeout <seconds>', 'time limit of each call (1 to 300)', seconds('--timeout'))
    .option('--secret <name>', 'a secret of the namespace each call reads (repeatable)', collect)
    .action(action(deploy))
  program
    .command('invoke <target>')
    .description(
      'call the function at USER/PATH[?QUERY] and print its answer; exit 1 on a status of 400 or more',
    )
    .option('--data <json>', 'a JSON body to send (the method becomes POST)')
    .option('-X, --method <method>', 'the HTTP method (default GET, POST with --data)')
    .action(action(invoke))
  addLogsCommand(program)
}

async function deploy(
  ctx: Context,
  file: string | undefined,
  target: string | undefined,
  flags: DeployFlags,
): Promise<void> {
  const options = {
    ...(flags.timeout !== undefined && { timeout_seconds: flags.timeout }),
    ...(flags.secret?.length && { secrets: flags.secret }),
  }
  if (flags.dir !== undefined) {
    // With --dir the one positional is the user.
    const user = target ?? file
    if (!user || (file && target))
      throw new CliError('INVALID_ARGUMENT', 'give the user: zerverless deploy --dir DIR USER')
    const files = await functionFiles(flags.dir)
    if (files.length === 0)
      throw new CliError('NO_FUNCTIONS', `no .js, .lua, .py or .wasm files under ${flags.dir}`)
    const deployed: Deployment[] = []
    for (const relative of files)
      deployed.push(
        await deployOne(ctx, path.join(flags.dir, relative), user, pathOf(relative), options),
      )
    ctx.out.print({ deployments: deployed }, () =>
      table(
        ['URL', 'RUNTIME', 'VERSION'],
        deployed.map((d) => [d.url, d.runtime, d.version]),
      ),
    )
    return
  }
  if (!file || !target)
    throw new CliError(
      'INVALID_ARGUMENT',
      'give a file and where: zerverless deploy FILE USER/PATH',
    )
  const { user, path: at } = functionAddress(target)
  const d = await deployOne(ctx, file, user, at, options)
  ctx.out.print(d, () => `deployed ${d.url} (${d.runtime}, version ${d.version})`)
}

async function deployOne(
  ctx: Context,
  file: string,
  user: string,
  at: string,
  options: object,
): Promise<Deployment> {
  const program = await readProgram(file)
  if (program.runtime === 'js' && program.code !== undefined) checkJsFunction(file, program.code)
  return ctx.api.deploy(user, at, { runtime: program.runtime, ...program.fields, ...options })
}

/** Function files under a directory, relative and sorted, so a deploy's order is repeatable. */
async function functionFiles(dir: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = await readdir(dir, { recursive: true })
  } catch (err) {
    throw fileError(dir, err)
  }
  return entries
    .filter((f) => /\.(m?js|lua|py|wasm)$/i.test(f) && !f.split(path.sep).includes('node_modules'))
    .map((f) => f.split(path.sep).join('/'))
    .sort()
}

/** `api/greet.py` is `api/greet`; `index.js` is its directory (`api/index.lua` is `api`). */
function pathOf(relative: string): string {
  runtimeOf(relative)
  const bare = relative.replace(/\.[^./]+$/, '')
  return bare === 'index' ? '' : bare.replace(/\/index$/, '')
}

async function invoke(
  ctx: Context,
  target: string,
  flags: { data?: string; method?: string },
): Promise<void> {
  // `alice/hello?name=Bob`: the query goes along as it is.
  const [address = '', query] = splitOnce(target, '?')
  const { user, path: at } = functionAddress(address)
  if (flags.data !== undefined) parseJson(flags.data, '--data')
  const method = (flags.method ?? (flags.data !== undefined ? 'POST' : 'GET')).toUpperCase()
  const answer = await ctx.api.invoke(user, at, method, flags.data, query)
  const text = answer.body ? await new Response(answer.body).text() : ''
  if (answer.status >= 400) ctx.exitCode = EXIT.failed
  let body: unknown = text
  if (answer.headers.get('content-type')?.includes('json')) {
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
  }
  if (ctx.out.json) {
    ctx.out.print({ status: answer.status, headers: headerObject(answer.headers), body }, () => '')
    return
  }
  const error = errorOf(body)
  if (answer.status >= 400 && error) {
    process.stderr.write(`error: ${error.error} (${error.code}, HTTP ${answer.status})\n`)
    return
  }
  if (answer.status >= 400) process.stderr.write(`HTTP ${answer.status}\n`)
  ctx.out.print(body, () => text)
}

function splitOnce(text: string, on: string): [string, string | undefined] {
  const at = text.indexOf(on)
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

function errorOf(body: unknown): { error: string; code: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { error, code } = body as Record<string, unknown>
  return typeof error === 'string' && typeof code === 'string' ? { error, code } : undefined
}

function headerObject(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => (out[name] = value))
  return out
}
