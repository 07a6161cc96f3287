/**
 * Peers are strangers: a hostile one (M, a bare libp2p node this test drives frame by frame) gets
 * clear refusals for garbage, results for jobs it was never offered, and jobs it may not send;
 * when it takes our work and lies about it, the job runs elsewhere and its lie is never stored.
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Mesh, MeshStream } from '../../edge/core/federation/mesh'
import { eventually } from '../helpers/eventually'
import { offerFrame, startBareMesh, startMeshNode, type MeshNode } from '../helpers/mesh-cluster'

let a: MeshNode
let c: MeshNode
let m: Mesh
let stopM: () => Promise<void>

beforeAll(async () => {
  // A short lease, so that a silent peer is found out within the test.
  a = await startMeshNode('a', { volunteers: [{ runtimes: ['lua'] }], leaseMs: 2_000 })
  c = await startMeshNode('c', { bootstrap: [a.address], volunteers: [{ runtimes: ['python'] }] })
  // M may send more than C takes (the frame over C's cap must reach C to be refused there).
  ;({ mesh: m, stop: stopM } = await startBareMesh([a.address, c.address], 64 << 20))
  await eventually(() => {
    const peers = m.connected().map((p) => p.peer)
    return peers.includes(a.peerId) && peers.includes(c.peerId)
  }, 30_000)
}, 60_000)

afterAll(async () => {
  await stopM?.()
  await Promise.all([a, c].map((node) => node?.stop()))
})

/** Sends frames on a fresh job stream to `peer` and collects what comes back until it ends. */
async function exchange(peer: string, frames: unknown[]): Promise<unknown[]> {
  const stream = await m.open(peer)
  for (const frame of frames) stream.send(frame)
  const got: unknown[] = []
  for await (const frame of stream.frames()) got.push(frame)
  stream.close()
  return got
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const offer = (code: string, jobId = 'm-job-1') => offerFrame(code, jobId)

describe('frames a peer sends to our job protocol', () => {
  it('refuses garbage, a frame of the wrong shape, and a result for a job never offered', async () => {
    for (const first of [
      'just a string',
      { type: 'nonsense' },
      { type: 'offer', job_id: 'x' },
      {
        type: 'result',
        job_id: 'never-offered',
        attempt: 1,
        result: 1,
        output: '',
        volunteer: 'v',
      },
      { ...offer('1'), job_id: 'x'.repeat(500) },
    ]) {
      const got = await exchange(c.peerId, [first])
      expect(got, JSON.stringify(first).slice(0, 80)).toEqual([
        expect.objectContaining({ type: 'refused', code: 'BAD_FRAME' }),
      ])
    }
  })

  it('ends the stream of a frame over the size cap, and keeps serving', async () => {
    const huge = { ...offer('1'), input_data: { blob: 'x'.repeat(17 << 20) } }
    expect(await exchange(c.peerId, [huge])).toEqual([])
    // C still takes a proper offer afterwards: M is an origin like any other (no allow list).
    const code = '6 * 7'
    const stream = await m.open(c.peerId)
    stream.send(offer(code, 'm-job-2'))
    const got = await answer(stream, code)
    expect(got.at(-1)).toMatchObject({ type: 'result', job_id: 'm-job-2', result: 42 })
  }, 60_000)

  it('takes the next offer on the same stream once a job ended', async () => {
    const stream = await m.open(c.peerId)
    const frames = stream.frames()[Symbol.asyncIterator]()
    for (const [jobId, code, result] of [
      ['m-job-3', '2 * 3', 6],
      ['m-job-4', '3 * 3', 9],
    ] as const) {
      stream.send(offer(code, jobId))
      let frame: Record<string, unknown> = {}
      while (frame.type !== 'result') {
        frame = (await frames.next()).value as Record<string, unknown>
        if (frame.type === 'need_code') stream.send({ type: 'code', hash: sha256(code), code })
        expect(frame.type).not.toBe('refused')
      }
      expect(frame).toMatchObject({ job_id: jobId, result })
    }
    stream.close()
    expect((await frames.next()).done).toBe(true)
  }, 60_000)
})

/**
 * Plays the origin: hands over the code when asked, collects frames until the job's end (the peer
 * keeps the stream open for a next offer, so the origin closes it).
 */
async function answer(stream: MeshStream, code: string): Promise<Record<string, unknown>[]> {
  const got: Record<string, unknown>[] = []
  for await (const raw of stream.frames()) {
    const frame = raw as Record<string, unknown>
    got.push(frame)
    if (frame.type === 'need_code') stream.send({ type: 'code', hash: sha256(code), code })
    if (frame.type === 'result' || frame.type === 'error') break
  }
  stream.close()
  return got
}

/** The job frames a fake executor gets; it answers each offer with `onOffer`. */
type OnOffer = (stream: MeshStream, offer: { job_id: string; attempt: number }) => void

/**
 * Another bare node that says it has a thousand idle Python volunteers (A's best peer by far) and
 * treats each offer with `onOffer`; resolves once A would send it work.
 */
async function fakeExecutor(
  onOffer: OnOffer,
): Promise<{ mesh: Mesh; offers: string[]; stop(): Promise<void> }> {
  const { mesh, stop } = await startBareMesh([a.address])
  const offers: string[] = []
  mesh.onStream((stream) => {
    void (async () => {
      for await (const raw of stream.frames()) {
        const frame = raw as { type: string; job_id: string; attempt: number }
        if (frame.type !== 'offer') continue
        offers.push(frame.job_id)
        onOffer(stream, frame)
      }
    })()
  })
  const stats = {
    type: 'stats',
    volunteers: { connected: 1000, idle: 1000 },
    pending_jobs: 0,
    load: 0,
    runtimes: ['python'],
    slots: 1000,
    native: [],
  }
  const announcing = setInterval(() => mesh.announce(stats), 200)
  await eventually(async () => {
    const peers = (await a.client.get('/api/federation/peers')).body.peers
    const fake = peers.find((p: { id: string }) => p.id === mesh.self)
    const honest = peers.find((p: { id: string }) => p.id === c.peerId)
    return fake?.takes_our_work && honest?.takes_our_work
  }, 30_000)
  return {
    mesh,
    offers,
    stop: async () => {
      clearInterval(announcing)
      await stop()
    },
  }
}

/** Submits a Python job to A and waits for its end. */
async function runAtA(code: string, extra: Record<string, unknown> = {}) {
  const job = await a.client.post('/api/jobs', {
    job_type: 'python',
    namespace: 'alice',
    code,
    ...extra,
  })
  return {
    id: job.body.id as string,
    done: (await a.client.get(`/api/jobs/${job.body.id}?wait=60`)).body,
  }
}

/**
 * A fake executor that treats each offer with `onOffer` gets A's job first (it looks best by far);
 * the job must then complete on C with `attempts`, the fake's answer never stored.
 */
async function completesElsewhere(
  onOffer: OnOffer,
  result: string,
  attempts: number,
  extra: Record<string, unknown> = {},
) {
  const fake = await fakeExecutor(onOffer)
  try {
    const { id, done } = await runAtA(JSON.stringify(result), extra)
    expect(fake.offers).toContain(id)
    expect(done).toMatchObject({
      status: 'completed',
      result,
      attempts,
      executed_by: { orchestrator: c.peerId },
    })
  } finally {
    await fake.stop()
  }
}

describe('a peer that takes our work and then fails us', () => {
  it('is dropped at its first lie; the job runs elsewhere and its answer is never stored', async () => {
    const lie: OnOffer = (stream, offer) =>
      stream.send({
        type: 'result',
        job_id: `${offer.job_id}-not-this-one`,
        attempt: offer.attempt,
        result: 'forged',
        output: '',
        volunteer: 'liar',
      })
    await completesElsewhere(lie, 'honest', 2)
  }, 90_000)

  it('refuses it outright: the job goes elsewhere without spending a retry', async () => {
    const refuse: OnOffer = (stream, offer) =>
      stream.send({ type: 'refused', job_id: offer.job_id, code: 'TOO_MANY', message: 'busy' })
    await completesElsewhere(refuse, 'elsewhere', 1, { max_retries: 0 })
  }, 90_000)

  it('loses the lease when it goes silent; the job runs elsewhere', async () => {
    await completesElsewhere(() => undefined, 'not silent', 2)
  }, 90_000)
})
