/**
 * Error responses that many routes document alike (a missing or short token, a bad namespace in
 * the path, a body over the limit), written once so that their descriptions cannot drift apart.
 */
import type { ResponseDoc } from './route-doc'

type Responses = Record<number, ResponseDoc>

/** 401 and 403 of a route that checks `right` (on `where`) when the host runs with auth on. */
export function deniedDocs(right: string, where = 'the namespace'): Responses {
  return {
    401: { description: 'auth is on and no token, or one that does not verify, was sent' },
    403: { description: `the token does not grant '${right}' on ${where}` },
  }
}

/** 413 of a route that reads a JSON body. */
export const tooLargeDoc: ResponseDoc = {
  description: 'the body is larger than the API allows (PAYLOAD_TOO_LARGE)',
}

/** The 400 of a path whose namespace is not a namespace name. */
export const BAD_NAMESPACE = 'the namespace in the path is not 1-64 letters, digits, "-" or "_"'
