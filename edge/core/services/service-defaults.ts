/** What a new service gets where its creator left a setting out (registered or uploaded alike). */
import type { ServiceRequirements } from '../../../shared/protocol/system-capabilities'
import type { ServiceInterface } from './service-record'

export const DEFAULT_TIMEOUT_SECONDS = 600

/** The platform and architecture the executable says, where the user left them unset. */
export function withFormat(
  requirements: ServiceRequirements,
  format: { platform: string; architecture: string } | undefined,
): ServiceRequirements {
  if (!format) return requirements
  return {
    ...requirements,
    ...(requirements.platform === undefined && { platform: format.platform }),
    ...(requirements.architectures === undefined &&
      format.architecture !== 'any' && { architectures: [format.architecture] }),
  }
}

export function interfacesOf(
  custom: {
    interface_type: ServiceInterface['interface_type']
    path?: string
    mount_function?: ServiceInterface['mount_function']
    description?: string
  }[],
): ServiceInterface[] {
  return custom.map((i) => ({
    interface_type: i.interface_type,
    path: i.path ?? '',
    mount_function: i.interface_type === 'MOUNT' ? (i.mount_function ?? null) : null,
    description: i.description ?? '',
  }))
}
