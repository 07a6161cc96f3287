/** `/api/wasm`: upload a module once, name it by content id in any number of jobs. */
import { Hono } from 'hono'
import { CID_PATTERN } from '../../../shared/protocol/cid'
import { requireAnyRight } from '../auth/access'
import { HttpError } from '../http-error'
import type { Orchestrator } from '../orchestrator'
import { acceptModule, decodeBase64 } from '../wasm/module-intake'
import { wasmUpload } from './job-schemas'
import { parseWith, readBytes, readJson } from './request-body'

export function wasmRoutes(orchestrator: Orchestrator): Hono {
  const app = new Hono()

  // Raw bytes (application/wasm, octet-stream) or JSON {"wasm_base64": "..."}.
  app.post('/', async (c) => {
    await requireAnyRight(c, 'jobs')
    const json = c.req.header('content-type')?.includes('application/json')
    const bytes = json
      ? decodeBase64(parseWith(wasmUpload, await readJson(c)).wasm_base64, 'wasm_base64')
      : await readBytes(c)
    const stored = await acceptModule(orchestrator, bytes, json ? 'wasm_base64' : undefined)
    await orchestrator.durable()
    return c.json(stored, 201)
  })

  app.get('/:cid', (c) => {
    const cid = c.req.param('cid')
    if (!CID_PATTERN.test(cid))
      throw new HttpError(
        400,
        'INVALID_REQUEST',
        'cid must be a module id as returned by POST /api/wasm',
        { field: 'cid' },
      )
    const bytes = orchestrator.scheduler.module(cid)
    if (!bytes) throw new HttpError(404, 'WASM_NOT_FOUND', `no module with id ${cid}`)
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': 'application/wasm',
      // Content-addressed: the bytes behind an id never change.
      'cache-control': 'public, max-age=31536000, immutable',
    })
  })

  return app
}
