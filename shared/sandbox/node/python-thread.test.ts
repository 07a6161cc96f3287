import { existsSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunnableJob } from '../../agent/volunteer-agent'
import { ThreadExecutor } from './thread-executor'

const executor = new ThreadExecutor({ threads: 1 })
afterAll(() => executor.close())

let n = 0
const job = (code: string, over: Partial<RunnableJob> = {}): RunnableJob => ({
  type: 'job',
  job_id: `p${++n}`,
  attempt: 1,
  job_type: 'python',
  namespace: 'alice',
  code,
  input_data: null,
  timeout_ms: 10_000,
  ...over,
})
const run = (j: RunnableJob) => executor.execute(j, new AbortController().signal)

describe('Python in a sandbox thread', () => {
  it('runs jobs', async () => {
    expect(await run(job('print("hi")\n1 + 1'))).toMatchObject({
      ok: true,
      result: 2,
      output: 'hi\n',
    })
  }, 60_000)

  it('cannot run host commands', async () => {
    const marker = path.join(os.tmpdir(), `zv-pwned-${process.pid}-${Date.now()}`)
    const out = await run(job(`import os\nos.system("touch ${marker}")`))
    expect(out.ok && out.result).not.toBe(0)
    expect(existsSync(marker)).toBe(false)
  })

  it('cannot open network connections', async () => {
    let connections = 0
    const server = net.createServer((s) => {
      connections++
      s.destroy()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as net.AddressInfo
    const out = await run(
      job(
        `import socket\ns = socket.create_connection(("127.0.0.1", ${port}), timeout=1)\ns.sendall(b"hello")`,
      ),
    )
    await new Promise((r) => setTimeout(r, 200))
    server.close()
    expect(out.ok).toBe(false)
    expect(connections).toBe(0)
  })

  it('cannot reach JS globals through the FFI', async () => {
    const escapes = [
      'from pyodide.ffi import to_js\nto_js([1]).constructor.constructor("return process")().pid',
      'from pyodide.code import run_js\nrun_js("process.pid")',
      'import js\njs.process.pid',
      'import pyodide_js\nFS = pyodide_js.FS\nFS.mkdir("/host")\nFS.mount(FS.filesystems.NODEFS, {"root": "/"}, "/host")\nimport os\nos.listdir("/host")',
    ]
    for (const code of escapes) {
      const out = await run(job(code))
      expect(out.ok, `${code} → ${JSON.stringify(out.ok ? out.result : out.error.message)}`).toBe(
        false,
      )
    }
  })

  it('sees only its in-memory file system', async () => {
    expect(await run(job('open("/etc/hostname").read()'))).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('FileNotFoundError') },
    })
  })

  it('keeps the standard library working after the lockdown', async () => {
    const code =
      'import time, random, datetime, json\nt = time.time(); time.sleep(0.01)\n[time.time() - t >= 0.009, 0 <= random.random() < 1, datetime.datetime.now().year > 2000, json.loads("[1]")]'
    expect(await run(job(code))).toMatchObject({ ok: true, result: [true, true, true, [1]] })
  })
})

describe('Python interpreters and namespaces', () => {
  it('gives a job from another namespace a fresh interpreter', async () => {
    // A job can leave state where the per-job reset does not look (a class attribute here).
    await run(
      job('import json\njson.JSONDecoder.planted = "alice was here"\n1', { namespace: 'alice' }),
    )
    expect(
      await run(
        job('import json\ngetattr(json.JSONDecoder, "planted", None)', { namespace: 'alice' }),
      ),
    ).toMatchObject({ ok: true, result: 'alice was here' })
    const before = executor.replaced
    expect(
      await run(
        job('import json\ngetattr(json.JSONDecoder, "planted", None)', { namespace: 'bob' }),
      ),
    ).toMatchObject({ ok: true, result: null })
    expect(executor.replaced).toBe(before + 1)
  }, 60_000)
})
