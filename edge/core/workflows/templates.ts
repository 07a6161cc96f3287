/**
 * `${...}` references in a step's input, foreach and function request: to the run's input
 * (`${input.n}`), to earlier steps (`${steps.split.result}`, `${steps.b.output}`), and inside a
 * fan-out to the element (`${item}`, `${index}`). A string that is one reference becomes the value
 * itself (a list stays a list); references inside a longer string are written into it (JSON for
 * anything not a string). `$${` is a literal `${`.
 */
import type { JsonValue } from '../../../shared/protocol/json'

const REFERENCE = /\$?\$\{([^}]*)\}/g
const WHOLE = /^\$\{([^}]*)\}$/

/** What a reference may name of an earlier step. */
const STEP_FIELDS = ['result', 'output'] as const
type StepField = (typeof STEP_FIELDS)[number]

/** One `${...}`, split into its path: `steps.split.result.0` → ['steps', 'split', 'result', '0']. */
export interface Reference {
  text: string
  path: string[]
}

/** The values references are resolved against. */
export interface Scope {
  input: JsonValue
  steps: Record<string, Partial<Record<StepField, JsonValue>>>
  item?: JsonValue
  index?: number
}

/** A reference that names nothing (an unknown root or step, or a path the value does not have). */
export class TemplateError extends Error {}

/** Every reference in a JSON value (in strings at any depth). */
export function referencesIn(value: unknown): Reference[] {
  const found: Reference[] = []
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const match of v.matchAll(REFERENCE)) {
        if (match[0].startsWith('$$')) continue
        found.push({ text: match[0], path: parsePath(match[1] ?? '') })
      }
    } else if (Array.isArray(v)) v.forEach(visit)
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit)
  }
  visit(value)
  return found
}

/** `a.b[0].c` → ['a', 'b', '0', 'c']. */
function parsePath(expression: string): string[] {
  return expression
    .trim()
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((part) => part !== '')
}

/**
 * Why a reference cannot name anything in this step (undefined when it can): `steps` are the ids
 * it may read (the steps it needs), `fanOut` whether it is inside a foreach's elements.
 */
export function checkReference(
  ref: Reference,
  steps: ReadonlySet<string>,
  fanOut: boolean,
): string | undefined {
  const [root, id, field] = ref.path
  if (root === 'input') return undefined
  if (root === 'item' || root === 'index') {
    if (!fanOut) return `${ref.text} is only defined in a step with foreach`
    if (root === 'index' && ref.path.length > 1) return `${ref.text}: index is a number`
    return undefined
  }
  if (root !== 'steps')
    return `${ref.text} names nothing: a reference starts with input, steps, item or index`
  if (id === undefined || !steps.has(id))
    return `${ref.text} names ${id === undefined ? 'no step' : `step '${id}', which is not a step of this workflow`}`
  if (field === undefined || !(STEP_FIELDS as readonly string[]).includes(field))
    return `${ref.text} must name ${STEP_FIELDS.map((f) => `steps.${id}.${f}`).join(' or ')}`
  return undefined
}

/** The value with every reference replaced; throws TemplateError for one that names nothing. */
export function resolve(value: JsonValue, scope: Scope): JsonValue {
  if (typeof value === 'string') return resolveString(value, scope)
  if (Array.isArray(value)) return value.map((v) => resolve(v, scope))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {}
    for (const [key, v] of Object.entries(value)) out[key] = resolve(v as JsonValue, scope)
    return out
  }
  return value
}

function resolveString(text: string, scope: Scope): JsonValue {
  const whole = WHOLE.exec(text)
  if (whole) return lookup(parsePath(whole[1] ?? ''), text, scope)
  return text.replace(REFERENCE, (match: string, expression: string) => {
    if (match.startsWith('$$')) return match.slice(1)
    const found = lookup(parsePath(expression), match, scope)
    return typeof found === 'string' ? found : JSON.stringify(found)
  })
}

function lookup(path: string[], text: string, scope: Scope): JsonValue {
  const [root, ...rest] = path
  let value: JsonValue | undefined
  if (root === 'input') value = scope.input
  else if (root === 'item') value = scope.item
  else if (root === 'index') value = scope.index
  else if (root === 'steps') {
    const [id = '', field = '', ...more] = rest
    value = scope.steps[id]?.[field as StepField]
    rest.splice(0, rest.length, ...more)
    if (value === undefined)
      throw new TemplateError(`${text} names nothing: step '${id}' has no ${field}`)
  }
  if (value === undefined) throw new TemplateError(`${text} names nothing`)
  for (const key of rest) {
    const next = childOf(value, key)
    if (next === undefined)
      throw new TemplateError(`${text} names nothing: no '${key}' in ${describe(value)}`)
    value = next
  }
  return value
}

function childOf(value: JsonValue, key: string): JsonValue | undefined {
  if (Array.isArray(value)) return /^\d+$/.test(key) ? value[Number(key)] : undefined
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, key))
    return (value as Record<string, JsonValue>)[key]
  return undefined
}

function describe(value: JsonValue): string {
  if (Array.isArray(value)) return `a list of ${value.length}`
  if (value === null) return 'null'
  return typeof value === 'object' ? 'the object' : `the ${typeof value} ${JSON.stringify(value)}`
}
