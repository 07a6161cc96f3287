// The baseline: a bare Hono app on the same node-server, answering the same small bodies the
// measured routes answer (JSON for /health, the functions' greeting for /hello).
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/', (c) => c.json({ status: 'ok' }))
app.get('/hello', (c) => c.text('Hello, World!'))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
