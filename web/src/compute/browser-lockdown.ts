/**
 * A Web Worker that has loaded Pyodide gives up what a guest could use against the volunteer:
 * network (fetch, sockets, XHR), storage the page shares (IndexedDB, caches), nested workers and
 * script loading, code generation from strings, and the chance to alter the intrinsics the worker's
 * own code relies on (they are frozen). It keeps WebAssembly, crypto, performance,
 * timers and the message channel to its page.
 */
import type { Pyodide } from '../../../shared/runtime/python-runtime'
import {
  blockCodeGeneration,
  freezeIntrinsics,
  removeGlobals,
} from '../../../shared/runtime/realm-guard'

const HOST_GLOBALS = [
  'fetch',
  'Request',
  'XMLHttpRequest',
  'WebSocket',
  'WebSocketStream',
  'WebTransport',
  'EventSource',
  'BroadcastChannel',
  'indexedDB',
  'caches',
  'cookieStore',
  'importScripts',
  'Worker',
  'SharedWorker',
  'navigator',
  'location',
  'RTCPeerConnection',
  'FileSystemHandle',
  'StorageManager',
] as const

export function lockDownWorker(pyodide: Pyodide): void {
  try {
    pyodide.unregisterJsModule('pyodide_js')
  } catch {
    // Not registered under that name in this version.
  }
  blockCodeGeneration()
  removeGlobals(HOST_GLOBALS)
  freezeIntrinsics()
}
