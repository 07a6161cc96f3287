/**
 * A secret's value, read from stdin (piped) or typed at a hidden prompt: never from argv, where
 * `ps` and shell history would keep it.
 */
import { CliError } from './cli-error'

export async function readSecretValue(name: string): Promise<string> {
  const value = process.stdin.isTTY ? await prompt(`value of ${name} (hidden): `) : await piped()
  if (value === '')
    throw new CliError('EMPTY_SECRET', `no value for ${name}: pipe it in or type it at the prompt`)
  return value
}

/** Piped stdin, one trailing newline dropped (`echo value |` adds it). */
async function piped(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/** Reads a line in raw mode without echoing it. */
function prompt(question: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(question)
  stdin.setRawMode(true)
  stdin.resume()
  return new Promise((resolve, reject) => {
    let typed = ''
    const done = (fn: () => void) => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      process.stderr.write('\n')
      fn()
    }
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(typed))
        if (ch === '\u0003') return done(() => reject(new CliError('CANCELLED', 'cancelled')))
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1)
        else typed += ch
      }
    }
    stdin.on('data', onData)
  })
}
