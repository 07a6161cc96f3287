/**
 * Memory bombs, one per way a guest can grow its volunteer's memory, as jobs. The same list runs
 * on the Node host (test/security/memory-caps.test.ts) and in Chromium (playwright/memory-caps.test.ts).
 */
import { expect } from 'vitest'
import { toBase64, wasmFixture } from './wasm-fixtures'

/** What /tmp may hold per WASI job (docs/sandbox.md). */
const TMP_BYTES = 64 * 1024 * 1024
/** WASI's errno for "no space left on device". */
const ENOSPC = 51

export interface Bomb {
  name: string
  job: () => Promise<Record<string, unknown>>
  /** Checks the finished job: it failed with OUT_OF_MEMORY or was refused what it asked for. */
  verdict: (done: { status: string; result?: unknown; error?: { code: string } }) => void
}

const outOfMemory: Bomb['verdict'] = (done) => {
  expect(done.status, JSON.stringify(done.result ?? done.error)).toBe('failed')
  expect(done.error?.code, JSON.stringify(done.error)).toBe('OUT_OF_MEMORY')
}

const wasm = (fixture: string) => async () => ({
  job_type: 'wasm',
  wasm_base64: toBase64(await wasmFixture(fixture)),
})

export const BOMBS: Bomb[] = [
  {
    name: 'js: 1 MiB strings kept until the heap is full',
    job: async () => ({
      job_type: 'js',
      code: 'const a = []; for (let i = 0; i < 4000; i++) a.push(String.fromCharCode(97 + i % 26).repeat(1 << 20)); a.length',
    }),
    verdict: outOfMemory,
  },
  {
    name: 'js: an array of 1 MiB buffers',
    job: async () => ({
      job_type: 'js',
      code: 'const a = []; for (let i = 0; i < 4000; i++) a.push(new Uint8Array(1 << 20).fill(1)); a.length',
    }),
    verdict: outOfMemory,
  },
  {
    name: 'wasm: sixteen tables grown by ten million entries each',
    job: wasm('table-grow'),
    verdict: (done) => {
      // The module runs; every grow past the table cap is refused (table.grow returns -1).
      expect(done.status, JSON.stringify(done.error)).toBe('completed')
      expect(done.result).toBe(0)
    },
  },
  {
    name: 'wasm: fd_pwrite 1 GiB into /tmp',
    job: wasm('tmp-pwrite'),
    verdict: (done) => {
      expect(done.status, JSON.stringify(done.error)).toBe('completed')
      expect(done.result).toEqual([0, ENOSPC])
    },
  },
  {
    name: 'wasm: /tmp filled with 64 KiB files',
    job: wasm('tmp-files'),
    verdict: (done) => {
      expect(done.status, JSON.stringify(done.error)).toBe('completed')
      const [files, errno] = done.result as [number, number]
      expect(errno).toBe(ENOSPC)
      expect(files * 64 * 1024).toBeLessThanOrEqual(TMP_BYTES)
    },
  },
  {
    name: 'python: to_js lists kept on the JavaScript heap',
    job: async () => ({
      job_type: 'python',
      code: 'from pyodide.ffi import to_js\nkeep = [to_js([i] * 1000000) for i in range(80)]\nlen(keep)',
    }),
    verdict: outOfMemory,
  },
  {
    name: 'python: to_js bytes kept as JavaScript buffers',
    job: async () => ({
      job_type: 'python',
      code: 'from pyodide.ffi import to_js\nb = bytes(10**7)\nkeep = [to_js(b) for _ in range(1000)]\nlen(keep)',
    }),
    verdict: outOfMemory,
  },
  {
    name: 'python: bytearrays until the wasm heap is full',
    job: async () => ({
      job_type: 'python',
      code: 'x = []\nwhile True:\n    x.append(bytearray(10**7))',
    }),
    verdict: outOfMemory,
  },
  {
    name: 'lua: 1 MiB strings kept until the heap is full',
    job: async () => ({
      job_type: 'lua',
      code: 'local t = {} for i = 1, 4000 do t[i] = string.rep(string.char(97 + i % 26), 1 << 20) .. i end return #t',
    }),
    verdict: outOfMemory,
  },
]

/** One ordinary job of each runtime, with its answer: what must still run after every bomb. */
export async function everyRuntime(): Promise<[Record<string, unknown>, unknown][]> {
  return [
    [{ job_type: 'js', code: '6 * 7' }, 42],
    [{ job_type: 'lua', code: 'return 6 * 7' }, 42],
    [{ job_type: 'python', code: '6 * 7' }, 42],
    [{ ...(await wasm('echo')()), input_data: { answer: 42 } }, { answer: 42 }],
  ]
}
