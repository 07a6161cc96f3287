/** `/api/wasm`: upload a module once, name it by content id in any number of jobs. */
import { CID_PATTERN } from '../../../shared/protocol/cid'
import { requireAnyRight } from '../auth/access'
import { HttpError } from '../http-error'
import type { Scheduler } from '../jobs/scheduler'
import { firstAnswer } from '../rooms/combine-answers'
import { everyRoom, FIRST_THAT_KNOWS } from '../rooms/owner'
import { acceptModule, decodeBase64, type ModuleIntake } from '../wasm/module-intake'
import { wasmUpload } from './job-schemas'
import { parseWith, readBytes, readJson } from './request-body'
import { RouteTable } from './route-table'
import { ModuleStored } from './function-schemas'

export interface WasmRouteDeps {
  intake: ModuleIntake
  modules: Pick<Scheduler, 'module'>
  durable: () => Promise<void>
}

export const wasmRoutes = new RouteTable<WasmRouteDeps>()
  // Raw bytes (application/wasm, octet-stream) or JSON {"wasm_base64": "..."}. Modules are kept
  // in every room, so that a job anywhere finds its module where it runs.
  .post(
    '/api/wasm',
    {
      owner: everyRoom(firstAnswer, 'jobs'),
      body: 'module',
      doc: {
        summary: 'Upload a WebAssembly module',
        description:
          'Raw bytes (`application/wasm` or `application/octet-stream`), or JSON `{"wasm_base64": "..."}`. Name it in jobs and functions by the `cid` answered.',
        tag: 'WebAssembly',
        body: { contentType: 'application/wasm', description: 'The module' },
        responses: {
          201: { description: 'Stored (or known already)', schema: ModuleStored },
          400: { description: 'INVALID_WASM: not a WebAssembly module' },
          413: { description: 'PAYLOAD_TOO_LARGE: over the module limit' },
        },
      },
    },
    async (c, { intake, durable }) => {
      await requireAnyRight(c, 'jobs')
      const json = c.req.header('content-type')?.includes('application/json')
      const bytes = json
        ? decodeBase64(parseWith(wasmUpload, await readJson(c)).wasm_base64, 'wasm_base64')
        : await readBytes(c)
      const stored = await acceptModule(intake, bytes, json ? 'wasm_base64' : undefined)
      await durable()
      return c.json(stored, 201)
    },
  )
  .get(
    '/api/wasm/:cid',
    {
      owner: FIRST_THAT_KNOWS,
      doc: {
        summary: 'Download a module by its content id',
        tag: 'WebAssembly',
        access: 'open',
        params: { cid: 'The id POST /api/wasm answered' },
        responses: {
          200: { description: 'The module', contentType: 'application/wasm' },
          400: { description: 'INVALID_REQUEST: not a module id' },
          404: { description: 'WASM_NOT_FOUND' },
        },
      },
    },
    (c, { modules }) => {
      const cid = c.req.param('cid')
      if (!CID_PATTERN.test(cid))
        throw new HttpError(
          400,
          'INVALID_REQUEST',
          'cid must be a module id as returned by POST /api/wasm',
          { field: 'cid' },
        )
      const bytes = modules.module(cid)
      if (!bytes) throw new HttpError(404, 'WASM_NOT_FOUND', `no module with id ${cid}`)
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
        'content-type': 'application/wasm',
        // Content-addressed: the bytes behind an id never change.
        'cache-control': 'public, max-age=31536000, immutable',
      })
    },
  )
