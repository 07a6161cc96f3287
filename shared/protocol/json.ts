/** JSON values as they cross every boundary: HTTP bodies, WebSocket frames, guest results. */
import { z } from 'zod'

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

export const JsonValue: z.ZodType<JsonValue> = z.json()
export const JsonObject = z.record(z.string(), JsonValue) as z.ZodType<JsonObject>

/** Parses JSON text without throwing; `undefined` means the text was not JSON. */
export function tryParseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue
  } catch {
    return undefined
  }
}

/** How deeply arrays and objects nest in a parsed value, counted without recursion. */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let deepest = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length) {
    const [item, depth] = stack.pop() as [unknown, number]
    if (item === null || typeof item !== 'object') continue
    const level = depth + 1
    if (level > deepest) deepest = level
    if (deepest > limit) return deepest
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, level])
  }
  return deepest
}
