/**
 * A JSON or YAML document from a file (a workflow, a cron trigger, a GitOps application). The YAML
 * parser loads only for a YAML file: every other command starts without it.
 */
import { CliError } from './cli-error'
import { parseJson, readBytes } from './program-file'

export async function readDocument(file: string): Promise<unknown> {
  const text = (await readBytes(file)).toString('utf8')
  if (!/\.ya?ml$/i.test(file)) return parseJson(text, file)
  const { parse: parseYaml } = await import('yaml')
  try {
    return parseYaml(text) as unknown
  } catch (err) {
    throw new CliError('INVALID_YAML', `${file} is not YAML: ${(err as Error).message}`)
  }
}
