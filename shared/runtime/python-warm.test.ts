import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { loadPyodide } from 'pyodide'
import { beforeAll, describe, expect, it } from 'vitest'
import type { JsonObject } from '../protocol/json'
import { PythonRuntime, type LoadPyodide } from './python-runtime'
import { control, request } from './test-helpers'

let py: PythonRuntime
beforeAll(async () => {
  py = await PythonRuntime.load(loadPyodide as unknown as LoadPyodide)
}, 60_000)

/** One call of the function `code` warm under `key`, as a sandbox thread makes it. */
const call = (key: string, code: string, input: JsonObject = {}, timeoutMs = 5000) =>
  py.run(
    request('python', code, input, {
      namespace: 'alice',
      mode: 'function',
      warm: { key },
      timeoutMs,
    }),
    control(timeoutMs),
  )

const body = async (key: string, code: string, input: JsonObject = {}) => {
  const out = await call(key, code, input)
  if (!out.ok) throw new Error(`${key}: ${out.error.message}`)
  return (out.result as { body: unknown }).body
}

const COUNTER = `
count = 0
def handle(req):
    global count
    count += 1
    return {"status": 200, "body": count}
`

describe('warm Python functions', () => {
  it('keeps module-level state between the calls of one version', async () => {
    expect(await body('alice/count@1', COUNTER)).toBe(1)
    expect(await body('alice/count@1', COUNTER)).toBe(2)
    expect(await body('alice/count@1', COUNTER)).toBe(3)
  })

  it('gives two functions and two versions globals of their own, even with the same code', async () => {
    await body('alice/a@1', COUNTER)
    await body('alice/a@1', COUNTER)
    expect(await body('alice/b@1', COUNTER)).toBe(1)
    expect(await body('alice/a@2', COUNTER)).toBe(1)
    expect(await body('alice/a@1', COUNTER)).toBe(3)
  })

  it('runs the top level once, and hands each call its own INPUT', async () => {
    const code = `print("loading")\ndef handle(req):\n    return {"status": 200, "body": [req["query"], INPUT["query"]]}`
    const first = await call('alice/input@1', code, { query: 'one' })
    const second = await call('alice/input@1', code, { query: 'two' })
    expect(first).toMatchObject({ ok: true, output: 'loading\n', result: { body: ['one', 'one'] } })
    expect(second).toMatchObject({ ok: true, output: '', result: { body: ['two', 'two'] } })
  })

  it("undoes one version's changes to shared modules and the interpreter before another's call", async () => {
    const writer = `
import json, os, sys, builtins
def handle(req):
    json.dumps = lambda *a, **k: "patched"
    vars(json)["extra"] = 1
    sys.path.append("/mine")
    os.environ["MINE"] = "1"
    os.makedirs("/tmp/mine", exist_ok=True)
    os.chdir("/tmp/mine")
    builtins.zv_marker = 1
    sys.setrecursionlimit(90)
    import colorsys
    colorsys.marker = "mine"
    return {"status": 200, "body": "written"}
`
    const reader = `
import builtins, json, os, sys
def handle(req):
    import colorsys
    return {"status": 200, "body": [json.dumps([1]), hasattr(json, "extra"), "/mine" in sys.path,
        "MINE" in os.environ, os.getcwd(), hasattr(builtins, "zv_marker"), sys.getrecursionlimit() == 90,
        getattr(colorsys, "marker", None)]}
`
    expect(await body('alice/writer@1', writer)).toBe('written')
    expect(await body('alice/reader@1', reader)).toEqual([
      '[1]',
      false,
      false,
      false,
      '/home/pyodide',
      false,
      false,
      null,
    ])
    // A job of the namespace sees none of it either.
    const job = await py.run(
      request(
        'python',
        'import json, colorsys\n[json.dumps([1]), hasattr(colorsys, "marker")]',
        null,
        {
          namespace: 'alice',
        },
      ),
      control(),
    )
    expect(job).toMatchObject({ ok: true, result: ['[1]', false] })
  })

  it("keeps what a version's top level set in shared modules for its own calls, and only those", async () => {
    const configured = `
import json, logging, os, sys
json.counter = 1
sys.path.append("/configured")
os.environ["CONFIGURED"] = "yes"
logging.basicConfig(level=logging.INFO)
def handle(req):
    json.counter += 1
    return {"status": 200, "body": [json.counter, "/configured" in sys.path, os.environ.get("CONFIGURED"),
        logging.getLogger().level]}
`
    const plain = `
import json, logging, os, sys
def handle(req):
    return {"status": 200, "body": [getattr(json, "counter", None), "/configured" in sys.path,
        os.environ.get("CONFIGURED"), logging.getLogger().level]}
`
    // Each call starts from the top level's view; what a call itself changes there is undone.
    expect(await body('alice/configured@1', configured)).toEqual([2, true, 'yes', 20])
    expect(await body('alice/configured@1', configured)).toEqual([2, true, 'yes', 20])
    expect(await body('alice/plain@1', plain)).toEqual([null, false, null, 30])
    expect(await body('alice/configured@1', configured)).toEqual([2, true, 'yes', 20])
  })

  it('keeps the modules a version imported as its own', async () => {
    const code = `
def handle(req):
    import colorsys, xml.dom.minidom
    colorsys.calls = getattr(colorsys, "calls", 0) + 1
    return {"status": 200, "body": [colorsys.calls, xml.dom.minidom.parseString("<a/>").documentElement.tagName]}
`
    expect(await body('alice/mods@1', code)).toEqual([1, 'a'])
    expect(await body('alice/mods@1', code)).toEqual([2, 'a'])
    expect(await body('alice/mods@2', code)).toEqual([1, 'a'])
    expect(await body('alice/mods@1', code)).toEqual([3, 'a'])
  })

  it('keeps a context whose handle raised, and makes a new one after a top-level error', async () => {
    const raising = `${COUNTER}\n_h = handle\ndef handle(req):\n    r = _h(req)\n    if r["body"] == 1:\n        raise ValueError("first")\n    return r`
    expect(await call('alice/raise@1', raising)).toMatchObject({
      ok: false,
      error: { code: 'GUEST_ERROR' },
    })
    expect(await body('alice/raise@1', raising)).toBe(2)

    const broken = 'print("top")\nraise RuntimeError("no")\ndef handle(req):\n    return {}'
    for (let i = 0; i < 2; i++)
      expect(await call('alice/broken@1', broken)).toMatchObject({ ok: false, output: 'top\n' })
  })

  it('does not keep a context whose top level answered the request itself (the seed pattern)', async () => {
    const code =
      'def handle(req):\n    return {"status": 200, "body": req["query"]}\nresult = handle(INPUT)'
    expect(await body('alice/seed@1', code, { query: 'a' })).toBe('a')
    expect(await body('alice/seed@1', code, { query: 'b' })).toBe('b')
  })

  it('discards a context that ran out of memory', async () => {
    const code = `${COUNTER}\n_h = handle\ndef handle(req):\n    r = _h(req)\n    if req.get("bomb"):\n        keep = []\n        while True:\n            keep.append(bytearray(10**6))\n    return r`
    expect(await body('alice/oom@1', code)).toBe(1)
    expect(await body('alice/oom@1', code)).toBe(2)
    expect(await call('alice/oom@1', code, { bomb: true })).toMatchObject({
      ok: false,
      error: { code: 'OUT_OF_MEMORY' },
    })
    expect(await body('alice/oom@1', code)).toBe(1)
  }, 30_000)

  it('discards a context that timed out', async () => {
    const code = `${COUNTER}\n_h = handle\ndef handle(req):\n    r = _h(req)\n    if req.get("spin"):\n        import time\n        start = time.time()\n        while time.time() - start < 20:\n            pass\n    return r`
    expect(await body('alice/spin@1', code)).toBe(1)
    const flag = new Int32Array(new SharedArrayBuffer(4))
    const owner = new Worker(
      // Set again and again: a run that starts late (a loaded machine) clears the flag it finds.
      "const { workerData } = require('node:worker_threads'); setInterval(() => Atomics.store(new Int32Array(workerData), 0, 2), 300)",
      { eval: true, workerData: flag.buffer },
    )
    // The thread must be up before Python holds this one: starting it needs this thread's turn.
    await once(owner, 'online')
    const out = await py.run(
      request(
        'python',
        code,
        { spin: true },
        {
          namespace: 'alice',
          mode: 'function',
          warm: { key: 'alice/spin@1' },
          timeoutMs: 300,
        },
      ),
      { deadline: Date.now() + 300, isCancelled: () => flag[0] !== 0, stopFlag: flag },
    )
    await owner.terminate()
    expect(out).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
    expect(await body('alice/spin@1', code)).toBe(1)
  }, 30_000)

  it('evicts the least recently used contexts down to a budget', async () => {
    py.dropWarm(0)
    expect(py.warmBytes()).toBe(0)
    await body('alice/lru@1', COUNTER)
    const one = py.warmBytes()
    await body('alice/lru@2', COUNTER)
    await body('alice/lru@1', COUNTER)
    expect(py.warmBytes()).toBeGreaterThan(one)
    py.dropWarm(one)
    // lru@2 was used least recently: it is gone, lru@1 is kept.
    expect(await body('alice/lru@1', COUNTER)).toBe(3)
    expect(await body('alice/lru@2', COUNTER)).toBe(1)
  })
})
