import { describe, expect, it } from 'vitest'
import { wasmFixture } from '../../test/helpers/wasm-fixtures'
import { cidOf } from '../cid'
import { request, control } from './test-helpers'
import type { RunRequest } from './runtime'
import { WasiRuntime } from './wasi-runtime'

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
})
