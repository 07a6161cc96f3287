/** Answers gathered from every room, merged into the one answer a single orchestrator gives. */
import { EXPOSITION_CONTENT_TYPE } from '../core/observability/exposition'
import { mergeMetrics } from './merge-metrics'
import type { Merge } from './room-routing'

type Json = Record<string, unknown>

export async function mergeResponses(
  merge: Merge,
  answers: Response[],
  url: URL,
): Promise<Response> {
  // A refusal (a bad query, say) is the same in every room: pass the first one on.
  const refused = answers.find((a) => !a.ok)
  if (refused) return refused
  if (merge === 'metrics') {
    const texts = await Promise.all(answers.map((a) => a.text()))
    return new Response(mergeMetrics(texts), {
      headers: { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' },
    })
  }
  const bodies = (await Promise.all(answers.map((a) => a.json()))) as Json[]
  const [first = {}] = bodies
  switch (merge) {
    case 'first-ok':
      return Response.json(first, { status: answers[0]?.status ?? 200 })
    case 'stats':
      return Response.json({
        ...sum(bodies),
        node_id: 'edge',
        uptime_seconds: Math.max(...bodies.map((b) => Number(b.uptime_seconds) || 0)),
        rooms: bodies.length,
      })
    case 'info':
      return Response.json({
        ...first,
        node_id: 'edge',
        runtimes: sum(bodies.map((b) => (b.runtimes ?? {}) as Json)),
      })
    case 'volunteers':
      return Response.json(concat(bodies, 'volunteers'))
    case 'deployments':
      return Response.json(concat(bodies, 'deployments'))
    case 'jobs': {
      const limit = Number(url.searchParams.get('limit') ?? '20')
      const offset = Number(url.searchParams.get('offset') ?? '0')
      const jobs = bodies
        .flatMap((b) => (b.jobs ?? []) as { created_at: string }[])
        .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
      const total = bodies.reduce((n, b) => n + (Number(b.total) || 0), 0)
      return Response.json({ jobs: jobs.slice(offset, offset + limit), total, limit, offset })
    }
  }
}

/** Adds up numbers field by field, recursing into objects; other values come from the first. */
function sum(bodies: Json[]): Json {
  const out: Json = {}
  for (const body of bodies) {
    for (const [key, value] of Object.entries(body)) {
      const seen = out[key]
      if (typeof value === 'number') out[key] = (typeof seen === 'number' ? seen : 0) + value
      else if (value && typeof value === 'object' && !Array.isArray(value))
        out[key] = sum([(seen ?? {}) as Json, value as Json])
      else if (!(key in out)) out[key] = value
    }
  }
  return out
}

function concat(bodies: Json[], field: string): Json {
  const items = bodies.flatMap((b) => (b[field] ?? []) as unknown[])
  return { [field]: items, total: items.length }
}
