/**
 * What a commit asks for, read and checked as a whole before anything is applied: the manifest,
 * each function's code, the static files, the workflow documents, crons and secrets. The first
 * problem ends the sync as Failed with its file, field and line, and nothing has changed yet.
 */
import type { CronBody } from '../cron/cron-schemas'
import { FunctionService, type DeployRequest } from '../functions/function-service'
import { HttpError } from '../http-error'
import { checkStoragePath } from '../storage/storage-path'
import { checkWorkflow } from '../workflows/workflow-check'
import { workflowDocument, type WorkflowDocument } from '../workflows/workflow-schemas'
import type { SyncError } from './application-store'
import { sha256Bytes, type GitopsDeps } from './gitops-deps'
import { parseLocated } from './located-yaml'
import { liveWorkflow } from './sync-changes'
import { MANIFEST_FILE, manifestSchema, type Manifest } from './manifest'
import type { RepoSnapshot } from './repo-reader'

/** Static files a manifest may ship, each and in all (they are read twice: to compare, to copy). */
const MAX_STATIC_FILES = 1000
export const MAX_STATIC_FILE_BYTES = 25 * 1024 * 1024

interface DesiredFunction {
  path: string
  request: DeployRequest
  code_hash: string
}
interface DesiredFile {
  path: string
  /** Where it is in the repository. */
  source: string
  size: number
  sha256: string
}
interface DesiredWorkflow {
  name: string
  doc: WorkflowDocument
  fingerprint: string
}
interface DesiredCron {
  name: string
  body: CronBody
  fingerprint: string
  /** The manifest's workflow its target names (by name: put with that workflow's id). */
  workflow?: string
}

export interface DesiredState {
  /** Where it all goes: the manifest's namespace, else the application's. */
  namespace: string
  functions: DesiredFunction[]
  files: DesiredFile[]
  workflows: DesiredWorkflow[]
  crons: DesiredCron[]
}

export type Desired = { ok: true; state: DesiredState } | { ok: false; error: SyncError }

class Refused extends Error {
  constructor(readonly error: SyncError) {
    super(error.message)
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** Reads and checks everything `snapshot` asks for, in `namespace` unless the manifest names one. */
export async function desiredState(
  deps: GitopsDeps,
  snapshot: RepoSnapshot,
  subdir: string,
  namespace: string,
): Promise<Desired> {
  try {
    return { ok: true, state: await read(deps, snapshot, subdir, namespace) }
  } catch (err) {
    if (err instanceof Refused) return { ok: false, error: err.error }
    throw err
  }
}

async function read(
  deps: GitopsDeps,
  snapshot: RepoSnapshot,
  subdir: string,
  namespace: string,
): Promise<DesiredState> {
  const inRepo = (path: string) => (subdir ? `${subdir}/${path}` : path)
  const manifestPath = inRepo(MANIFEST_FILE)
  const text = await readText(snapshot, manifestPath, deps.config.maxBodyBytes, {
    message: `${manifestPath} is not in commit ${snapshot.commit.slice(0, 12)}`,
    file: manifestPath,
  })
  const parsed = parseLocated(text, manifestSchema(deps.config), manifestPath)
  if (!parsed.ok) throw new Refused(parsed.problem)
  const manifest: Manifest = parsed.value
  const at = (path: (string | number)[], message: string): SyncError => ({
    message: `${manifestPath} line ${parsed.lineOf(path)}: ${path.join('.')} ${message}`,
    file: manifestPath,
    field: path.join('.'),
    line: parsed.lineOf(path),
  })
  const target = manifest.metadata.namespace ?? namespace
  const spec = manifest.spec

  const secretNames = new Set<string>()
  const needSecret = (name: string, where: (string | number)[]) => {
    if (!deps.secrets)
      throw new Refused(at(where, 'names a secret, and this orchestrator has no secrets service'))
    if (!secretNames.size) for (const n of deps.secrets.names(target)) secretNames.add(n)
    if (!secretNames.has(name))
      throw new Refused(
        at(where, `names secret '${name}', which namespace '${target}' does not hold`),
      )
  }
  spec.secrets?.forEach((name, i) => needSecret(name, ['spec', 'secrets', i]))

  const functions: DesiredFunction[] = []
  const paths = new Set<string>()
  for (const [i, entry] of (spec.functions ?? []).entries()) {
    const where = ['spec', 'functions', i]
    let path: string
    try {
      path = FunctionService.normalizePath(target, entry.path.replace(/^\/+/, ''))
    } catch (err) {
      throw new Refused(at([...where, 'path'], `is not a function path: ${messageOf(err)}`))
    }
    if (paths.has(path)) throw new Refused(at([...where, 'path'], `'${path}' is used twice`))
    paths.add(path)
    const code =
      entry.code ??
      (await readText(
        snapshot,
        inRepo(entry.codeFile as string),
        deps.config.maxBodyBytes,
        at([...where, 'codeFile'], `names '${entry.codeFile}', which is not in the commit`),
      ))
    entry.secrets?.forEach((name, j) => needSecret(name, [...where, 'secrets', j]))
    const runtime = entry.runtime === 'javascript' ? 'js' : entry.runtime
    // Checked as a deploy would check it, before anything of the commit is applied.
    const problem = await deps.functions.checkCode(runtime, code)
    if (problem) {
      const field = [...where, entry.codeFile === undefined ? 'code' : 'codeFile']
      const inFile = entry.codeFile !== undefined && problem.line !== undefined
      throw new Refused({
        ...at(field, `is not a deployable function: ${problem.message}`),
        ...(inFile && {
          message: `${inRepo(entry.codeFile as string)} line ${problem.line}: ${problem.message}`,
          file: inRepo(entry.codeFile as string),
          line: problem.line,
        }),
      })
    }
    const request: DeployRequest = {
      runtime,
      code,
      wasm_cid: null,
      timeout_ms: Math.round((entry.timeout_seconds ?? deps.config.defaultTimeoutSeconds) * 1000),
      executor: entry.executor ?? 'trusted',
      untrusted_db: entry.untrusted_db ?? { read: [], write: [] },
      secrets: entry.secrets ?? [],
    }
    functions.push({ path, request, code_hash: await deps.sha256(code) })
  }

  const files: DesiredFile[] = []
  if (spec.static) {
    if (!deps.storage)
      throw new Refused(at(['spec', 'static'], 'needs file storage, which this host has none of'))
    const dir = inRepo(spec.static.dir)
    const listed = await snapshot.list(dir)
    if (!listed.length)
      throw new Refused(at(['spec', 'static', 'dir'], `'${spec.static.dir}' holds no files`))
    if (listed.length > MAX_STATIC_FILES)
      throw new Refused(at(['spec', 'static', 'dir'], `holds more than ${MAX_STATIC_FILES} files`))
    for (const file of listed) {
      try {
        checkStoragePath(file.path)
      } catch (err) {
        throw new Refused(at(['spec', 'static', 'dir'], `holds '${file.path}': ${messageOf(err)}`))
      }
      if (file.size > MAX_STATIC_FILE_BYTES)
        throw new Refused(at(['spec', 'static', 'dir'], `holds '${file.path}', larger than 25 MiB`))
      const source = `${dir}/${file.path}`
      const bytes = await snapshot.read(source, MAX_STATIC_FILE_BYTES)
      if (!bytes) throw new Refused(at(['spec', 'static', 'dir'], `lost '${file.path}'`))
      files.push({
        path: file.path,
        source,
        size: bytes.byteLength,
        sha256: await sha256Bytes(bytes),
      })
    }
  }

  const workflows: DesiredWorkflow[] = []
  const schema = workflowDocument(deps.config)
  for (const [i, entry] of (spec.workflows ?? []).entries()) {
    const file = inRepo(entry.file)
    const text = await readText(
      snapshot,
      file,
      deps.config.maxBodyBytes,
      at(['spec', 'workflows', i, 'file'], `names '${entry.file}', which is not in the commit`),
    )
    const doc = parseLocated(text, schema, file)
    if (!doc.ok)
      throw new Refused({
        ...doc.problem,
        message: `${doc.problem.message} (line ${doc.problem.line})`,
      })
    if (doc.value.namespace !== undefined && doc.value.namespace !== target)
      throw new Refused({
        message: `${file}: namespace must be '${target}' (the application's) or left out`,
        file,
        field: 'namespace',
        line: doc.lineOf(['namespace']),
      })
    if (workflows.some((w) => w.name === doc.value.name))
      throw new Refused(at(['spec', 'workflows', i], `names workflow '${doc.value.name}' twice`))
    try {
      // Functions this manifest deploys count as there: they will be, before the workflow is.
      checkWorkflow(doc.value, target, {
        ...deps.lookups,
        hasFunction: (user, path) =>
          (user === target && paths.has(path)) || deps.lookups.hasFunction(user, path),
      })
    } catch (err) {
      const field = err instanceof HttpError ? String(err.extra.field ?? '') : ''
      throw new Refused({
        message: `${file}: ${messageOf(err)}`,
        file,
        field,
        line: doc.lineOf(field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p))),
      })
    }
    const fingerprint = await deps.sha256(JSON.stringify(doc.value))
    workflows.push({ name: doc.value.name, doc: doc.value, fingerprint })
  }

