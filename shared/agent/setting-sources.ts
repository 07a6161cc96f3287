/**
 * Where settings come from, besides a schema's defaults: environment variables, each read into
 * one field of a config's input, and layers merged in order (defaults, then the environment, then
 * flags). The orchestrator's hosts and the agents' command lines fill their schemas this way.
 */
import { readText, type TextValue } from './text-values'

/** A setting that cannot be used, named by the flag or variable it came from. */
interface SettingError {
  code: 'INVALID_SETTING' | 'MISSING_SETTING' | 'CONFLICTING_SETTINGS'
  message: string
}

export type SettingResult<T> = { ok: true; value: T } | { ok: false; error: SettingError }

type Key<T> = Extract<keyof T, string>
/** The object a field holds, if it holds one (arrays are values). */
type Nested<T> =
  NonNullable<T> extends readonly unknown[]
    ? never
    : NonNullable<T> extends object
      ? NonNullable<T>
      : never

/** A field of `I`, or a field of one of its objects: `['port']`, `['orchestrator', 'runnerToken']`. */
export type SettingPath<I> = {
  [K in Key<I>]: readonly [K] | { [L in Key<Nested<I[K]>>]: readonly [K, L] }[Key<Nested<I[K]>>]
}[Key<I>]

/** The type of the field at `P` in `I`. */
export type ValueAt<I, P> = P extends readonly [infer A extends keyof I]
  ? I[A]
  : P extends readonly [infer A extends keyof I, infer B]
    ? B extends keyof Nested<I[A]>
      ? Nested<I[A]>[B]
      : never
    : never

/** One environment variable: the field of `I` it fills, and how its text reads. */
export interface EnvVariable<I> {
  path: SettingPath<I>
  value: TextValue<unknown>
}

/**
 * Variables of `I`'s input, checked against it: `variable(wholeNumber(0, 65535), 'port')` fills
 * `port`, and only with what that field takes.
 */
export function envVariables<I>() {
  return <const P extends SettingPath<I>>(
    value: TextValue<ValueAt<I, P>>,
    ...path: P
  ): EnvVariable<I> => ({ path, value })
}

/**
 * Anything holding variables by name: `process.env`, a Worker's bindings (an interface, which has
 * no index signature; only string values are read from it).
 */
export type EnvLike = object

/**
 * The input the variables of `table` set in `env`. A variable set to the empty string counts as
 * unset, as a shell's `VAR=` usually means. A variable whose field `over` (the flags) already
 * sets is not read: the flag replaces it. A value that does not read is an error naming it.
 */
export function readEnv<I extends object>(
  env: EnvLike,
  table: Readonly<Record<string, EnvVariable<I>>>,
  over: object = {},
): SettingResult<Partial<I>> {
  const input: Record<string, unknown> = {}
  for (const [name, variable] of Object.entries(table)) {
    const text = (env as Record<string, unknown>)[name]
    if (typeof text !== 'string' || text === '' || valueAt(over, variable.path) !== undefined)
      continue
    const read = readText(variable.value, text)
    if (!read.ok)
      return {
        ok: false,
        error: {
          code: 'INVALID_SETTING',
          message: `environment variable ${name} value '${text}' is invalid. ${read.message}`,
        },
      }
    setAt(input, variable.path, read.value)
  }
  return { ok: true, value: input as Partial<I> }
}

type Plain = Record<string, unknown>
const isPlain = (value: unknown): value is Plain =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype

function valueAt(object: object, path: readonly string[]): unknown {
  let value: unknown = object
  for (const key of path) value = isPlain(value) ? value[key] : undefined
  return value
}

function setAt(object: Plain, path: readonly string[], value: unknown): void {
  if (value === undefined) return
  let into = object
  for (const key of path.slice(0, -1)) {
    const next = into[key]
    into = isPlain(next) ? next : (into[key] = {})
  }
  into[path[path.length - 1] as string] = value
}

/**
 * Layers of a config's input, later ones winning field by field (nested objects too); a field a
 * later layer leaves `undefined` keeps the earlier layer's value. Arrays and class instances
 * (a secret's bytes) are values, replaced whole.
 */
export function mergeLayers<T extends object>(...layers: Partial<T>[]): Partial<T> {
  const merged: Plain = {}
  for (const layer of layers)
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue
      const before = merged[key]
      merged[key] = isPlain(before) && isPlain(value) ? mergeLayers(before, value) : value
    }
  return merged as Partial<T>
}
