/**
 * `/metrics` and the JSON logs against the core in process with one volunteer: run jobs, functions,
 * KV and storage calls, scrape, and check the text parses as the Prometheus exposition format with
 * plausible values. What the CLI writes at its default level is in cli/log-level.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { logLines } from '../helpers/log-lines'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

const NAME = String.raw`[a-zA-Z_:][a-zA-Z0-9_:]*`
const LABEL = String.raw`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"`
const VALUE = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN`
const SAMPLE = new RegExp(
  String.raw`^(${NAME})(?:\{(${LABEL}(?:,${LABEL})*)?\})? (${VALUE})(?: -?\d+)?$`,
)
const COMMENT = new RegExp(String.raw`^# (HELP|TYPE) (${NAME})(?: (.*))?$`)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** Parses an exposition strictly: any line outside the grammar fails the test. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  expect(text.endsWith('\n')).toBe(true)
  const types = new Map<string, string>()
  const helps = new Set<string>()
  const samples: Sample[] = []
  let family: string | undefined
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = COMMENT.exec(line)
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string]
      if (kind === 'TYPE') {
        expect(types.has(name), `one TYPE for ${name}`).toBe(false)
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest)
        types.set(name, rest)
      } else {
        expect(helps.has(name), `one HELP for ${name}`).toBe(false)
        helps.add(name)
      }
      family = name
      continue
    }
    const match = SAMPLE.exec(line)
    expect(match, `a sample line: ${JSON.stringify(line)}`).not.toBeNull()
    const name = match![1] as string
    // A sample belongs to the family declared just above it (histograms add suffixes).
    const suffixed = types.get(family ?? '') === 'histogram' ? /_(bucket|sum|count)$/ : /$^/
    expect(name.replace(suffixed, ''), `${name} under # TYPE ${family}`).toBe(family)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match![2] ?? '').matchAll(new RegExp(LABEL, 'g')))
      labels[key as string] = (value as string).replace(/\\(["\\n])/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      )
    const raw = match![match!.length - 1] as string
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)
    samples.push({ name, labels, value })
  }
  return { types, samples }
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}) {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value
}

describe('observability (debug logs)', () => {
  let server: TestApp
  let client: ApiClient
  const output = () => server.logs().join('\n')

  beforeAll(async () => {
    server = await createTestApp({ volunteers: 1, logLevel: 'debug' })
    client = server.api
    await idleVolunteers(server, 1)
  })

  afterAll(async () => {
    await server.close()
  })

  it('serves /metrics in the Prometheus text format with what happened', async () => {
    expect(await client.run({ job_type: 'js', code: '6 * 7' })).toMatchObject({
      status: 'completed',
    })
    expect(await client.run({ job_type: 'lua', code: 'return 1' })).toMatchObject({
      status: 'completed',
    })
    expect(await client.run({ job_type: 'js', code: 'throw new Error("no")' })).toMatchObject({
      status: 'failed',
    })
    const deploy = await client.post('/api/deploy/obs/hello', {
      runtime: 'lua',
      code: 'function handle(req) return {status=201, body="hi"} end',
    })
    expect(deploy.status).toBe(201)
    await client.post('/api/deploy/obs/broken', {
      runtime: 'lua',
      code: 'function handle(req) error("broken") end',
    })
    expect((await client.get('/obs/hello')).status).toBe(201)
    expect((await client.get('/obs/hello')).status).toBe(201)
    expect((await client.get('/obs/broken')).status).toBe(502)

    const put = (target: string, body: string, type = 'application/json') =>
      server.fetch(target, { method: 'PUT', headers: { 'content-type': type }, body })
    expect((await put('/api/db/obs/k', JSON.stringify({ value: 1 }))).status).toBe(200)
    expect((await client.get('/api/db/obs/k')).status).toBe(200)
    expect((await client.get('/api/db/obs/missing')).status).toBe(404)
    expect((await client.get('/api/db/obs/?prefix=k')).status).toBe(200)
    expect((await client.delete('/api/db/obs/k')).status).toBe(204)
    expect((await put('/api/storage/obs/a.txt', 'hello', 'text/plain')).status).toBe(201)
    expect((await client.get('/api/storage/obs/a.txt')).body).toBe('hello')
    expect((await client.get('/api/storage/obs/')).status).toBe(200)
    expect((await client.delete('/api/storage/obs/a.txt')).status).toBe(204)

    // The worker reports its slot free just after the last result; wait until it is idle again.
    const scrape = async () => {
      const res = await server.fetch(`/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
      return parseExposition(await res.text())
    }
    const { types, samples } = await eventually(async () => {
      const scraped = await scrape()
      return find(scraped.samples, 'zerverless_volunteers', { state: 'idle' }) === 1
        ? scraped
        : undefined
    })

    expect(types.get('zerverless_jobs')).toBe('gauge')
    expect(find(samples, 'zerverless_jobs', { state: 'completed' })).toBe(2)
    expect(find(samples, 'zerverless_jobs', { state: 'failed' })).toBe(1)
    expect(find(samples, 'zerverless_jobs', { state: 'pending' })).toBe(0)
    expect(find(samples, 'zerverless_jobs_submitted_total', { runtime: 'js' })).toBe(2)
    expect(find(samples, 'zerverless_jobs_submitted_total', { runtime: 'lua' })).toBe(1)
    expect(
      find(samples, 'zerverless_jobs_finished_total', { runtime: 'js', state: 'failed' }),
    ).toBe(1)
    expect(
      find(samples, 'zerverless_jobs_finished_total', { runtime: 'lua', state: 'completed' }),
    ).toBe(1)

    expect(find(samples, 'zerverless_volunteers_connected')).toBe(1)
    expect(find(samples, 'zerverless_volunteers', { state: 'busy' })).toBe(0)
    expect(find(samples, 'zerverless_volunteer_slots')).toBe(1)
    expect(find(samples, 'zerverless_volunteer_runtimes', { runtime: 'lua' })).toBe(1)

    expect(types.get('zerverless_function_invocations_total')).toBe('counter')
    expect(find(samples, 'zerverless_function_invocations_total', { status: '201' })).toBe(2)
    expect(find(samples, 'zerverless_function_invocations_total', { status: '502' })).toBe(1)

    expect(find(samples, 'zerverless_kv_operations_total', { op: 'set' })).toBe(1)
    expect(find(samples, 'zerverless_kv_operations_total', { op: 'get' })).toBe(2)
    expect(find(samples, 'zerverless_kv_operations_total', { op: 'list' })).toBe(1)
    expect(find(samples, 'zerverless_kv_operations_total', { op: 'delete' })).toBe(1)
    for (const op of ['put', 'get', 'list', 'delete'])
      expect(find(samples, 'zerverless_storage_operations_total', { op })).toBe(1)

    // Declared for the rate limiters, with no sample until one refuses something.
    expect(types.get('zerverless_rate_limited_total')).toBe('counter')
    expect(find(samples, 'zerverless_http_requests_total', { method: 'GET', status: '404' })).toBe(
      1,
    )

    expect(types.get('zerverless_dispatch_latency_seconds')).toBe('histogram')
    for (const [kind, least] of [
      ['job', 3],
      ['function', 3],
    ] as const) {
      const buckets = samples.filter(
        (s) => s.name === 'zerverless_dispatch_latency_seconds_bucket' && s.labels.kind === kind,
      )
      expect(buckets.length).toBeGreaterThan(5)
      const bounds = buckets.map((b) => Number(b.labels.le === '+Inf' ? Infinity : b.labels.le))
      expect(bounds).toEqual([...bounds].sort((a, b) => a - b))
      expect(buckets.at(-1)?.labels.le).toBe('+Inf')
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value)
      const count = find(samples, 'zerverless_dispatch_latency_seconds_count', { kind })
      expect(count).toBeGreaterThanOrEqual(least)
      expect(buckets.at(-1)?.value).toBe(count)
      const sum = find(samples, 'zerverless_dispatch_latency_seconds_sum', { kind }) as number
      // Everything here was dispatched at once to an idle worker on the same machine.
      expect(sum).toBeGreaterThanOrEqual(0)
      expect(sum / (count as number)).toBeLessThan(5)
    }
  })

  it('answers with a request id and logs one JSON line per request', async () => {
    const own = await server.fetch(`/health`, { headers: { 'x-request-id': 'obs-test-1' } })
    expect(own.headers.get('x-request-id')).toBe('obs-test-1')
    const fresh = await server.fetch(`/api/jobs/nope`)
    expect(fresh.status).toBe(404)
    const freshId = fresh.headers.get('x-request-id') as string
    expect(freshId).toMatch(UUID)
    const unsafe = await server.fetch(`/health`, {
      headers: { 'x-request-id': 'no spaces please' },
    })
    expect(unsafe.headers.get('x-request-id')).toMatch(UUID)

    const linesFor = (id: string) =>
      logLines(output()).filter((l) => l.msg === 'request' && l.request_id === id)
    const [line] = await eventually(() => {
      const found = linesFor('obs-test-1')
      return found.length > 0 ? found : undefined
    })
    expect(line).toMatchObject({
      level: 'debug',
      msg: 'request',
      request_id: 'obs-test-1',
      method: 'GET',
      path: '/health',
      status: 200,
    })
    expect(Date.parse(line!.time as string)).not.toBeNaN()
    expect(typeof line!.duration_ms).toBe('number')
    await eventually(() => linesFor(freshId).length > 0 || undefined)
    expect(linesFor('obs-test-1')).toHaveLength(1)
    expect(linesFor(freshId)).toEqual([expect.objectContaining({ status: 404 })])
    for (const record of logLines(output()))
      expect(Object.keys(record).slice(0, 3)).toEqual(['time', 'level', 'msg'])
  })
})
