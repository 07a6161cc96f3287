/** The API's OpenAPI document, built once per process from its route tables (it cannot change). */
import { VERSION } from '../../../shared/protocol/version'
import { apiRoutes } from './api-tables'
import { buildDocument, type OpenApiDocument } from './build-document'

let built: { document: OpenApiDocument; json: string } | undefined

/** The document of this release's API. */
export function apiDocument(): OpenApiDocument {
  return (built ??= build()).document
}

/** The document as served: JSON text, made once. */
export function apiDocumentJson(): string {
  return (built ??= build()).json
}

function build() {
  const document = buildDocument({ version: VERSION, routes: apiRoutes() })
  return { document, json: JSON.stringify(document) }
}
