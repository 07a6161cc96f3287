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
