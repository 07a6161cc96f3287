/**
 * What `zerverless init` writes: a function or a job of each runtime, each with a README line on
 * how to run it. The wasm modules are prebuilt from the .wat beside them (wat2wasm), so the
 * scaffold works without a toolchain.
 */

export const INIT_KINDS = ['function', 'job'] as const
export type InitKind = (typeof INIT_KINDS)[number]
export const INIT_RUNTIMES = ['js', 'lua', 'python', 'wasm'] as const
export type InitRuntime = (typeof INIT_RUNTIMES)[number]

/** A file to write: text, or bytes given as base64. */
export interface Scaffold {
  path: string
  text?: string
  base64?: string
}

const EXT: Record<InitRuntime, string> = { js: 'js', lua: 'lua', python: 'py', wasm: 'wasm' }

const HELLO_FUNCTION: Record<Exclude<InitRuntime, 'wasm'>, string> = {
  js: `// A Zerverless function: handle(req) answers each HTTP request.
// req is {method, path, query, headers, body}; the answer is {status, headers, body}.
function handle(req) {
  const name = req.query.name || 'world'
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: \`Hello, \${name}!\` }
}
`,
  lua: `-- A Zerverless function: handle(req) answers each HTTP request.
-- req is {method, path, query, headers, body}; the answer is {status, headers, body}.
function handle(req)
  local name = req.query.name or "world"
  return { status = 200, headers = { ["content-type"] = "text/plain" }, body = "Hello, " .. name .. "!" }
end
`,
  python: `# A Zerverless function: handle(req) answers each HTTP request.
# req is {method, path, query, headers, body}; the answer is {status, headers, body}.
def handle(req):
    name = req.get("query", {}).get("name", "world")
    return {"status": 200, "headers": {"content-type": "text/plain"}, "body": f"Hello, {name}!"}
`,
}

const SQUARE_JOB: Record<Exclude<InitRuntime, 'wasm'>, string> = {
  js: `// A Zerverless job: INPUT is its input_data; the last expression is its result.
console.log(\`squaring \${INPUT.n}\`)
INPUT.n * INPUT.n
`,
  lua: `-- A Zerverless job: INPUT is its input_data; what it returns is its result.
print("squaring " .. INPUT.n)
return INPUT.n * INPUT.n
`,
  python: `# A Zerverless job: INPUT is its input_data; the last expression is its result.
print(f"squaring {INPUT['n']}")
INPUT["n"] ** 2
`,
}

const HELLO_WAT = `;; A WASI function: the request arrives as JSON on stdin; the response is the JSON printed.
;; This one answers every request with a greeting (rebuild: npx wat2wasm handler.wat).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{\\"status\\": 200, \\"headers\\": {\\"content-type\\": \\"text/plain\\"}, \\"body\\": \\"Hello from WebAssembly!\\"}\\n")
  (func (export "_start")
    ;; iovec at 0: the response at 64, its length
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 94))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
`
const HELLO_WASM =
  'AGFzbQEAAAABDAJgBH9/f38Bf2AAAAIjARZ3YXNpX3NuYXBzaG90X3ByZXZpZXcxCGZkX3dyaXRlAAADAgEBBQMBAAEHEwIGbWVtb3J5AgAGX3N0YXJ0AAEKHwEdAEEAQcAANgIAQQRB3gA2AgBBAUEAQQFBCBAAGgsLZQEAQcAAC157InN0YXR1cyI6IDIwMCwgImhlYWRlcnMiOiB7ImNvbnRlbnQtdHlwZSI6ICJ0ZXh0L3BsYWluIn0sICJib2R5IjogIkhlbGxvIGZyb20gV2ViQXNzZW1ibHkhIn0K'

/** examples/echo.wat: copies stdin to stdout, so the job's input comes back as its result. */
const ECHO_WAT = `;; A WASI job: input_data arrives as JSON on stdin; what it prints is the result.
;; This one copies stdin to stdout (rebuild: npx wat2wasm job.wat).
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $n i32)
    (block $done
      (loop $more
        (i32.store (i32.const 0) (i32.const 1024))
        (i32.store (i32.const 4) (i32.const 4096))
        (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
        (local.set $n (i32.load (i32.const 16)))
        (br_if $done (i32.eqz (local.get $n)))
        (i32.store (i32.const 4) (local.get $n))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 20)))
        (br $more)))))
`
const ECHO_WASM =
  'AGFzbQEAAAABDAJgBH9/f38Bf2AAAAJEAhZ3YXNpX3NuYXBzaG90X3ByZXZpZXcxB2ZkX3JlYWQAABZ3YXNpX3NuYXBzaG90X3ByZXZpZXcxCGZkX3dyaXRlAAADAgEBBQMBAAEHEwIGbWVtb3J5AgAGX3N0YXJ0AAIKRwFFAQF/AkADQEEAQYAINgIAQQRBgCA2AgBBAEEAQQFBEBAAGkEQKAIAIQAgAEUNAUEEIAA2AgBBAUEAQQFBFBABGgwACwsL'

/** The files of one scaffold; `name` is the directory's name, used as the function's path. */
export function scaffold(kind: InitKind, runtime: InitRuntime, name: string): Scaffold[] {
  return kind === 'function' ? functionFiles(runtime, name) : jobFiles(runtime)
}

function functionFiles(runtime: InitRuntime, name: string): Scaffold[] {
  const file = `handler.${EXT[runtime]}`
  const code: Scaffold[] =
    runtime === 'wasm'
      ? [
          { path: file, base64: HELLO_WASM },
          { path: 'handler.wat', text: HELLO_WAT },
        ]
      : [{ path: file, text: HELLO_FUNCTION[runtime] }]
  const readme = `# ${name}

A Zerverless ${runtime} function. Deploy it as \`you/${name}\` and call it:

    zerverless deploy ${file} you/${name}
    zerverless invoke you/${name}
    zerverless logs you/${name} --follow
`
  return [...code, { path: 'README.md', text: readme }]
}

function jobFiles(runtime: InitRuntime): Scaffold[] {
  const file = `job.${EXT[runtime]}`
  const code: Scaffold[] =
    runtime === 'wasm'
      ? [
          { path: file, base64: ECHO_WASM },
          { path: 'job.wat', text: ECHO_WAT },
        ]
      : [{ path: file, text: SQUARE_JOB[runtime] }]
  const readme = `# A Zerverless ${runtime} job

Run it once, or once per line of inputs.jsonl (results in input order):

    zerverless run ${file} --input '{"n": 3}'
    zerverless batch ${file} --inputs inputs.jsonl --out results.jsonl
`
  return [
    ...code,
    { path: 'inputs.jsonl', text: '{"n": 1}\n{"n": 2}\n{"n": 3}\n' },
    { path: 'README.md', text: readme },
  ]
}
