/** Hono's route paths as OpenAPI's: `:ns` is `{ns}`, a trailing `*` is `{path}`. */

/** A path in OpenAPI's form, with the names of its parameters in order. */
export interface OpenApiPath {
  path: string
  params: string[]
}

/** `/api/db/:ns/:key` → `/api/db/{ns}/{key}`; `/api/deploy/:user/*` → `/api/deploy/{user}/{path}`. */
export function toOpenApiPath(honoPath: string): OpenApiPath {
  const params: string[] = []
  const segments = honoPath.split('/').map((segment, index, all) => {
    if (segment.startsWith(':')) {
      const name = segment.slice(1)
      params.push(name)
      return `{${name}}`
    }
    if (segment === '*' && index === all.length - 1) {
      params.push('path')
      return '{path}'
    }
    return segment
  })
  return { path: segments.join('/'), params }
}