  const crons: DesiredCron[] = []
  for (const [i, entry] of (spec.crons ?? []).entries()) {
    if (!deps.crons)
      throw new Refused(
        at(['spec', 'crons', i], 'is a cron, and this orchestrator has no cron service'),
      )
    if (crons.some((c) => c.name === entry.name))
      throw new Refused(at(['spec', 'crons', i, 'name'], `'${entry.name}' is used twice`))
    const { name, ...body } = entry
    const where = ['spec', 'crons', i, 'target']
    const t = body.target
    let workflow: string | undefined
    if ('function' in t && !t.function.startsWith(`/${target}/`) && t.function !== `/${target}`)
      throw new Refused(at([...where, 'function'], `must be a function of namespace '${target}'`))
    if ('job' in t && t.job.namespace !== undefined && t.job.namespace !== target)
      throw new Refused(at([...where, 'job', 'namespace'], `must be '${target}' or left out`))
    if ('workflow' in t) {
      // A workflow of this manifest by its name (its id is made when it is created), else an id.
      if (workflows.some((w) => w.name === t.workflow)) workflow = t.workflow
      else if (liveWorkflow(deps, t.workflow)?.namespace !== target)
        throw new Refused(
          at(
            [...where, 'workflow'],
            `names '${t.workflow}', which is neither a workflow of this manifest nor a workflow id in namespace '${target}'`,
          ),
        )
    }
    crons.push({
      name,
      body,
      fingerprint: await deps.sha256(JSON.stringify(body)),
      ...(workflow !== undefined && { workflow }),
    })
  }
  return { namespace: target, functions, files, workflows, crons }
}

async function readText(
  snapshot: RepoSnapshot,
  path: string,
  maxBytes: number,
  missing: SyncError,
): Promise<string> {
  const bytes = await snapshot.read(path, maxBytes)
  if (!bytes) throw new Refused(missing)
  try {
    return decoder.decode(bytes)
  } catch {
    throw new Refused({ ...missing, message: `${path} is not UTF-8 text` })
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))
