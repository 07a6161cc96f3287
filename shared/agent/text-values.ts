/**
 * A setting's text, from a command-line flag or an environment variable, turned into its value.
 * One schema per kind of value, shared by both sources, so a flag and its variable accept the same
 * text and refuse it with the same words ("must be a whole number from 0 to 65535"), which follow
 * the flag's or the variable's name in the error an operator sees.
 */
import { z } from 'zod'

/** Text in, a value out; the first issue's message says what the text should have been. */
export type TextValue<T> = z.ZodType<T, string>

const refuse = (ctx: z.core.$RefinementCtx<string>, message: string): never => {
  ctx.addIssue({ code: 'custom', message })
  return z.NEVER
}

/** Digits only, from `min` to `max`. */
export function wholeNumber(min: number, max: number): TextValue<number> {
  return z.string().transform((text, ctx) => {
    const n = Number(text)
    return /^\d+$/.test(text) && n >= min && n <= max
      ? n
      : refuse(ctx, `must be a whole number from ${min} to ${max}`)
  })
}

/** A limit's count: digits only, 0 turning the limit off. */
export const limitCount: TextValue<number> = z.string().transform((text, ctx) => {
  const n = Number(text)
  return /^\d+$/.test(text) && Number.isSafeInteger(n)
    ? n
    : refuse(ctx, 'must be a whole number, 0 or more (0 turns the limit off)')
})

/** A limit's rate: a decimal number, 0 turning the limit off. */
export const limitRate: TextValue<number> = z.string().transform((text, ctx) => {
  const n = Number(text)
  return /^\d+(\.\d+)?$/.test(text) && Number.isFinite(n)
    ? n
    : refuse(ctx, 'must be a number, 0 or more (0 turns the limit off)')
})

/** A duration in seconds, above zero (fractions allowed). */
export const positiveSeconds: TextValue<number> = z.string().transform((text, ctx) => {
  const n = Number(text)
  return Number.isFinite(n) && n > 0 ? n : refuse(ctx, 'must be a positive number of seconds')
})

/** One of a few words: "must be on or off", "must be debug, info, warn, error or silent". */
export function oneOf<const T extends string>(choices: readonly T[]): TextValue<T> {
  const last = choices.at(-1)
  const words = choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${last}` : `${last}`
  return z
    .string()
    .transform((text, ctx) =>
      (choices as readonly string[]).includes(text) ? (text as T) : refuse(ctx, `must be ${words}`),
    )
}

/** `a, b,,c` → `['a', 'b', 'c']`: blanks around and between the commas are dropped. */
export const commaList: TextValue<string[]> = z.string().transform((text) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
)

/** Any text, taken as it is (paths, names). */
export const plainText: TextValue<string> = z.string()

/** A credential: empty text means none, as an unset variable does. */
export const secretText: TextValue<string | undefined> = z
  .string()
  .transform((text) => (text === '' ? undefined : text))

/** The value `text` stands for, or the message saying what it should have been. */
export function readText<T>(
  value: TextValue<T>,
  text: string,
): { ok: true; value: T } | { ok: false; message: string } {
  const parsed = value.safeParse(text)
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, message: parsed.error.issues[0]?.message ?? 'is invalid' }
}
