/** The runtimes a browser sandbox offers: the same shared/ code as Node's, with browser asset URLs. */
import luaWasmUrl from 'wasmoon/dist/glue.wasm?url'
import type { Runtime } from '../../../shared/protocol/job'
import { LuaRuntime } from '../../../shared/runtime/lua-runtime'
import { PythonRuntime, type LoadPyodide } from '../../../shared/runtime/python-runtime'
import { QuickJsRuntime } from '../../../shared/runtime/quickjs-runtime'
import type { GuestRuntime } from '../../../shared/runtime/runtime'
import { WasiRuntime } from '../../../shared/runtime/wasi-runtime'
import { lockDownWorker } from './browser-lockdown'

/** A Web Worker's native stack is about 1 MiB: QuickJS gets 1/16 of it. */
const GUEST_STACK_BYTES = 64 * 1024

export async function loadBrowserRuntimes(): Promise<Partial<Record<Runtime, GuestRuntime>>> {
  const [js, lua] = await Promise.all([
    QuickJsRuntime.load({ stackBytes: GUEST_STACK_BYTES }),
    LuaRuntime.load(luaWasmUrl),
  ])
  return { js, lua, wasm: new WasiRuntime() }
}

/**
 * Pyodide from this origin's copy of its npm package; the worker is locked down once it and the
 * light runtimes (`started`) have loaded, since the lockdown freezes the realm they start in.
 */
export async function loadBrowserPython(
  snapshot: Uint8Array | undefined,
  started: Promise<unknown>,
): Promise<PythonRuntime> {
  const indexURL = new URL(`${import.meta.env.BASE_URL}pyodide/`, self.location.origin).href
  const module = (await import(/* @vite-ignore */ `${indexURL}pyodide.mjs`)) as {
    loadPyodide: LoadPyodide
  }
  const loaded = await PythonRuntime.load(module.loadPyodide, {
    indexURL,
    ...(snapshot ? { snapshot } : { makeSnapshot: true }),
  })
  await started.catch(() => undefined)
  lockDownWorker(loaded.pyodide)
  return loaded
}
