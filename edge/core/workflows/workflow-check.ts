/**
 * The rules a workflow document must keep as a whole, checked before it is stored so a bad one is
 * a 400 naming the problem: unique step ids, known `needs`, references that name something, no
 * cycle (named), connections between native steps, and functions and services that exist.
 */
import { HttpError } from '../http-error'
import { checkReference, referencesIn } from './templates'
import type { Step, WorkflowDocument } from './workflow-schemas'

/** What the check asks of the orchestrator: whether the things steps name exist. */
export interface WorkflowLookups {
  /** A deployed function at `/{user}/{path}`. */
  hasFunction(user: string, path: string): boolean
  /** A standalone service of the namespace by id or name. */
  hasService(namespace: string, service: number | string): boolean
  /**
   * False where no runner can be reached (an edge room other than the home room, which holds the
   * services and runners): service steps are refused when defined rather than failing when run.
   */
  serviceSteps?: boolean
  /** Which of these secret names the namespace lacks (absent: secrets are not checked). */
  missingSecrets?(namespace: string, names: readonly string[]): string[]
}

/** A checked workflow: each step's dependencies (needs, references, connections), in run order. */
export interface WorkflowPlan {
  order: string[]
  deps: Map<string, Set<string>>
}

const invalid = (field: string, message: string) =>
  new HttpError(400, 'INVALID_WORKFLOW', message, { field })

/**
 * Checks a document and plans its order; 400 INVALID_WORKFLOW naming what is wrong. Without
 * `lookups` (a stored document, checked when it was stored) functions and services are not looked up.
 */
export function checkWorkflow(
  doc: WorkflowDocument,
  namespace: string,
  lookups?: WorkflowLookups,
): WorkflowPlan {
  const steps = new Map<string, Step>()
  doc.steps.forEach((step, i) => {
    if (steps.has(step.id))
      throw invalid(`steps.${i}.id`, `steps.${i}.id: '${step.id}' is used by two steps`)
    steps.set(step.id, step)
  })
  const ids = new Set(steps.keys())
  const deps = new Map<string, Set<string>>()
  doc.steps.forEach((step, i) => {
    const needs = new Set<string>()
    for (const need of step.needs ?? []) {
      if (!ids.has(need))
        throw invalid(`steps.${i}.needs`, `steps.${i}.needs names '${need}', which is not a step`)
      needs.add(need)
    }
    const where = `steps.${i} ('${step.id}')`
    const fanOut = step.foreach !== undefined
    const checkRefs = (value: unknown, field: string, inFanOut: boolean) => {
      for (const ref of referencesIn(value)) {
        const why = checkReference(ref, ids, inFanOut)
        if (why) throw invalid(`steps.${i}.${field}`, `${where} ${field}: ${why}`)
        if (ref.path[0] === 'steps') needs.add(ref.path[1] as string)
      }
    }
    checkRefs(step.input, 'input', fanOut)
    checkRefs(step.run, 'run', fanOut)
    if (typeof step.foreach === 'string' && !/^\$\{[^}]*\}$/.test(step.foreach))
      throw invalid(
        `steps.${i}.foreach`,
        `${where} foreach must be a list or one reference to a list, such as "\${steps.split.result}"`,
      )
    checkRefs(step.foreach, 'foreach', false)
    if (lookups) checkRun(step, i, namespace, lookups)
    deps.set(step.id, needs)
  })
  const stdinTaken = new Set<string>()
  ;(doc.connections ?? []).forEach((link, i) => {
    for (const end of [link.from, link.to]) {
      const step = steps.get(end)
      if (!step)
        throw invalid(`connections.${i}`, `connections.${i} names '${end}', which is not a step`)
      if (step.run.kind !== 'service')
        throw invalid(
          `connections.${i}`,
          `connections.${i}: '${end}' is not a service step; connect native steps only (other steps read \${steps.${end}.output})`,
        )
    }
    if (steps.get(link.from)?.foreach !== undefined || steps.get(link.to)?.foreach !== undefined)
      throw invalid(
        `connections.${i}`,
        `connections.${i}: a step with foreach has many outputs; connect steps that run once`,
      )
    if (link.as === 'STDIN' && (stdinTaken.has(link.to) || stdinSet(steps.get(link.to))))
      throw invalid(
        `connections.${i}`,
        `connections.${i}: '${link.to}' already has its stdin (another connection, or run.stdin)`,
      )
    if (link.as === 'STDIN') stdinTaken.add(link.to)
    if (link.as === 'MOUNT' ? link.interface !== 'MOUNT' : link.interface === 'MOUNT')
      throw invalid(
        `connections.${i}`,
        `connections.${i}: a MOUNT's files go to a MOUNT, and STDOUT, STDERR or LOGS to STDIN`,
      )
    deps.get(link.to)?.add(link.from)
  })
  return { order: topologicalOrder(doc.steps, deps), deps }
}

const stdinSet = (step: Step | undefined) =>
  step?.run.kind === 'service' && step.run.stdin !== undefined

function checkRun(step: Step, i: number, namespace: string, lookups: WorkflowLookups): void {
  const run = step.run
  const declared = run.kind === 'function' ? undefined : run.secrets
  if (declared?.length && (step.redundancy ?? 1) > 1)
    throw invalid(
      `steps.${i}.run.secrets`,
      `steps.${i}.run.secrets: cannot be combined with redundancy above 1: secrets go to one trusted executor`,
    )
  if (declared?.length) {
    const missing = lookups.missingSecrets?.(namespace, declared) ?? declared
    if (missing.length > 0)
      throw new HttpError(
        400,
        'SECRET_NOT_FOUND',
        `steps.${i}.run.secrets: ${missing.map((n) => `'${n}'`).join(', ')} not set in namespace '${namespace}'`,
        { field: `steps.${i}.run.secrets`, missing },
      )
  }
  if (run.kind === 'function') {
    const [, user = '', ...rest] = run.function.split('/')
    if (user !== namespace)
      throw invalid(
        `steps.${i}.run.function`,
        `steps.${i}.run.function: a workflow of '${namespace}' calls its own functions (/${namespace}/...); got ${run.function}`,
      )
    if (!lookups.hasFunction(user, `/${rest.join('/')}`))
      throw invalid(
        `steps.${i}.run.function`,
        `steps.${i}.run.function: no function is deployed at ${run.function}`,
      )
  }
  if (run.kind === 'service' && lookups.serviceSteps === false)
    throw invalid(
      `steps.${i}.run.service`,
      `steps.${i}.run.service: service steps run where the runners are, which on the Workers host is the home room, and the namespace '${namespace}' is kept in another room; a workflow of '${namespace}' can run js, lua, python, wasm and function steps (run native steps from the Node host)`,
    )
  if (run.kind === 'service' && !lookups.hasService(namespace, run.service))
    throw invalid(
      `steps.${i}.run.service`,
      `steps.${i}.run.service: the namespace '${namespace}' has no service ${JSON.stringify(run.service)}`,
    )
}

/** Steps in an order where each comes after what it depends on; a cycle is a 400 naming it. */
function topologicalOrder(steps: readonly Step[], deps: Map<string, Set<string>>): string[] {
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (id: string, path: string[]): void => {
    const seen = state.get(id)
    if (seen === 'done') return
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id]
      throw invalid('steps', `the steps ${cycle.join(' → ')} form a cycle`)
    }
    state.set(id, 'visiting')
    for (const dep of deps.get(id) ?? []) visit(dep, [...path, id])
    state.set(id, 'done')
    order.push(id)
  }
  for (const step of steps) visit(step.id, [])
  return order
}
