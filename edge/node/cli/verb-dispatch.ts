/** Decides whether argv names a developer verb or is the server's flags (the default). */

/** The verbs of the developer CLI; anything else (and `serve`) starts the server. */
const CLIENT_VERBS = [
  'run',
  'jobs',
  'batch',
  'deploy',
  'invoke',
  'logs',
  'functions',
  'kv',
  'storage',
  'tokens',
  'secrets',
  'cron',
  'workflows',
  'gitops',
  'init',
  // `zerverless help [verb]`: the developer CLI's help (`zerverless --help` is the server's flags).
  'help',
] as const

/** The client's own global flags that take a value; they may come before the verb. */
const VALUE_FLAGS = new Set(['--url', '--token'])

/**
 * True when the first word after the client's global flags is a verb. The server's flags take
 * values (`--data-dir run` is a directory), so only the client's own flags are skipped.
 */
export function clientVerbAt(args: string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (VALUE_FLAGS.has(arg)) i++
    else if (arg === '--json' || /^--(url|token)=/.test(arg)) continue
    else return (CLIENT_VERBS as readonly string[]).includes(arg)
  }
  return false
}
