/**
 * How the answers of several rooms become the one answer a single orchestrator gives: knowledge of
 * the API (which fields add up, which lists concatenate, how a listing pages), so it lives beside
 * the routes that declare it, for any host with more than one room.
 */
import { EXPOSITION_CONTENT_TYPE } from '../observability/exposition'
import { mergeMetrics } from './combine-metrics'

/** One answer from every room's. */
export interface Combine {
  /** What each room is asked, when it differs from what the caller asked (a page of a listing). */
  ask?(url: URL): URL
  /** `answers[i]` is room i's; a refusal (a bad query, say) is the same in every room. */
  merge(answers: readonly Response[], url: URL): Promise<Response>
}

type Json = Record<string, unknown>

/** Every room's answer was a success: `merge` combines them; otherwise the first refusal stands. */
const unlessRefused =
  (merge: (answers: readonly Response[], url: URL) => Promise<Response>) =>
  async (answers: readonly Response[], url: URL): Promise<Response> =>
    answers.find((a) => !a.ok) ?? merge(answers, url)

const bodiesOf = async (answers: readonly Response[]) =>
  (await Promise.all(answers.map((a) => a.json()))) as Json[]

/** `/stats`: counts added up, the longest uptime, and how many rooms there are. */
export const combineStats: Combine = {
  merge: unlessRefused(async (answers) => {
    const bodies = await bodiesOf(answers)
    return Response.json({
      ...sum(bodies),
      node_id: 'edge',
      uptime_seconds: Math.max(...bodies.map((b) => Number(b.uptime_seconds) || 0)),
      rooms: bodies.length,
    })
  }),
}

/** `/info`: the first room's, with the runtimes on offer added up. */
export const combineInfo: Combine = {
  merge: unlessRefused(async (answers) => {
    const bodies = await bodiesOf(answers)
    return Response.json({
      ...bodies[0],
      node_id: 'edge',
      runtimes: sum(bodies.map((b) => (b.runtimes ?? {}) as Json)),
    })
  }),
}

/** A listing `{<field>: [...], total}`: every room's items, one after another. */
export const combineList = (field: string): Combine => ({
  merge: unlessRefused(async (answers) => {
    const items = (await bodiesOf(answers)).flatMap((b) => (b[field] ?? []) as unknown[])
    return Response.json({ [field]: items, total: items.length })
  }),
})

/**
 * `GET /api/jobs`: each room is asked for its first offset+limit jobs (at most 1,000), and the
 * page is cut from all of them, newest first.
 */
export const combineJobs: Combine = {
  ask: (url) => {
    const asked = new URL(url)
    const { limit, offset } = page(url)
    if (Number.isSafeInteger(limit) && Number.isSafeInteger(offset) && limit > 0 && offset >= 0) {
      asked.searchParams.set('limit', String(Math.min(1000, offset + limit)))
      asked.searchParams.set('offset', '0')
    }
    return asked
  },
  merge: unlessRefused(async (answers, url) => {
    const bodies = await bodiesOf(answers)
    const { limit, offset } = page(url)
    // Newest first, or with `order=input` oldest first (a batch's, by index: one room holds them).
    const oldestFirst = url.searchParams.get('order') === 'input' ? -1 : 1
    const jobs = bodies
      .flatMap((b) => (b.jobs ?? []) as { created_at: string; index?: number | null }[])
      .sort(
        (a, b) =>
          oldestFirst *
          (a.created_at < b.created_at
            ? 1
            : a.created_at > b.created_at
              ? -1
              : (b.index ?? 0) - (a.index ?? 0)),
      )
    const total = bodies.reduce((n, b) => n + (Number(b.total) || 0), 0)
    return Response.json({ jobs: jobs.slice(offset, offset + limit), total, limit, offset })
  }),
}

/** `GET /metrics`: every room's samples, labelled with its number (combine-metrics.ts). */
export const combineMetrics: Combine = {
  merge: unlessRefused(async (answers) => {
    const texts = await Promise.all(answers.map((a) => a.text()))
    return new Response(mergeMetrics(texts), {
      headers: { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' },
    })
  }),
}

/** A write every room makes alike (a module stored in each): the first room's answer. */
export const firstAnswer: Combine = {
  merge: unlessRefused(async (answers) => {
    const [first] = await bodiesOf(answers)
    return Response.json(first ?? {}, { status: answers[0]?.status ?? 200 })
  }),
}

const page = (url: URL) => ({
  limit: Number(url.searchParams.get('limit') ?? '20'),
  offset: Number(url.searchParams.get('offset') ?? '0'),
})

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
