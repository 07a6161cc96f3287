/**
 * What a run takes in, as its job keeps it privately (RunInputs): inline stdin and files, and
 * references to earlier jobs' outputs resolved to what the runner fetches and checks.
 */
import { MAX_INPUT_REFS, type InputRef } from '../../../shared/protocol/frames'
import { HttpError } from '../http-error'
import type { RunInputs } from './native-service-jobs'
import { outputRef, outputRefsUnder, type OutputSource } from './output-refs'
import type { ServiceRecord } from './service-record'
import type { RunBody } from './service-schemas'

/** The run's inputs for `service`, its references checked against `namespace`'s jobs. */
export function runInputs(service: ServiceRecord, body: RunBody, source: OutputSource): RunInputs {
  const inline: RunInputs['input_files'] = []
  const refs: InputRef[] = []
  ;(body.input_files ?? []).forEach((file, i) => {
    const mount = inputMount(service, file.mount)
    const field = `input_files.${i}`
    if ('data' in file) inline.push({ mount, name: file.name, data: file.data })
    else if ('outputs' in file)
      for (const { below, ...ref } of outputRefsUnder(
        source,
        service.namespace,
        { job: file.from_job, prefix: file.outputs },
        { job: `${field}.from_job`, outputs: `${field}.outputs` },
      ))
        refs.push({ ...ref, mount, name: below })
    else {
      const ref = outputRef(
        source,
        service.namespace,
        { job: file.from_job, output: file.output },
        { job: `${field}.from_job`, output: `${field}.output` },
      )
      refs.push({ ...ref, mount, name: file.name ?? lastSegment(ref.output) })
    }
  })
  if (refs.length > MAX_INPUT_REFS)
    throw new HttpError(
      400,
      'INVALID_REQUEST',
      `the run takes ${refs.length} files from other jobs' outputs; at most ${MAX_INPUT_REFS}`,
      { field: 'input_files' },
    )
  checkDistinct([...inline, ...refs])
  const stdin = body.stdin_from
    ? outputRef(source, service.namespace, body.stdin_from, {
        job: 'stdin_from.job',
        output: 'stdin_from.output',
      })
    : undefined
  return {
    ...(body.stdin !== undefined && { stdin: body.stdin }),
    input_files: inline,
    ...(refs.length > 0 && { input_refs: refs }),
    ...(stdin && { stdin_ref: stdin }),
  }
}

/** The INPUT mount a run's file goes to: the one named, or the service's first. */
function inputMount(service: ServiceRecord, wanted: string | undefined): string {
  const mounts = service.interfaces.filter(
    (i) =>
      i.interface_type === 'MOUNT' && (i.mount_function === 'INPUT' || i.mount_function === 'BOTH'),
  )
  const mount = wanted === undefined ? mounts[0] : mounts.find((m) => m.path === wanted)
  if (!mount)
    throw new HttpError(
      400,
      'INVALID_REQUEST',
      wanted === undefined
        ? `service ${service.id} has no INPUT mount to put input files in`
        : `service ${service.id} has no INPUT mount at '${wanted}'`,
      { field: 'input_files' },
    )
  return mount.path
}

const lastSegment = (name: string) => name.slice(name.lastIndexOf('/') + 1)

/** Two files for one place would leave the run to whichever the runner wrote last. */
function checkDistinct(files: { mount: string; name: string }[]): void {
  const seen = new Set<string>()
  for (const { mount, name } of files) {
    const key = `${mount.replace(/\/+$/, '')}/${name}`
    if (seen.has(key))
      throw new HttpError(400, 'INVALID_REQUEST', `two input files would be written to ${key}`, {
        field: 'input_files',
      })
    seen.add(key)
  }
}
