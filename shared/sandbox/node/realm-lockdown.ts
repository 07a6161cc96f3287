/**
 * Pyodide in Node is built for interop, not confinement: `os.system` runs host commands through
 * child_process, Python sockets open WebSockets through `ws`, NODEFS mounts the host disk, and
 * any JS object that reaches Python leads to `Function` and from there to `process`. So a sandbox
 * thread that has loaded Pyodide gives up its host capabilities for good: this module stubs the
 * `ws` package before Pyodide loads, and afterwards denies the host modules' functions, removes
 * host globals, blocks code generation from strings and freezes the intrinsics. The thread keeps what guests need:
 * WebAssembly, crypto.getRandomValues, performance, timers, and its own message port.
 */
import { createRequire } from 'node:module'
import childProcess from 'node:child_process'
import dgram from 'node:dgram'
import dns from 'node:dns'
import fs from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import inspector from 'node:inspector'
import net from 'node:net'
import os from 'node:os'
import tls from 'node:tls'
import v8 from 'node:v8'
import vm from 'node:vm'
import type { Pyodide } from '../../runtime/python-runtime'
import {
  blockCodeGeneration,
  denied,
  freezeIntrinsics,
  removeGlobals,
} from '../../runtime/realm-guard'

/** Before Pyodide loads: its socket layer gets a WebSocket that refuses to connect or listen. */
export function blockPyodideSockets(): void {
  const require = createRequire(import.meta.resolve('pyodide'))
  const path = require.resolve('ws')
  class NoSockets {
    constructor() {
      throw new Error('network access is not available in the sandbox')
    }
    static Server = NoSockets
    static WebSocketServer = NoSockets
  }
  require.cache[path] = {
    id: path,
    filename: path,
    loaded: true,
    exports: NoSockets,
  } as unknown as NodeJS.Module
}

/** After Pyodide loads: nothing of the host stays reachable from this thread's realm. */
export function lockDownRealm(pyodide: Pyodide): void {
  // system() goes through spawnSync: answer "command not found" (exit 127) instead of running it.
  const noProcess = () => ({
    pid: 0,
    status: 127,
    signal: null,
    output: [null, '', ''],
    stdout: '',
    stderr: '',
    error: new Error('processes are not available in the sandbox'),
  })
  denyAll(childProcess, 'child_process')
  Object.defineProperty(childProcess, 'spawnSync', {
    value: noProcess,
    configurable: false,
    writable: false,
  })
  for (const [name, mod] of Object.entries({
    fs,
    'fs.promises': fs.promises,
    net,
    tls,
    http,
    https,
    http2,
    dgram,
    dns,
    vm,
    os,
    v8,
    inspector,
  })) {
    denyAll(mod as Record<string, unknown>, name)
  }

  const filesystems = (pyodide as unknown as { FS?: { filesystems?: Record<string, unknown> } }).FS
    ?.filesystems
  if (filesystems) for (const name of ['NODEFS', 'NODERAWFS']) delete filesystems[name]
  try {
    pyodide.unregisterJsModule('pyodide_js')
  } catch {
    // Not registered under that name in this version.
  }

  blockCodeGeneration()
  removeGlobals(
    [
      'process',
      'fetch',
      'Request',
      'Response',
      'WebSocket',
      'EventSource',
      'BroadcastChannel',
      'navigator',
      'Buffer',
      'global',
      'require',
      'module',
    ],
    ['navigator'],
  )
  // Last: freezing first would keep the steps above from replacing what they replace.
  freezeIntrinsics()
}

function denyAll(mod: Record<string, unknown>, name: string): void {
  for (const key of Object.keys(mod)) {
    if (typeof mod[key] !== 'function') continue
    try {
      mod[key] = denied(`${name}.${key}`)
    } catch {
      // Read-only export: fine, as long as the rest are gone.
    }
  }
}
