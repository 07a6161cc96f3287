/**
 * A native run no runner at the origin fits: an uploaded service that requires a GPU, submitted to
 * A (whose only runner has none), runs on B's runner (which has one: a fake `nvidia-smi` on its
 * PATH), its files fetched from A by sha256; its outputs come back and are listed at A.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import { startMeshNode, type MeshNode } from '../helpers/mesh-cluster'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { removeDir, tempDir } from '../helpers/temp-dir'
import { UploadClient, uploadFile } from '../helpers/upload-client'

let a: MeshNode
let b: MeshNode
let plainRunner: RunnerProcess
let gpuRunner: RunnerProcess
const fakes = tempDir('zv-fake-gpu-')

beforeAll(async () => {
  a = await startMeshNode('a')
  b = await startMeshNode('b', { bootstrap: [a.address] })
  mkdirSync(fakes, { recursive: true })
  const smi = path.join(fakes, 'nvidia-smi')
  writeFileSync(smi, '#!/bin/sh\necho "0, Fake Tensor 9000, 24576, GPU-fake-0001, 550.54"\n')
  chmodSync(smi, 0o755)
  const allow = ['--no-sandbox', '--allow-path', 'services']
  plainRunner = await startRunner(a.server.url, allow)
  gpuRunner = await startRunner(b.server.url, allow, {
    env: { PATH: `${fakes}:${process.env.PATH ?? ''}` },
  })
}, 60_000)

afterAll(async () => {
  await Promise.all([stopRunner(plainRunner), stopRunner(gpuRunner)])
  await Promise.all([a, b].map((node) => node?.stop()))
  removeDir(fakes)
})

const settings = {
  capabilities: { requires_gpu: true },
  custom_interfaces: [{ interface_type: 'MOUNT', path: '/data/out', mount_function: 'OUTPUT' }],
}

async function uploadGpuService(): Promise<number> {
  const socket = await UploadClient.open(a.server.url)
  try {
    const group = { group: 'gpu-group', serviceName: 'render', totalFiles: 2 }
    await uploadFile(socket, {
      ...group,
      filePath: 'scene.txt',
      bytes: Buffer.from('a teapot\n'),
      chunkSize: 1024,
      fileIndex: 0,
      service: settings,
    })
    await uploadFile(socket, {
      ...group,
      filePath: 'render.sh',
      bytes: Buffer.from(
        [
          '#!/bin/sh',
          'here="$(dirname "$0")"',
          'echo "rendering $(cat "$here/scene.txt") with $1"',
          'cat > "$ZV_OUTPUT_DIR/frame.txt"',
        ].join('\n'),
      ),
      chunkSize: 1024,
      fileIndex: 1,
      executable: true,
      service: settings,
    })
    return (await socket.expect('FILE_UPLOAD_COMPLETE')).service_id
  } finally {
    await socket.close()
  }
}

describe('a GPU run no runner here fits', () => {
  it('runs on a peer’s runner that has a GPU, and its outputs are listed here', async () => {
    await eventually(async () => {
      const peers = (await a.client.get('/api/federation/peers')).body.peers
      const found = peers.find((p: { id: string }) => p.id === b.peerId)
      return found?.native?.[0]?.gpus?.length === 1 ? found : undefined
    }, 30_000)
    const id = await uploadGpuService()
    const started = await a.client.post(`/api/services/standalone/${id}/run`, {
      arguments: ['ray tracing'],
      stdin: 'pixels',
    })
    expect(started.status, JSON.stringify(started.body)).toBe(202)
    const done = await a.client.get(`/api/jobs/${started.body.job.id}?wait=60`)
    expect(done.body, JSON.stringify(done.body)).toMatchObject({
      status: 'completed',
      exit_code: 0,
      executed_by: { orchestrator: b.peerId },
    })
    expect(done.body.output).toContain('rendering a teapot with ray tracing')
    const names = done.body.outputs.map((o: { name: string }) => o.name)
    expect(names).toEqual(expect.arrayContaining(['mounts/data/out/frame.txt', 'stdout.txt']))
    const url = `${a.server.url}/api/jobs/${started.body.job.id}/outputs`
    expect(await (await fetch(`${url}/mounts/data/out/frame.txt`)).text()).toBe('pixels')
    expect(await (await fetch(`${url}/stdout.txt`)).text()).toContain('rendering a teapot')
  }, 120_000)

  it('is refused at once when no runner here or on a peer fits', async () => {
    const id = await uploadGpuService().catch(() => undefined)
    const services = (await a.client.get('/api/services/standalone')).body.services
    const render = services.find((s: { name: string }) => s.name === 'render')
    const res = await a.client.post(`/api/services/standalone/${id ?? render.id}/run`, {
      requirements: { min_gpu_memory_mb: 1_000_000 },
    })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('NO_COMPATIBLE_RUNNER')
  })
})
