/** Parsers for the CLI's option values: bad ones are INVALID_ARGUMENT errors naming the flag. */
import type { Command } from 'commander'
import { CliError } from './cli-error'

/** A positive number of seconds (`--timeout`, `--wait`). */
export function seconds(flag: string) {
  return (text: string): number => {
    const n = Number(text)
    if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0))
      throw new CliError(
        'INVALID_ARGUMENT',
        `${flag} must be a positive number of seconds; got '${text}'`,
      )
    return n
  }
}

/** A whole number from 1 to `max` (`--limit`, `--concurrency`). */
export function count(flag: string, max: number) {
  return (text: string): number => {
    const n = Number(text)
    if (!/^\d+$/.test(text) || n < 1 || n > max)
      throw new CliError(
        'INVALID_ARGUMENT',
        `${flag} must be a whole number from 1 to ${max}; got '${text}'`,
      )
    return n
  }
}

/** Collects a repeatable flag (`--secret A --secret B`). */
export const collect = (value: string, previous: string[] = []) => [...previous, value]

/** `user/path` (a function's address) split at its first slash. */
export function functionAddress(text: string): { user: string; path: string } {
  const trimmed = text.replace(/^\/+/, '')
  const at = trimmed.indexOf('/')
  const user = at === -1 ? trimmed : trimmed.slice(0, at)
  if (!user)
    throw new CliError(
      'INVALID_ARGUMENT',
      `give the function as USER/PATH, e.g. alice/hello; got '${text}'`,
    )
  return { user, path: at === -1 ? '' : trimmed.slice(at + 1) }
}

/** A whole number from 0 up (`--offset`). */
export function wholeNumber(flag: string) {
  return (text: string): number => {
    if (!/^\d{1,15}$/.test(text))
      throw new CliError('INVALID_ARGUMENT', `${flag} must be a whole number; got '${text}'`)
    return Number(text)
  }
}

/** What a cursor-paged listing's options give its action. */
export type PageFlags = { prefix?: string; limit: number; cursor?: string }

/** `--prefix`, `--limit` and `--cursor` of a cursor-paged listing (`kv list`, `storage ls`). */
export function pageOptions(command: Command, what: string): Command {
  return command
    .option('--prefix <prefix>', `only ${what} starting with this`)
    .option('--limit <n>', 'at most this many', count('--limit', 1000), 100)
    .option('--cursor <cursor>', 'the cursor the last page gave')
}
