import { describe, expect, it } from 'vitest'
import { wasmFixture } from '../../test/helpers/wasm-fixtures'
import { cidOf } from '../protocol/cid'
import { request, control } from './test-helpers'
import type { RunRequest } from './runtime'
import { MAX_TMP_BYTES } from './limits'
import { WasiRuntime } from './wasi-runtime'
import { capModule, WasmLimitError } from './wasm-limits'

const wasi = new WasiRuntime()

async function run(
  name: string,
  over: Partial<RunRequest> & { args?: string[]; env?: Record<string, string> } = {},
) {
  const bytes = await wasmFixture(name)
  const { args = [], env = {}, ...rest } = over
  const req = request('wasm', '', rest.input ?? null, {
    ...rest,
    wasm: { cid: await cidOf(bytes), bytes, args, env },
  })
  return wasi.run(req, control(req.timeoutMs))
}

describe('WasiRuntime', () => {
  it('gives input_data on stdin and parses JSON stdout as the result', async () => {
    const out = await run('echo', { input: { a: [1, 2], b: 'x' } })
    expect(out).toMatchObject({
      ok: true,
      result: { a: [1, 2], b: 'x' },
      output: '{"a":[1,2],"b":"x"}',
      exitCode: 0,
    })
  })

  it('passes args and env', async () => {
    const out = await run('args', { args: ['--n', '5'], env: { MODE: 'fast' } })
    expect(out.output).toBe('job.wasm\0--n\x005\0MODE=fast\0')
    expect(out).toMatchObject({ ok: true, result: null })
  })

  it('fails a non-zero exit, keeping stderr and the exit code', async () => {
    const out = await run('exit3')
    expect(out).toMatchObject({
      ok: false,
      exitCode: 3,
      stderr: 'something went wrong\n',
      error: {
        code: 'GUEST_ERROR',
        message: 'the program exited with code 3: something went wrong',
      },
    })
  })

  it('caps memory growth at the job limit', async () => {
    const out = await run('grow', { memoryBytes: 8 << 20 })
    expect(out).toMatchObject({ ok: true, result: 128 })
  })

  it('names the import it does not provide', async () => {
    expect(await run('needs-env')).toMatchObject({
      ok: false,
      error: {
        message:
          'the module imports env.launch_missiles, which this runtime does not provide (only wasi_snapshot_preview1)',
      },
    })
  })

  it('refuses bytes that are not a module', async () => {
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99, 99])
    const out = await wasi.run(
      request('wasm', '', null, { wasm: { cid: 'bad', bytes, args: [], env: {} } }),
      control(),
    )
    expect(out).toMatchObject({
      ok: false,
      error: { code: 'GUEST_ERROR', message: expect.stringContaining('cannot be compiled') },
    })
  })

  it('compiles a module once', async () => {
    const bytes = await wasmFixture('echo')
    const cid = await cidOf(bytes)
    await run('echo')
    expect(wasi.has(cid, 32 << 20)).toBe(true)
    const again = await wasi.run(
      request('wasm', '', { n: 1 }, { wasm: { cid, args: [], env: {} } }),
      control(),
    )
    expect(again).toMatchObject({ ok: true, result: { n: 1 } })
  })

  it('keeps files in /tmp, reading back what was written', async () => {
    expect(await run('tmp-roundtrip')).toMatchObject({
      ok: true,
      output: 'hellohello\0\0\0\0\0\0',
    })
  })

  it('refuses a write far into /tmp with ENOSPC instead of allocating up to it', async () => {
    expect(await run('tmp-pwrite')).toMatchObject({ ok: true, result: [0, 51] })
  })

  it('refuses files past the /tmp budget with ENOSPC', async () => {
    const out = await run('tmp-files')
    if (!out.ok) throw new Error(out.error.message)
    const [files, errno] = out.result as [number, number]
    expect(errno).toBe(51)
    // Names count too: a little under the budget in 64 KiB files.
    expect(files).toBeLessThanOrEqual(MAX_TMP_BYTES / 65536)
    expect(files).toBeGreaterThan(MAX_TMP_BYTES / 65536 - 8)
  })

  it('caps tables: growing one by ten million entries is refused', async () => {
    expect(await run('table-grow')).toMatchObject({ ok: true, result: 0 })
  })
})

describe('capModule', () => {
  const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]
  const limits = { memoryBytes: 1 << 20, tableEntries: 1000 }

  it('refuses garbage-collected types, whose objects live outside the memory cap', () => {
    // type section: one struct type with one i32 field
    const gc = Uint8Array.from([...header, 1, 5, 1, 0x5f, 1, 0x7f, 0])
    expect(() => capModule(gc, limits)).toThrow(/garbage-collected types/)
  })

  it('refuses a second memory', () => {
    const two = Uint8Array.from([...header, 5, 5, 2, 0, 1, 0, 1])
    expect(() => capModule(two, limits)).toThrow(WasmLimitError)
  })

  it('shares the table budget out among tables and keeps their minimums', async () => {
    // table section: funcref min 10 (no max), externref min 0 max 5
    const tables = Uint8Array.from([...header, 4, 8, 2, 0x70, 0, 10, 0x6f, 1, 0, 5])
    const capped = capModule(tables, limits)
    // (1000 - 10) / 2 = 495 more each: 505 for the first, the second keeps its own max of 5
    expect(Array.from(capped.subarray(8))).toEqual([4, 10, 2, 0x70, 1, 10, 0xf9, 3, 0x6f, 1, 0, 5])
    expect(WebAssembly.validate(capped as Uint8Array<ArrayBuffer>)).toBe(true)
    const tooBig = Uint8Array.from([...header, 4, 5, 1, 0x70, 0, 0xe9, 7])
    expect(() => capModule(tooBig, limits)).toThrow(/tables start with 1001 entries/)
  })
})
