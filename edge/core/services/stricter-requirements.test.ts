// A run's requirements over its service's: the stricter of each, and conflicts refused.
import { describe, expect, it } from 'vitest'
import { stricterRequirements } from './stricter-requirements'

describe('stricterRequirements', () => {
  it('keeps the larger minimum, any GPU requirement, and the narrower platform', () => {
    expect(
      stricterRequirements(
        {
          platform: 'linux',
          min_memory_mb: 512,
          min_cpu_cores: 4,
          architectures: ['amd64', 'arm64'],
        },
        {
          platform: 'any',
          min_memory_mb: 2048,
          min_cpu_cores: 1,
          requires_gpu: true,
          architectures: ['arm64'],
        },
      ),
    ).toEqual({
      platform: 'linux',
      min_memory_mb: 2048,
      min_cpu_cores: 4,
      requires_gpu: true,
      architectures: ['arm64'],
    })
    expect(stricterRequirements({}, { platform: 'darwin', gpu_vendor: 'nvidia' })).toEqual({
      platform: 'darwin',
      gpu_vendor: 'nvidia',
    })
    expect(stricterRequirements({ architectures: ['any'] }, { architectures: ['arm'] })).toEqual({
      architectures: ['arm'],
    })
  })

  it('refuses what no runner could meet, naming requirements', () => {
    for (const [service, run] of [
      [{ platform: 'linux' }, { platform: 'darwin' }],
      [{ architectures: ['amd64'] }, { architectures: ['arm64'] }],
      [{ gpu_vendor: 'amd' }, { gpu_vendor: 'nvidia' }],
    ])
      expect(() => stricterRequirements(service, run)).toThrow(
        expect.objectContaining({ status: 400, extra: { field: 'requirements' } }),
      )
  })
})
