import { describe, expect, it } from 'vitest'
import type { Announcement } from '../../../shared/protocol/federation'
import { forwardedNamespace } from './forwarded-namespace'
import { PeerSite } from './peer-site'

const announcement = (over: Partial<Announcement> = {}): Announcement => ({
  type: 'stats',
  volunteers: { connected: 2, idle: 2 },
  pending_jobs: 0,
  load: 0,
  runtimes: ['js', 'python'],
  slots: 2,
  native: [],
  ...over,
})

function site(rules: { here?: string[]; fitsHere?: boolean } = {}, now = 1_000) {
  const peer = new PeerSite(
    'peer-a',
    {
      forwardable: (runtime) => !(rules.here ?? []).includes(runtime),
      fitsHere: () => rules.fitsHere ?? false,
    },
    () => now,
  )
  peer.announcement = announcement()
  peer.accepts = true
  return peer
}

describe('a peer orchestrator as a site', () => {
  it('takes what it runs and we let go, never work forwarded to us or work for trusted executors', () => {
    const peer = site({ here: ['js'] })
    expect(peer.fits({ runtime: 'python', namespace: 'alice' })).toBe(true)
    expect(peer.fits({ runtime: 'js', namespace: 'alice' })).toBe(false)
    expect(peer.fits({ runtime: 'lua', namespace: 'alice' })).toBe(false)
    expect(peer.fits({ runtime: 'python', namespace: forwardedNamespace('peer-b') })).toBe(false)
    expect(peer.fits({ runtime: 'python', namespace: 'alice', executor: 'trusted' })).toBe(false)
    // Work that declares secrets never leaves for a peer: its values would be in the offer.
    expect(peer.fits({ runtime: 'python', namespace: 'alice', secrets: true })).toBe(false)
    expect(peer.capabilities?.runtimes).toEqual(['python'])
  })

  it('has no room until it announced and accepts our work, and none while held', () => {
    const peer = site()
    expect(peer.room).toBe(16)
    peer.accepts = false
    expect(peer.room).toBe(0)
    peer.accepts = true
    peer.heldUntil = 2_000
    expect(peer.room).toBe(0)
    const fresh = new PeerSite('peer-b', { forwardable: () => true, fitsHere: () => false })
    expect(fresh.room).toBe(0)
    expect(fresh.capabilities).toBeUndefined()
  })

  it('lets a job queued behind ours there wait a round per slot before its deadline starts', () => {
    const peer = site()
    expect(peer.queueWait()).toBe(0)
    peer.running.set('a', 30_000)
    expect(peer.queueWait()).toBe(0)
    peer.running.set('b', 60_000)
    expect(peer.queueWait()).toBe(60_000)
    peer.running.set('c', 10_000)
    peer.running.set('d', 10_000)
    expect(peer.queueWait()).toBe(120_000)
  })

  it('takes a portable native run that a runner of its fits and none here does', () => {
    const withGpu = (peer: PeerSite) => {
      peer.announcement = gpuAnnouncement
      return peer
    }
    const gpuAnnouncement = announcement({
      native: [
        {
          platform: 'linux',
          architecture: 'amd64',
          memory_mb: 16_384,
          disk_mb: 100_000,
          cpu_cores: 8,
          gpus: [{ vendor: 'nvidia', memory_mb: 24_576 }],
        },
      ],
    })
    const peer = withGpu(site())
    const run = (over: Record<string, unknown> = {}) => ({
      runtime: 'native' as const,
      namespace: 'alice',
      native: { peerId: null, requirements: { requires_gpu: true }, portable: true, ...over },
    })
    expect(peer.capabilities?.runtimes).toContain('native')
    expect(peer.fits(run())).toBe(true)
    expect(peer.fits(run({ portable: false }))).toBe(false)
    expect(peer.fits(run({ peerId: 'runner-1' }))).toBe(false)
    expect(peer.fits(run({ requirements: { requires_gpu: true, gpu_vendor: 'amd' } }))).toBe(false)
    expect(peer.fits(run({ requirements: { min_memory_mb: 32_768 } }))).toBe(false)
    expect(withGpu(site({ fitsHere: true })).fits(run())).toBe(false)
  })
})
