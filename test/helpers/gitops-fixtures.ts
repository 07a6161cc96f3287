/**
 * GitOps test repositories: a real git repository (test/helpers/git-repo.ts) holding a
 * `zerverless.yaml` with functions, a static directory and a workflow, and a signed webhook call.
 */
import { createHmac } from 'node:crypto'
import { gitRepo, type GitRepo } from './git-repo'
import { tempDir } from './temp-dir'

/** One function entry of a manifest, as YAML lines under `spec.functions`. */
export const jsFunction = (path: string, body: string) =>
  `    - path: ${path}\n      runtime: js\n      code: "function handle(req) { return { status: 200, body: '${body}' } }"\n`

/** A manifest for namespace-relative functions (YAML lines), a static dir and a workflow. */
export function manifest(
  name: string,
  functions: string,
  options: { static?: boolean; workflow?: boolean; extra?: string; namespace?: string } = {},
): string {
  return [
    'apiVersion: zerverless.io/v1',
    'kind: Application',
    'metadata:',
    `  name: ${name}`,
    ...(options.namespace ? [`  namespace: ${options.namespace}`] : []),
    'spec:',
    '  functions:',
    functions.trimEnd(),
    ...(options.static === false ? [] : ['  static:', '    dir: public']),
    ...(options.workflow ? ['  workflows:', '    - file: workflows/pipeline.yaml'] : []),
    ...(options.extra ? [options.extra.trimEnd()] : []),
    '',
  ].join('\n')
}

/** A repository whose first commit holds `files`. */
export function repoWith(files: Record<string, string>): GitRepo & { first: string } {
  const repo = gitRepo(tempDir('zv-gitops-repo-'))
  const first = repo.push('main', files, 'first')
  return { ...repo, first }
}

/** `X-Hub-Signature-256` for `body` as GitHub computes it. */
export const signature = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
