/** Reading what a volunteer's frame was about when the frame itself is not valid. */

/** Which attempt of which job a report is about. */
export interface JobRef {
  job_id: string
  attempt: number
}

/** The job a frame is about, read leniently from a frame that failed validation. */
export function jobRef(text: string): JobRef | undefined {
  try {
    const data = JSON.parse(text) as { type?: unknown; job_id?: unknown; attempt?: unknown }
    if (
      (data.type === 'result' || data.type === 'error') &&
      typeof data.job_id === 'string' &&
      typeof data.attempt === 'number'
    ) {
      return { job_id: data.job_id, attempt: data.attempt }
    }
  } catch {
    // Not JSON: nothing to salvage.
  }
  return undefined
}
