import { describe, expect, it } from 'vitest'
import type { SystemCapabilities } from '../../shared/protocol/system-capabilities'
import { formatCapabilities } from './print-capabilities'

describe('formatCapabilities', () => {
  it('prints the fields in the documented order whatever order they were gathered in', () => {
    const system: SystemCapabilities = {
      python_version: '3.11.0',
      has_python: true,
      gpus: [
        { driver_version: '525.60.11', memory_mb: 10240, vendor: 'nvidia', name: 'RTX', index: 0 },
      ],
      has_docker: false,
      available_disk_mb: 256000,
      total_disk_mb: 512000,
      available_memory_mb: 8192,
      total_memory_mb: 16384,
      cpu_threads: 16,
      cpu_cores: 8,
      cpu_model: 'Intel Core i7',
      kernel_version: '5.15.0',
      architecture: 'amd64',
      platform: 'linux',
    }
    expect(formatCapabilities(system)).toBe(`{
  "platform": "linux",
  "architecture": "amd64",
  "kernel_version": "5.15.0",
  "cpu_model": "Intel Core i7",
  "cpu_cores": 8,
  "cpu_threads": 16,
  "total_memory_mb": 16384,
  "available_memory_mb": 8192,
  "total_disk_mb": 512000,
  "available_disk_mb": 256000,
  "gpus": [
    {
      "index": 0,
      "name": "RTX",
      "vendor": "nvidia",
      "memory_mb": 10240,
      "driver_version": "525.60.11"
    }
  ],
  "has_docker": false,
  "has_python": true,
  "python_version": "3.11.0"
}`)
  })

  it('leaves out fields that are not part of the schema', () => {
    const system = { platform: 'linux', gpus: [], secret: 'x' } as unknown as SystemCapabilities
    expect(JSON.parse(formatCapabilities(system))).toEqual({ platform: 'linux', gpus: [] })
  })
})
