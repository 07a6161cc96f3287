/**
 * What a route says of itself in the OpenAPI document (`GET /openapi.json`): written beside the
 * route, from the same zod schemas that parse its query and body, so that the document cannot
 * drift from what the route accepts.
 */
import type { z } from 'zod'

/** A body that is not JSON (a file, a module, a stream): its media type and what it is. */
export interface RawBody {
  contentType: string
  description: string
}

/** One response: for a status of 400 or more without a schema, the API's `{"error", "code"}`. */
export interface ResponseDoc {
  description: string
  /** The JSON body's schema; none for an empty body or a raw one (see `contentType`). */
  schema?: z.ZodType
  /** Default `application/json`. */
  contentType?: string
}

/** A documented route. Path parameters come from the path (`:ns` is `{ns}`, `*` is `{path}`). */
export interface RouteDoc {
  summary: string
  description?: string
  /** The group it is listed under (Jobs, Functions, KV, Storage, ...). */
  tag: string
  /** What each path parameter is, by name (`path` for a trailing `*`). */
  params?: Record<string, string>
  /** The schema that parses the query string. */
  query?: z.ZodObject
  /** The schema that parses the JSON body, or what a raw body is. */
  body?: z.ZodType | RawBody
  responses: Record<number, ResponseDoc>
  /**
   * `open`: no token is asked for even when auth is on (health, the page, function calls). By
   * default a route takes the API's bearer token (when auth is on).
   */
  access?: 'open'
  /** A route for every method (`ALL`): the methods it is documented for (default the five). */
  methods?: ('GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH')[]
  /** Its name in generated clients, when the one made from method and path reads badly. */
  operationId?: string
}

/** A route left out of the document on purpose, and why (an alias, a catch-all 404, a page). */
export interface Undocumented {
  hidden: string
}
