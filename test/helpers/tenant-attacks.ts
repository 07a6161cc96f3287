/**
 * The cross-tenant attacks of issue 14, shared by the Node and the Chromium suites: eve's Python
 * jobs reach the sandbox thread's JavaScript realm (any JS error carries `Object.prototype`) and
 * plant accessors there that fire inside later jobs on the same thread; alice's jobs of every
 * runtime and a function call carry secrets and write to her database.
 */
import { fetcherOf, type api, type Fetcher } from './api'
import { toBase64, wasmFixture } from './wasm-fixtures'

type Client = ReturnType<typeof api>

/**
 * Python that binds `proto` to the thread's real Object.prototype, `Object` to its constructor and
 * `JsError` to its Error constructor, all from the error a blocked Function constructor throws.
 */
export const REACH_REALM = `
from _zerverless_host import call
from pyodide.ffi import create_proxy, to_js, JsException
proto = None
try:
    call.constructor('x')
except JsException as e:
    proto = e.js_error.__proto__.__proto__
    JsError = e.js_error.constructor
Object = proto.constructor
def accessor(get=None, set=None):
    entries = [['configurable', True]]
    if get: entries.append(['get', create_proxy(get, capture_this=True)])
    if set: entries.append(['set', create_proxy(set, capture_this=True)])
    return Object.fromEntries(to_js(entries))
`

/**
 * Records every object the host reads `mode` from (the thread's request: namespace, code, input)
 * and every object it serializes (`toJSON`: a function call's HTTP request), for a later job.
 */
export const PLANT_STASH = `${REACH_REALM}
stash = to_js([])
Object.defineProperty(proto, '_eve_stash', Object.fromEntries(to_js([['value', stash]])))
def record(this):
    if getattr(this, 'namespace', None) is not None or getattr(this, 'headers', None) is not None:
        stash.push(this)
    return None
Object.defineProperty(proto, 'mode', accessor(get=record))
Object.defineProperty(proto, 'toJSON', accessor(get=record))
'planted'
`

/** What eve's stash holds, as text (empty when the thread she reads from never saw anyone else). */
export const READ_STASH = `${REACH_REALM}
import json
stash = getattr(proto, '_eve_stash', None)
[json.dumps(item.to_py(), default=str) for item in (stash or [])]
`

/** Every later `db.set` on the thread gets `ttl: 1` (its value expires a second later). */
export const PLANT_TTL = `${REACH_REALM}
def ttl(this):
    return 1 if getattr(this, 'op', None) == 'db.set' else None
def own(this, value):
    Object.defineProperty(this, 'ttl', Object.fromEntries(to_js([['value', value], ['writable', True], ['enumerable', True], ['configurable', True]])))
Object.defineProperty(proto, 'ttl', accessor(get=ttl, set=own))
'planted'
`

/** A `ttl` getter with no setter: every later write of `ttl` on the thread throws. */
export const PLANT_GETTER_ONLY = `${REACH_REALM}
def nothing(this):
    return None
Object.defineProperty(proto, 'ttl', accessor(get=nothing))
Object.defineProperty(proto, 'op', accessor(get=nothing))
'planted'
`

/** Secrets alice's jobs carry, in their code or input; none may ever reach eve. */
export const ALICE_SECRETS = [
  'sk-alice-js',
  'sk-alice-lua',
  'sk-alice-py',
  'sk-alice-wasm',
  'sk-alice-fn',
  '4111',
]

/** Alice's database keys, one per runtime, each written by her jobs with the value 'kept'. */
const ALICE_KEYS = ['from-js', 'from-lua', 'from-python', 'from-function']

/** Alice's jobs, one per runtime; each writes its key of ALICE_KEYS and returns a secret. */
const ALICE_JOBS: Record<'js' | 'lua' | 'python' | 'wasm', () => Promise<Record<string, unknown>>> =
  {
    js: async () => ({
      job_type: 'js',
      code: 'db.set("from-js", "kept"); "sk-alice-js:" + INPUT.card',
    }),
    lua: async () => ({
      job_type: 'lua',
      code: 'db.set("from-lua", "kept") return "sk-alice-lua:" .. INPUT.card',
    }),
    python: async () => ({
      job_type: 'python',
      code: 'db.set("from-python", "kept")\n"sk-alice-py:" + INPUT["card"]',
      timeout_seconds: 60,
    }),
    wasm: async () => ({
      job_type: 'wasm',
      wasm_base64: toBase64(await wasmFixture('echo')),
      input_data: { card: '4111 1111 1111 1111', key: 'sk-alice-wasm' },
    }),
  }

/** Runs alice's jobs of the given runtimes in order; returns their final states. */
export async function aliceRuns(client: Client, runtimes: (keyof typeof ALICE_JOBS)[]) {
  const done = []
  for (const runtime of runtimes) {
    const job = await ALICE_JOBS[runtime]()
    done.push(
      await client.run(
        {
          namespace: 'alice',
          timeout_seconds: 20,
          input_data: { card: '4111 1111 1111 1111' },
          ...job,
        },
        90,
      ),
    )
  }
  return done
}

/** Deploys alice's function (once) and calls it with secrets in its headers and query. */
export async function aliceCalls(client: Client, http: string | Fetcher) {
  const existing = await client.get('/api/deploy/alice/vault')
  if (existing.status !== 200) {
    const deployed = await client.post('/api/deploy/alice/vault', {
      runtime: 'js',
      code: 'function handle(req) { db.set("from-function", "kept"); return {status: 200, body: "sk-alice-fn:" + req.headers["x-card"]} }',
    })
    if (deployed.status !== 201) throw new Error(`deploy failed: ${JSON.stringify(deployed.body)}`)
  }
  const call = await fetcherOf(http)('/alice/vault?key=sk-alice-fn', {
    headers: { 'x-card': '4111 1111 1111 1111', authorization: 'Bearer sk-alice-fn' },
  })
  return { status: call.status, body: await call.text() }
}

/** Submits one of eve's Python jobs and returns its final state. */
export const eveRuns = (client: Client, code: string) =>
  client.run({ job_type: 'python', namespace: 'eve', code, timeout_seconds: 60 }, 90)

/** Alice's keys as the orchestrator holds them now (null for a key that is gone). */
export async function aliceValues(client: Client): Promise<(unknown | null)[]> {
  return Promise.all(
    ALICE_KEYS.map(async (key) => {
      const res = await client.get(`/api/db/alice/${key}`)
      return res.status === 200 ? (res.body as { value: unknown }).value : null
    }),
  )
}
