/** The Node host's libp2p mesh with real nodes on 127.0.0.1: identity, discovery, streams, trust. */
import { statSync } from 'node:fs'
import * as lp from 'it-length-prefixed'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import type { Mesh, MeshStream } from '../../edge/core/federation/mesh'
import {
  createLibp2pMesh,
  JOB_PROTOCOL,
  type Libp2pMeshOptions,
} from '../../edge/node/federation/libp2p-mesh'
import {
  createLibp2pNode,
  startLibp2pNode,
  type Libp2pNode,
} from '../../edge/node/federation/libp2p-node'
import { peerBans } from '../../edge/node/federation/peer-bans'
import { peerKeyPath } from '../../edge/node/federation/peer-key'
import { generateSwarmKey } from '../../edge/node/federation/swarm-key'
import { eventually } from '../helpers/eventually'
import { removeDir, tempDir } from '../helpers/temp-dir'

const MAX_FRAME = 16 * 1024
const running: Array<{ stop(): Promise<void> | void }> = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  for (const dir of dirs.splice(0)) removeDir(dir)
})

async function startMesh(options: Partial<Libp2pMeshOptions> = {}): Promise<Mesh> {
  const dataDir = options.dataDir ?? tempDir('zv-mesh-')
  if (!options.dataDir) dirs.push(dataDir)
  const mesh = await createLibp2pMesh({
    port: 0,
    bootstrap: [],
    maxFrameBytes: MAX_FRAME,
    ...options,
    dataDir,
  })
  running.push(mesh)
  return mesh
}

/** A bare libp2p node, for writing bytes no mesh would send. */
async function startRawNode(swarmKey?: Uint8Array): Promise<Libp2pNode> {
  const node = await createLibp2pNode({
    privateKey: await generateKeyPair('Ed25519'),
    host: '127.0.0.1',
    port: 0,
    bootstrap: [],
    swarmKey,
    gater: peerBans().gater,
  })
  await startLibp2pNode(node)
  running.push(node)
  return node
}

const isConnected = (mesh: Mesh, peer: string) => mesh.connected().some((p) => p.peer === peer)

/** Collects a stream's frames until it ends. */
function collect(stream: MeshStream): { frames: unknown[]; ended: Promise<void> } {
  const frames: unknown[] = []
  const ended = (async () => {
    for await (const frame of stream.frames()) frames.push(frame)
  })()
  return { frames, ended }
}

/** Streams the mesh receives, in order. */
function inbox(mesh: Mesh): MeshStream[] {
  const streams: MeshStream[] = []
  mesh.onStream((stream) => streams.push(stream))
  return streams
}

