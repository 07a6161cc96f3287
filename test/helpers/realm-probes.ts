/**
 * Realm probes for all four runtimes, shared by the Node hostile suite and its Chromium
 * counterpart: each job tries to reach or alter the sandbox thread's JavaScript realm or the host
 * objects behind its `db`, and reports whether it managed to. Every probe must come back harmless.
 */
import { REACH_REALM } from './tenant-attacks'
import { toBase64, wasmFixture } from './wasm-fixtures'

export interface RealmProbe {
  runtime: 'python' | 'js' | 'lua' | 'wasm'
  name: string
  job: () => Promise<Record<string, unknown>>
  /** The result of a probe that reached nothing. */
  result: unknown
}

const python = (name: string, code: string): RealmProbe => ({
  runtime: 'python',
  name,
  job: async () => ({ job_type: 'python', code, timeout_seconds: 60 }),
  result: false,
})

/** Each Python probe evaluates to True when its change to the realm took. */
const PYTHON_PROBES: RealmProbe[] = [
  python(
    'plant an accessor on Object.prototype',
    `${REACH_REALM}
try:
    Object.defineProperty(proto, 'mode', accessor(get=lambda this: None))
except JsException:
    pass
Object.getOwnPropertyDescriptor(proto, 'mode') is not None`,
  ),
  python(
    'replace Array.prototype.push',
    `${REACH_REALM}
try:
    to_js([]).__proto__.push = create_proxy(lambda *args: 0)
except Exception:
    pass
to_js([]).push(1) != 1`,
  ),
  python(
    "read the host's call stack through Error.prepareStackTrace",
    `${REACH_REALM}
seen = []
def prepare(error, sites):
    seen.append(sites)
    return 'seen'
try:
    JsError.prepareStackTrace = create_proxy(prepare)
except Exception:
    pass
try:
    call.constructor('again')
except JsException as again:
    str(again.js_error.stack)
len(seen) > 0`,
  ),
  python(
    'replace Function.prototype.toString',
    `${REACH_REALM}
try:
    call.__proto__.toString = create_proxy(lambda *args: 'tampered')
except Exception:
    pass
'tampered' in str(call)`,
  ),
  python(
    'replace the host call its db uses',
    `import _zerverless_host
from pyodide.ffi import create_proxy
try:
    _zerverless_host.call = create_proxy(lambda text: '{"ok": true, "value": "forged"}')
except Exception:
    pass
'forged' in _zerverless_host.call('{"op": "db.get", "key": "probe"}')`,
  ),
]

const OTHER_PROBES: RealmProbe[] = [
  {
    runtime: 'js',
    name: "host functions are the guest's own, reaching only its own globals",
    job: async () => ({
      job_type: 'js',
      code: '[Object.getPrototypeOf(db.get) === Function.prototype, typeof db.get.constructor("return globalThis")().process, Object.isFrozen(db)]',
    }),
    result: [true, 'undefined', true],
  },
  {
    runtime: 'js',
    name: "a failed host call throws the guest's own Error",
    job: async () => ({
      job_type: 'js',
      code: 'let seen; try { db.list({limit: 0}) } catch (e) { seen = [e instanceof Error, e.constructor === Error, Object.getPrototypeOf(Error.prototype) === Object.prototype] } seen',
    }),
    result: [true, true, true],
  },
  {
    runtime: 'lua',
    name: 'host functions are plain functions, with no metatables or debug library',
    job: async () => ({
      job_type: 'lua',
      code: 'return {type(db.get), getmetatable(db) == nil, debug == nil, package == nil}',
    }),
    result: ['function', true, true, true],
  },
  {
    runtime: 'lua',
    name: 'a failed host call raises a string',
    job: async () => ({
      job_type: 'lua',
      code: 'local ok, e = pcall(db.get) return {ok, type(e)}',
    }),
    result: [false, 'string'],
  },
  {
    runtime: 'wasm',
    name: 'a path out of its in-memory /tmp',
    job: async () => ({ job_type: 'wasm', wasm_base64: toBase64(await wasmFixture('escape')) }),
    result: 'refused',
  },
]

export const REALM_PROBES: RealmProbe[] = [...PYTHON_PROBES, ...OTHER_PROBES]
