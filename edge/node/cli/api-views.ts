/**
 * The answers the CLI reads, named once from the generated OpenAPI types (shared/client/), so a
 * field the document drops or retypes breaks the CLI's build rather than its users.
 */
import type { components, paths } from '../../../shared/client/generated/api-types'

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never
type Ok<P extends keyof paths, M extends 'get' | 'post' | 'put' | 'delete'> = paths[P][M] extends {
  responses: infer R
}
  ? Json<R[200 & keyof R]> | Json<R[201 & keyof R]>
  : never

type RequestOf<O> = O extends { requestBody?: infer R } ? NonNullable<R> : never
/** A request body as the document declares it (required or not). */
export type BodyOf<P extends keyof paths, M extends 'post' | 'put'> =
  RequestOf<paths[P][M]> extends { content: { 'application/json': infer B } } ? B : never

export type JobView = components['schemas']['Job']
export type BatchCounts = components['schemas']['BatchStatus']
export type Deployment = components['schemas']['Deployment']

type FunctionRead = Ok<'/api/deploy/{user}/{path}', 'get'>
/** A function with its kept versions (`GET /api/deploy/{user}/{path}`). */
export type FunctionView = Extract<FunctionRead, { versions: unknown }>
/** A function's printed lines and calls (`GET …/{path}/logs`). */
export type FunctionLogs = Extract<FunctionRead, { invocations: unknown }>
export type Invocation = FunctionLogs['invocations'][number]

type Stored = Ok<'/api/storage/{ns}/{path}', 'put'>
/** A stored file (201); the 200 answer is a visibility rule, which the CLI does not set. */
export type StoredFile = Extract<Stored, { size: number }>

/** Later issues' resources: the CLI prints them as they come, keyed by a few known fields. */
export type AnyObject = Record<string, unknown>