describe('libp2p mesh', () => {
  it('keeps its peer id across restarts on the same data directory', async () => {
    const dataDir = tempDir('zv-mesh-')
    dirs.push(dataDir)
    const first = await startMesh({ dataDir })
    const id = first.self
    expect(first.addresses().every((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true)
    expect(first.addresses().every((a) => a.endsWith(`/p2p/${id}`))).toBe(true)
    await first.stop()
    expect(statSync(peerKeyPath(dataDir)).mode & 0o777).toBe(0o600)
    const second = await startMesh({ dataDir })
    expect(second.self).toBe(id)
  })

  it('fails to start on a port already taken', async () => {
    const first = await startMesh()
    const port = Number(/\/tcp\/(\d+)\//.exec(first.addresses()[0]!)![1])
    await expect(startMesh({ port })).rejects.toThrow()
  })

  it('finds a peer through the DHT that only the bootstrap peer knew', async () => {
    const b = await startMesh()
    const a = await startMesh({ bootstrap: b.addresses() })
    const c = await startMesh({ bootstrap: b.addresses() })
    const seen: string[] = []
    a.onPeer((event) => event.status === 'connected' && seen.push(event.peer))
    await eventually(() => isConnected(a, c.self), 30_000, 'A to connect to C')
    expect(isConnected(a, b.self)).toBe(true)
    expect(a.connected().find((p) => p.peer === c.self)?.addresses).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`/p2p/${c.self}$`))]),
    )
  })

  it('dials a multiaddr and tells both sides a peer connected and left', async () => {
    const a = await startMesh()
    const b = await startMesh()
    const events: string[] = []
    b.onPeer((event) => events.push(`${event.status} ${event.peer}`))
    expect(await a.dial(b.addresses()[0]!)).toBe(b.self)
    await eventually(() => events.includes(`connected ${a.self}`), 10_000, 'B to see A')
    await a.stop()
    await eventually(() => events.includes(`disconnected ${a.self}`), 10_000, 'B to see A leave')
    expect(b.connected()).toEqual([])
  })

  it('carries job frames both ways on one stream and ends it when either side closes', async () => {
    const a = await startMesh()
    const b = await startMesh()
    const received = inbox(b)
    await a.dial(b.addresses()[0]!)
    const stream = await a.open(b.self)
    expect(stream.peer).toBe(b.self)
    const fromB = collect(stream)
    expect(stream.send({ type: 'offer', job: 'j1', code: 'return 1' })).toBe(true)

    const atB = await eventually(() => received[0], 10_000, 'B to get the stream')
    expect(atB.peer).toBe(a.self)
    const fromA = atB.frames()[Symbol.asyncIterator]()
    expect((await fromA.next()).value).toEqual({ type: 'offer', job: 'j1', code: 'return 1' })
    expect(atB.send({ type: 'accept', job: 'j1' })).toBe(true)
    expect(atB.send({ type: 'result', job: 'j1', result: [1, 'two', null] })).toBe(true)
    atB.close()
    await fromB.ended
    expect(fromB.frames).toEqual([
      { type: 'accept', job: 'j1' },
      { type: 'result', job: 'j1', result: [1, 'two', null] },
    ])
    stream.close()
    expect((await fromA.next()).done).toBe(true)
    await eventually(() => !stream.send({ late: true }), 10_000, 'send to report the closed stream')
  })

  it('frees a stream once both sides close it, so leases can outnumber the open-stream cap', async () => {
    const a = await startMesh()
    const b = await startMesh()
    // The pattern a lease follows: answer, then close once the other side has finished.
    b.onStream(async (stream) => {
      for await (const frame of stream.frames()) stream.send(frame)
      stream.close()
    })
    await a.dial(b.addresses()[0]!)
    for (let i = 0; i < 300; i++) {
      const stream = await a.open(b.self)
      const replies = stream.frames()[Symbol.asyncIterator]()
      stream.send({ lease: i })
      expect((await replies.next()).value).toEqual({ lease: i })
      stream.close()
      expect((await replies.next()).done).toBe(true)
    }
  })

  it('delivers an announcement to every connected peer', async () => {
    const hub = await startMesh()
    const others = [await startMesh(), await startMesh()]
    const got = others.map(() => [] as Array<[string, unknown]>)
    others.forEach((mesh, i) => mesh.onAnnouncement((peer, value) => got[i]!.push([peer, value])))
    for (const mesh of others) await hub.dial(mesh.addresses()[0]!)
    await eventually(() => others.every((m) => isConnected(hub, m.self)), 10_000, 'connections')
    hub.announce({ volunteers: { connected: 3, idle: 1 }, runtimes: ['lua', 'python'] })
    for (const list of got) {
      await eventually(() => list.length > 0, 10_000, 'the announcement')
      expect(list[0]).toEqual([
        hub.self,
        { volunteers: { connected: 3, idle: 1 }, runtimes: ['lua', 'python'] },
      ])
    }
  })

  it('ends a stream that sends a frame over the cap or bytes that are not JSON, and keeps serving', async () => {
    const target = await startMesh()
    const received = inbox(target)
    const raw = await startRawNode()
    const address = multiaddr(target.addresses()[0]!)

    const huge = await raw.dialProtocol(address, JOB_PROTOCOL)
    huge.send(lp.encode.single(new Uint8Array(MAX_FRAME + 1).fill(0x20)))
    const garbage = await raw.dialProtocol(address, JOB_PROTOCOL)
    garbage.send(lp.encode.single(new TextEncoder().encode('{"not json')))
    const binary = await raw.dialProtocol(address, JOB_PROTOCOL)
    binary.send(lp.encode.single(new Uint8Array([0xff, 0xfe, 0x00])))

    await eventually(() => received.length === 3, 10_000, 'three streams')
    for (const stream of received) {
      const { frames, ended } = collect(stream)
      await ended
      expect(frames).toEqual([])
    }
    for (const stream of [huge, garbage, binary]) {
      await eventually(() => stream.status !== 'open', 10_000, 'the sender to see a reset')
    }

    // The node still takes well-formed work from the same peer and from others.
    const good = await raw.dialProtocol(address, JOB_PROTOCOL)
    good.send(lp.encode.single(new TextEncoder().encode('{"ok":true}')))
    const other = await startMesh()
    await other.dial(target.addresses()[0]!)
    const fromOther = await other.open(target.self)
    fromOther.send({ ok: 'other' })
    await eventually(() => received.length === 5, 10_000, 'two more streams')
    const firsts = await Promise.all(
      received.slice(3).map(async (s) => (await s.frames()[Symbol.asyncIterator]().next()).value),
    )
    expect(firsts).toEqual(expect.arrayContaining([{ ok: true }, { ok: 'other' }]))
  })

  it('refuses a frame over the cap when sending, without throwing', async () => {
    const a = await startMesh()
    const b = await startMesh()
    inbox(b)
    await a.dial(b.addresses()[0]!)
    const stream = await a.open(b.self)
    expect(stream.send({ blob: 'x'.repeat(MAX_FRAME) })).toBe(false)
    expect(stream.send({ small: 1 })).toBe(false)
  })

  it('gives up a stream whose peer stops reading instead of queueing without end', async () => {
    const a = await startMesh()
    const b = await startMesh()
    const received = inbox(b)
    await a.dial(b.addresses()[0]!)
    const stream = await a.open(b.self)
    const frame = { fill: 'x'.repeat(MAX_FRAME - 64) }
    // B takes the stream and never reads it: once its window is spent, A's queue fills up.
    let sent = 0
    while (stream.send(frame) && sent < 10_000) {
      sent++
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(sent).toBeLessThan(10_000)
    expect(received).toHaveLength(1)

    // Both nodes go on serving.
    const next = await a.open(b.self)
    expect(next.send({ still: 'here' })).toBe(true)
    await eventually(() => received[1], 10_000, 'the next stream')
    expect((await received[1]!.frames()[Symbol.asyncIterator]().next()).value).toEqual({
      still: 'here',
    })
  })

  it('survives a stream handler that throws, refusing only that stream', async () => {
    const a = await startMesh()
    const b = await startMesh()
    const received: MeshStream[] = []
    b.onStream((stream) => {
      received.push(stream)
      if (received.length === 1) throw new Error('a bug in the core')
    })
    await a.dial(b.addresses()[0]!)
    const firstStream = await a.open(b.self)
    const first = collect(firstStream)
    await eventually(() => received[0], 10_000, 'the first stream')
    await first.ended
    const second = await a.open(b.self)
    second.send({ n: 2 })
    await eventually(() => received[1], 10_000, 'the second stream')
    expect((await received[1]!.frames()[Symbol.asyncIterator]().next()).value).toEqual({ n: 2 })
  })

  it('lets only nodes with the same swarm key connect', async () => {
    const key = generateSwarmKey()
    const guarded = await startMesh({ swarmKey: key })
    const address = guarded.addresses()[0]!

    const open = await startMesh()
    await expect(open.dial(address)).rejects.toThrow()
    const otherKey = await startMesh({ swarmKey: generateSwarmKey() })
    await expect(otherKey.dial(address)).rejects.toThrow()
    expect(guarded.connected()).toEqual([])

    const member = await startMesh({ swarmKey: key })
    expect(await member.dial(address)).toBe(guarded.self)
    await eventually(() => isConnected(guarded, member.self), 10_000, 'the member to connect')
  })

  it('hangs up on a banned peer and refuses it from then on', async () => {
    const a = await startMesh()
    const b = await startMesh()
    await b.dial(a.addresses()[0]!)
    await eventually(() => isConnected(a, b.self), 10_000, 'B to connect')

    await a.ban(b.self)
    await eventually(() => !isConnected(a, b.self) && !isConnected(b, a.self), 10_000, 'hang-up')
    const seenByA: string[] = []
    a.onPeer((event) => seenByA.push(`${event.status} ${event.peer}`))

    // B's side of a handshake may complete before A learns who it is and hangs up, so B's dial
    // can resolve: what matters is that A never takes B and B is left with no connection.
    await b.dial(a.addresses()[0]!).catch(() => undefined)
    await expect(b.open(a.self)).rejects.toThrow()
    await expect(a.dial(b.addresses()[0]!)).rejects.toThrow()
    await expect(a.open(b.self)).rejects.toThrow()
    await eventually(() => !isConnected(b, a.self), 10_000, 'B to be hung up on again')
    expect(isConnected(a, b.self)).toBe(false)
    expect(seenByA).toEqual([])
  })
})
