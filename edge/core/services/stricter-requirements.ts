/**
 * A run's own `requirements` merged over its service's `capabilities`: the stricter of each wins,
 * so a run can narrow where it goes (more memory, a GPU) but never loosen what the service needs.
 */
import type { ServiceRequirements } from '../../../shared/protocol/system-capabilities'
import { HttpError } from '../http-error'

const anything = (value: string | undefined) =>
  value === undefined || value === '' || value === 'any'

/**
 * Both sets of requirements at once. Two different platforms (or GPU vendors), or architecture
 * lists with none in common, can never be met together: 400 naming `requirements`.
 */
export function stricterRequirements(
  service: ServiceRequirements,
  run: ServiceRequirements,
): ServiceRequirements {
  const merged: ServiceRequirements = { ...service }
  const platform = oneOf('platform', service.platform, run.platform)
  if (platform !== undefined) merged.platform = platform
  const architectures = bothLists(service.architectures, run.architectures)
  if (architectures !== undefined) merged.architectures = architectures
  for (const key of [
    'min_memory_mb',
    'min_cpu_cores',
    'min_disk_mb',
    'min_gpu_memory_mb',
  ] as const) {
    const values = [service[key], run[key]].filter((v) => v !== undefined)
    if (values.length > 0) merged[key] = Math.max(...values)
  }
  if (service.requires_gpu !== undefined || run.requires_gpu !== undefined)
    merged.requires_gpu = (service.requires_gpu ?? false) || (run.requires_gpu ?? false)
  const vendor = oneOf('gpu_vendor', service.gpu_vendor, run.gpu_vendor)
  if (vendor !== undefined) merged.gpu_vendor = vendor
  return merged
}

function oneOf(field: string, service?: string, run?: string): string | undefined {
  if (anything(run)) return service
  if (anything(service) || service === run) return run
  throw conflict(`requirements.${field} '${run}' conflicts with the service's '${service}'`)
}

function bothLists(service?: string[], run?: string[]): string[] | undefined {
  const open = (list?: string[]) => !list || list.length === 0 || list.includes('any')
  if (open(run)) return service
  if (open(service)) return run
  const common = (run ?? []).filter((a) => service?.includes(a))
  if (common.length === 0)
    throw conflict(
      `requirements.architectures [${run?.join(', ')}] has none of the service's [${service?.join(', ')}]`,
    )
  return common
}

const conflict = (message: string) =>
  new HttpError(400, 'INVALID_REQUEST', message, { field: 'requirements' })
