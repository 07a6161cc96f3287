/**
 * What guests may ask of the orchestrator from inside a sandbox: their own namespace's database.
 * The orchestrator decides the namespace from the job it gave out, never from the request.
 */
import { z } from 'zod'
import { JsonValue } from './json'

export const HostCall = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('db.get'), key: z.string() }),
  z.strictObject({
    op: z.literal('db.set'),
    key: z.string(),
    value: JsonValue,
    ttl: z.number().positive().optional(),
  }),
  z.strictObject({ op: z.literal('db.delete'), key: z.string() }),
  z.strictObject({
    op: z.literal('db.list'),
    prefix: z.string().optional(),
    limit: z.number().int().min(1).max(1000).optional(),
    cursor: z.string().optional(),
  }),
])
export type HostCall = z.infer<typeof HostCall>

export const HostReply = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), value: JsonValue }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
])
export type HostReply = z.infer<typeof HostReply>

/** A runtime's synchronous line to the host: blocks until the reply is in. */
export interface HostBridge {
  call(request: HostCall): HostReply
  /**
   * A guest's `progress(fraction, message)`, already checked (see host-dispatch.ts). Fire and
   * forget: the guest never waits on it; absent, progress goes nowhere.
   */
  progress?(fraction: number, message: string | undefined): void
}
