/**
 * zod schemas as the document's JSON Schemas (draft 2020-12, which OpenAPI 3.1 speaks). zod puts
 * the parts a schema shares (named ones, recursive JSON values) in its own `$defs`; in an OpenAPI
 * document `#` is the document, so those move to `components.schemas` and their `$ref`s follow.
 */
import { z } from 'zod'

/** A JSON Schema as the document holds it. */
export type JsonSchema = { [key: string]: unknown }

/** Which side of a schema: what it accepts (requests) or what it gives (responses). */
export type SchemaSide = 'input' | 'output'

const DEFS = '#/$defs/'
const COMPONENTS = '#/components/schemas/'

/** The shared schemas of one document, collected as its operations are converted. */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {}
  readonly #names = new Map<string, string>()

  /** Adds a schema written by hand (the Error schema); returns its `$ref`. */
  define(name: string, schema: JsonSchema): JsonSchema {
    this.schemas[name] = schema
    this.#names.set(`${name}\n${JSON.stringify(schema)}`, name)
    return { $ref: COMPONENTS + name }
  }

  /** `schema` as JSON Schema; transforms and refinements that JSON Schema cannot say become `{}`. */
  convert(schema: z.ZodType, io: SchemaSide): JsonSchema {
    const converted = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }) as JsonSchema
    const { $schema: _dialect, $defs, ...rest } = converted
    const renamed = new Map<string, string>()
    const defs = ($defs ?? {}) as Record<string, JsonSchema>
    // Names first, then contents: a def may point at one defined after it.
    for (const [key, def] of Object.entries(defs)) renamed.set(key, this.#nameFor(key, def, io))
    const rewrite = (value: unknown): unknown => rewriteRefs(value, renamed)
    for (const [key, def] of Object.entries(defs)) {
      const name = renamed.get(key) as string
      this.schemas[name] ??= name === 'JsonValue' ? JSON_VALUE : (rewrite(def) as JsonSchema)
    }
    return rewrite(rest) as JsonSchema
  }

  /**
   * The component name of a def: its zod `id` (`.meta({ id })`), or `JsonValue` for `z.json()`,
   * or a name from its contents. The same name with other contents (a schema's input side beside
   * its output) gets its side appended, then a number.
   */
  #nameFor(key: string, def: JsonSchema, io: SchemaSide): string {
    if (key.startsWith('__schema') && isJsonValue(def)) return 'JsonValue'
    const base = key.startsWith('__schema') ? 'Shared' : key
    const content = JSON.stringify(def)
    const candidates = [base, `${base}${io === 'input' ? 'Input' : 'Output'}`]
    for (let n = 2; candidates.length < 50; n++) candidates.push(`${base}${n}`)
    for (const name of candidates) {
      const known = this.#names.get(`${name}\n${content}`)
      if (known) return known
      if (!(name in this.schemas) && ![...this.#names.values()].includes(name)) {
        this.#names.set(`${name}\n${content}`, name)
        return name
      }
    }
    throw new Error(`too many different schemas named ${base}`)
  }
}

/**
 * Any JSON value, said without zod's recursion (a union that refers to itself), which typed
 * clients cannot express: every JSON value matches the empty schema.
 */
const JSON_VALUE: JsonSchema = { description: 'Any JSON value' }

/** zod's `z.json()`: any JSON value, which refers to itself. */
function isJsonValue(def: JsonSchema): boolean {
  const anyOf = def.anyOf as JsonSchema[] | undefined
  return anyOf?.length === 6 && anyOf.some((s) => s.type === 'null')
}

function rewriteRefs(value: unknown, renamed: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, renamed))
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      if (key === '$ref' && typeof v === 'string' && v.startsWith(DEFS)) {
        const name = renamed.get(v.slice(DEFS.length)) ?? v.slice(DEFS.length)
        return [key, COMPONENTS + name]
      }
      return [key, rewriteRefs(v, renamed)]
    }),
  )
}
