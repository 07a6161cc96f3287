/**
 * Checks a live answer against the OpenAPI document: its status must be one the operation
 * declares (an error may fall to `default`), and a JSON body must match that response's schema.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import { expect } from 'vitest'
import { apiDocument } from '../../edge/core/openapi/api-document'

interface Answer {
  status: number
  body: unknown
  headers?: Headers
}

const DOC_ID = 'zerverless-openapi'
let ajv: Ajv2020 | undefined
const compiled = new Map<string, ValidateFunction>()

/** One reference token of a JSON Pointer, as a URI fragment holds it. */
const token = (part: string) => encodeURIComponent(part.replace(/~/g, '~0').replace(/\//g, '~1'))

function validatorFor(pointer: string): ValidateFunction {
  let validate = compiled.get(pointer)
  if (!validate) {
    if (!ajv) {
      // The document is not a JSON Schema itself (openapi, info, paths): not strict about that.
      ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
      ajv.addSchema(structuredClone(apiDocument()), DOC_ID)
    }
    validate = ajv.compile({ $ref: `${DOC_ID}#${pointer}` })
    compiled.set(pointer, validate)
  }
  return validate
}

type Operation = { responses: Record<string, { content?: Record<string, unknown> }> }

/**
 * Fails the test unless `answer` is what the document says `method` on `path` (an OpenAPI path,
 * `/api/jobs/{id}`) answers.
 */
export function expectMatchesDocument(answer: Answer, method: string, path: string): void {
  const item = apiDocument().paths[path] as Record<string, Operation> | undefined
  const operation = item?.[method.toLowerCase()]
  expect(operation, `${method} ${path} is not in the document`).toBeDefined()
  const responses = (operation as Operation).responses
  const declared = String(answer.status) in responses
  const key = declared ? String(answer.status) : 'default'
  if (!declared)
    expect(
      answer.status,
      `${method} ${path} answered ${answer.status}, which it does not declare`,
    ).toBeGreaterThanOrEqual(400)
  const content = responses[key]?.content
  const type = answer.headers?.get('content-type')?.split(';')[0]?.trim()
  if (!content) {
    expect(answer.body, `${method} ${path} ${answer.status} declares no body`).toSatisfy(
      (body: unknown) => body === '' || body === null || body === undefined,
    )
    return
  }
  const media = content['application/json'] ? 'application/json' : Object.keys(content)[0]
  if (media !== 'application/json' || (type !== undefined && type !== 'application/json')) {
    if (media !== '*/*') expect(type, `${method} ${path} ${answer.status}`).toBe(media)
    return
  }
  const pointer = [
    '',
    'paths',
    path,
    method.toLowerCase(),
    'responses',
    key,
    'content',
    media,
    'schema',
  ]
    .map(token)
    .join('/')
  const validate = validatorFor(pointer)
  const valid = validate(answer.body)
  expect(
    valid
      ? []
      : validate.errors?.map(
          (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
        ),
    `${method} ${path} ${answer.status} does not match the document: ${JSON.stringify(answer.body)}`,
  ).toEqual([])
}
