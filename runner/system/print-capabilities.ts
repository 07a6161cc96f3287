/** Renders capabilities for `zerverless-runner --print-capabilities`, laid out as the docs show them. */
import { Gpu, SystemCapabilities } from '../../shared/protocol/system-capabilities'

// The schemas list their fields in the documented order; JSON.stringify follows a key list's order
// at every depth, and the two lists share no names.
const FIELD_ORDER = [...Object.keys(SystemCapabilities.shape), ...Object.keys(Gpu.shape)]

/** Two-space JSON in the documented field order; absent optional fields are left out. */
export function formatCapabilities(system: SystemCapabilities): string {
  return JSON.stringify(system, FIELD_ORDER, 2)
}
