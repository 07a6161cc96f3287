/**
 * Operation ids made from a route's method and path, so that they stay the same while the route
 * does and read as what they do: `GET /api/jobs/{id}` is `getJobsById`.
 */

const pascal = (word: string) =>
  word
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('')

/** The id for `method` (any case) on an OpenAPI path; `/api` is left out, as every call has it. */
export function operationIdOf(method: string, openApiPath: string): string {
  const words = openApiPath
    .split('/')
    .filter((segment, index) => segment !== '' && !(index === 1 && segment === 'api'))
    .map((segment) =>
      segment.startsWith('{') ? `By${pascal(segment.slice(1, -1))}` : pascal(segment),
    )
  return method.toLowerCase() + (words.join('') || 'Root')
}
