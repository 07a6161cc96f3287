/** The sandboxed runtimes a Node worker offers. */
import type { Runtime } from '../../../shared/job'
import { LuaRuntime } from '../../../shared/runtime/lua-runtime'
import { QuickJsRuntime } from '../../../shared/runtime/quickjs-runtime'
import type { GuestRuntime } from '../../../shared/runtime/runtime'

export const NODE_RUNTIMES: Runtime[] = ['js', 'lua']

export async function loadRuntimes(options: {
  stackBytes: number
}): Promise<Partial<Record<Runtime, GuestRuntime>>> {
  const [js, lua] = await Promise.all([
    QuickJsRuntime.load({ stackBytes: options.stackBytes }),
    LuaRuntime.load(),
  ])
  return { js, lua }
}
