/** The sandboxed runtimes a Node worker offers. Python loads on first use (it is heavy). */
import type { Runtime } from '../../protocol/job'
import { LuaRuntime } from '../../runtime/lua-runtime'
import { QuickJsRuntime } from '../../runtime/quickjs-runtime'
import type { GuestRuntime } from '../../runtime/runtime'
import { WasiRuntime } from '../../runtime/wasi-runtime'

export const NODE_RUNTIMES: Runtime[] = ['js', 'lua', 'python', 'wasm']

export async function loadRuntimes(options: {
  stackBytes: number
}): Promise<Partial<Record<Runtime, GuestRuntime>>> {
  const [js, lua] = await Promise.all([
    QuickJsRuntime.load({ stackBytes: options.stackBytes }),
    LuaRuntime.load(),
  ])
  return { js, lua, wasm: new WasiRuntime() }
}
