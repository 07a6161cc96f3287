/** `zerverless-runner`'s flags and --help; the defaults shown are runner-config.ts's. */
import { DEFAULT_WARM_BUDGET_MB } from '../shared/sandbox/warm-budget'
import { Command, Option } from 'commander'
import { optionParser } from '../shared/agent/node/cli-options'
import { plainText, secretText, wholeNumber } from '../shared/agent/text-values'
import { VERSION } from '../shared/protocol/version'
import { CONTAINMENT_CHOICES } from './native/containment'
import { SERVICES_WORD } from './path-policy'
import { RunnerConfig } from './runner-config'

/** `zerverless-runner`'s command, ready to parse. */
export function runnerProgram(): Command {
  const d = RunnerConfig.parse({})
  return new Command('zerverless-runner')
    .description(
      'A native peer for a Zerverless orchestrator: runs standalone services and sandboxed jobs.',
    )
    .version(VERSION)
    .option(
      '--orchestrator <url>',
      'the orchestrator, e.g. http://host:8000 (env ZERVERLESS_ORCHESTRATOR)',
      optionParser(plainText),
    )
    .option(
      '--data-dir <dir>',
      'where services, outputs and the runner id live',
      optionParser(plainText),
      d.dataDir,
    )
    .option(
      '--name <name>',
      'how this runner appears in GET /api/peers',
      optionParser(plainText),
      d.name,
    )
    .option(
      '--token <token>',
      "the orchestrator's runner token (env ZERVERLESS_RUNNER_TOKEN)",
      optionParser(secretText),
    )
    .option(
      '--concurrency <n>',
      'jobs at once (native processes and sandbox threads)',
      optionParser(wholeNumber(1, 256)),
      d.concurrency,
    )
    .option('--no-native', 'do not run native executables (standalone services)')
    .option(
      '--allow-path <globs>',
      `executables services may run: absolute globs (* within a directory, ** across them), matched after symlinks are resolved; repeatable or comma-separated; '${SERVICES_WORD}' allows uploaded and from-git services. Default: anything when the orchestrator is on loopback, nothing otherwise`,
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .addOption(
      new Option(
        '--contain <mechanism>',
        'what holds each native run so that a timeout or cancel stops all it started',
      )
        .choices(CONTAINMENT_CHOICES)
        .default(d.contain, 'a cgroup v2, else a PID namespace, else the process group'),
    )
    .option('--no-sandbox', 'do not run sandboxed js/lua/python/wasm jobs')
    .option(
      '--warm-budget-mb <n>',
      `memory each sandbox thread may keep in warm function contexts, least recently used evicted first; 0 keeps none (default: ${DEFAULT_WARM_BUDGET_MB})`,
      optionParser(wholeNumber(0, 65536)),
    )
    .option('--print-capabilities', 'print what this machine offers and exit')
    .addHelpText(
      'after',
      `
Examples:
  $ zerverless-runner --orchestrator http://127.0.0.1:8000
  $ zerverless-runner --orchestrator https://zv.example.org --token "$TOKEN" --name gpu-box \\
      --allow-path '/opt/tools/*' --allow-path ${SERVICES_WORD}
  $ zerverless-runner --print-capabilities`,
    )
}
