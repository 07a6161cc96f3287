import { ThreadExecutor } from './shared/sandbox/node/thread-executor'
const ex = new ThreadExecutor({ threads: 1 })
let n = 0
const call = (job_type: 'js'|'lua', namespace: string, code: string, fn?: {path: string, version: number}) => ex.execute({ type: 'job', job_id: `x${++n}`, attempt: 1, job_type, namespace, code, input_data: {q: n}, timeout_ms: 5000, mode: 'function', ...(fn && { function: { ...fn, deployed_at: 1 } }) }, new AbortController().signal)
const js = 'let count = 0; function handle(req) { count++; return { body: String(count) } }'
const lua = 'local count = 0 function handle(req) count = count + 1 return { body = tostring(count) } end'
for (let i = 0; i < 3; i++) console.log('js', JSON.stringify(await call('js', 'a', js, { path: '/f', version: 1 })))
for (let i = 0; i < 3; i++) console.log('lua', JSON.stringify(await call('lua', 'a', lua, { path: '/f', version: 1 })))
console.log('js other ns', JSON.stringify(await call('js', 'b', js, { path: '/f', version: 1 })))
console.log('js no fn', JSON.stringify(await call('js', 'a', js)))
await ex.close()
