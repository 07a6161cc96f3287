/**
 * Runs a native job on this runner: finds the service's executable (one it registered itself, or
 * an uploaded one fetched from the orchestrator and checked against its sha256), checks the
 * owner's --allow-path still allows it, lays out the job's directories with its inputs (inline,
 * or earlier jobs' outputs fetched and checked: input-fetch.ts), runs the process, then uploads
 * stdout.txt, stderr.txt, logs.txt and every OUTPUT mount's files to the orchestrator with the
 * attempt's token.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { NativeRun } from '../shared/protocol/frames'
import type { RunnableJob } from '../shared/agent/agent-ports'
import type { JobError } from '../shared/protocol/job'
import type { RunOutcome } from '../shared/runtime/runtime'
import { hashFile } from './executable-check'
import { fetchOutput, InputUnavailable, inputTarget } from './input-fetch'
import type { Containment } from './native/process-tree'
import { runProcess, type ProcessOutcome } from './native/run-process'
import { checkAllowed, notAllowed, type PathPolicy } from './path-policy'
import { jobDirs, mountDir, serviceDir, type JobDirs } from './runner-paths'
import type { ServiceRegistry } from './service-registry'

/** What a job record keeps of the process's output (the whole files are uploaded). */
const OUTPUT_TEXT_BYTES = 1024 * 1024
const STDERR_TEXT_BYTES = 64 * 1024

export interface NativeExecutorOptions {
  dataDir: string
  peerId: string
  /** The orchestrator's HTTP base, e.g. http://127.0.0.1:8000. */
  httpBase: string
  registry: ServiceRegistry
  /** What the runner's owner lets run (--allow-path). */
  policy: PathPolicy
  /** What holds each run's processes; default: the best this machine offers. */
  containment?: Containment
  killGraceMs?: number
}

class NativeFailure extends Error {
  constructor(
    readonly code: JobError['code'],
    message: string,
  ) {
    super(message)
  }
}

export class NativeExecutor {
  constructor(private readonly options: NativeExecutorOptions) {}

  async execute(job: RunnableJob, signal: AbortSignal): Promise<RunOutcome> {
    const started = performance.now()
    const run = job.native
    const failed = (code: JobError['code'], message: string): RunOutcome => ({
      ok: false,
      error: { code, message },
      output: '',
      durationMs: Math.round(performance.now() - started),
    })
    if (!run) return failed('RUNTIME_UNAVAILABLE', 'a native job came without its service')
    try {
      const executable = await this.executable(job, run)
      const dirs = jobDirs(this.options.dataDir, {
        orchestrator: run.orchestrator,
        workflow: run.workflow_run ?? job.job_id,
        peerId: this.options.peerId,
        execution: run.workflow_run ? job.job_id : `${job.job_id}-${job.attempt}`,
      })
      await rm(dirs.root, { recursive: true, force: true })
      for (const dir of [dirs.input, dirs.output, dirs.mounts])
        await mkdir(dir, { recursive: true, mode: 0o755 })
      const mountEnv = await this.prepareMounts(run, dirs)
      const stdinFile = await this.fetchInputs(job, run, dirs)
      const outcome = await runProcess({
        executable,
        arguments: run.arguments,
        ...(run.working_directory && { workingDirectory: run.working_directory }),
        environment: {
          ...run.environment_variables,
          // The secrets the run declared (sent only to runners the admin trusts with them).
          ...job.secrets,
          ...mountEnv,
          ZV_JOB_ID: job.job_id,
          ZV_JOB_DIR: dirs.root,
        },
        inheritEnvironment: run.inherit_environment,
        ...(run.stdin !== undefined && { stdin: run.stdin }),
        ...(stdinFile !== undefined && { stdinFile }),
        timeoutMs: job.timeout_ms,
        ...(this.options.killGraceMs !== undefined && { killGraceMs: this.options.killGraceMs }),
        ...(run.run_as_user && { runAsUser: run.run_as_user }),
        ...(this.options.containment && { containment: this.options.containment }),
        outputDir: dirs.output,
        signal,
      })
      const outputs = signal.aborted ? [] : await this.upload(job, run, dirs)
      return await this.outcome(outcome, dirs, outputs)
    } catch (err) {
      if (err instanceof NativeFailure) return failed(err.code, err.message)
      return failed('WORKER_CRASHED', `the runner failed: ${(err as Error).message}`)
    }
  }

  /** The executable to run, after checking it is the one the service stands for. */
  private async executable(job: RunnableJob, run: NativeRun): Promise<string> {
    if (run.source !== 'upload') {
      // Again at every run: the owner may have narrowed --allow-path since it registered.
      if (!(await checkAllowed(this.options.policy, run.executable_path)).allowed)
        throw new NativeFailure('PATH_NOT_ALLOWED', notAllowed(run.executable_path, 'path').error)
      const registered = this.options.registry.get(run.service_id)
      if (!registered || registered.executable_path !== run.executable_path)
        throw new NativeFailure(
          'EXECUTABLE_CHANGED',
          `this runner did not register service ${run.service_id} (${run.service_name})`,
        )
      let sha256: string
      try {
        sha256 = await hashFile(run.executable_path)
      } catch {
        throw new NativeFailure(
          'EXECUTABLE_NOT_FOUND',
          `executable not found: ${run.executable_path}`,
        )
      }
      if (sha256 !== run.sha256 || sha256 !== registered.sha256)
        throw new NativeFailure(
          'EXECUTABLE_CHANGED',
          `${run.executable_path} changed since the service was registered (sha256 ${sha256.slice(0, 12)}…, expected ${run.sha256.slice(0, 12)}…); register the service again`,
        )
      return run.executable_path
    }
    const dir = serviceDir(this.options.dataDir, run.service_name)
    const executable = path.join(dir, ...run.executable_path.split('/'))
    // Before fetching anything: an upload is the API caller's own code.
    if (!(await checkAllowed(this.options.policy, executable)).allowed)
      throw new NativeFailure('PATH_NOT_ALLOWED', notAllowed(executable, 'upload').error)
    const files = run.files ?? [{ path: run.executable_path, sha256: run.sha256, size: 0 }]
    for (const file of files) await this.fetch(job, run, dir, file)
    await chmod(executable, 0o755)
    return executable
  }

  /** Brings an uploaded service's file into the local cache, unless it is there already. */
  private async fetch(
    job: RunnableJob,
    run: NativeRun,
    dir: string,
    file: { path: string; sha256: string },
  ): Promise<void> {
    const parts = file.path.split('/')
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\')))
      throw new NativeFailure('WORKER_CRASHED', `refusing the file path '${file.path}'`)
    const target = path.join(dir, ...parts)
    if (
      await hashFile(target).then(
        (h) => h === file.sha256,
        () => false,
      )
    )
      return
    const url = `${this.options.httpBase}/api/services/standalone/${run.service_id}/files/${parts.map(encodeURIComponent).join('/')}?job=${encodeURIComponent(job.job_id)}`
    const res = await fetch(url, { headers: { authorization: `Bearer ${run.job_token}` } })
    if (!res.ok)
      throw new NativeFailure(
        'WORKER_CRASHED',
        `could not fetch ${file.path} from the orchestrator: HTTP ${res.status}`,
      )
    const bytes = new Uint8Array(await res.arrayBuffer())
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    if (sha256 !== file.sha256)
      throw new NativeFailure('EXECUTABLE_CHANGED', `${file.path} arrived with the wrong sha256`)
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 })
    const temp = `${target}.${randomUUID()}.part`
    await writeFile(temp, bytes, { mode: 0o755 })
    await rename(temp, target)
  }

  /** Creates every mount's directory, writes input files, and names the mounts in the environment. */
  private async prepareMounts(run: NativeRun, dirs: JobDirs): Promise<Record<string, string>> {
    const env: Record<string, string> = {}
    for (const mount of run.interfaces.filter((i) => i.interface_type === 'MOUNT')) {
      const dir = mountDir(dirs.mounts, mount.path)
      await mkdir(dir, { recursive: true, mode: 0o755 })
      env[
        `ZV_MOUNT_${mount.path
          .replace(/[^A-Za-z0-9]+/g, '_')
          .replace(/^_|_$/g, '')
          .toUpperCase()}`
      ] = dir
      const fn = mount.mount_function
      if ((fn === 'INPUT' || fn === 'BOTH') && !env.ZV_INPUT_DIR) env.ZV_INPUT_DIR = dir
      if ((fn === 'OUTPUT' || fn === 'BOTH') && !env.ZV_OUTPUT_DIR) env.ZV_OUTPUT_DIR = dir
    }
    for (const file of run.input_files) {
      if (file.name.includes('/') || file.name === '.' || file.name === '..')
        throw new NativeFailure('WORKER_CRASHED', `refusing the input file name '${file.name}'`)
      const dir = mountDir(dirs.mounts, file.mount)
      await mkdir(dir, { recursive: true, mode: 0o755 })
      await writeFile(path.join(dir, file.name), Buffer.from(file.data, 'base64'), { mode: 0o644 })
    }
    return env
  }

  /**
   * Fetches the earlier jobs' outputs the run takes: files into their mounts, and stdin into the
   * job's input directory (its path is returned). Any that cannot be had, or arrives changed,
   * fails the run before the process starts.
   */
  private async fetchInputs(
    job: RunnableJob,
    run: NativeRun,
    dirs: JobDirs,
  ): Promise<string | undefined> {
    const via = {
      httpBase: this.options.httpBase,
      jobId: job.job_id,
      token: run.job_token,
      tempDir: path.join(dirs.input, '.partial'),
    }
    try {
      for (const ref of run.input_refs ?? [])
        await fetchOutput(ref, inputTarget(mountDir(dirs.mounts, ref.mount), ref.name), via)
      if (!run.stdin_ref) return undefined
      const stdin = path.join(dirs.input, 'stdin')
      await fetchOutput(run.stdin_ref, stdin, via)
      return stdin
    } catch (err) {
      if (err instanceof InputUnavailable) throw new NativeFailure('INPUT_UNAVAILABLE', err.message)
      throw err
    } finally {
      await rm(via.tempDir, { recursive: true, force: true })
    }
  }

  /** Uploads the output files; returns their names as the orchestrator stores them. */
  private async upload(job: RunnableJob, run: NativeRun, dirs: JobDirs): Promise<string[]> {
    const files: { name: string; file: string }[] = []
    for (const name of ['stdout.txt', 'stderr.txt', 'logs.txt'])
      files.push({ name, file: path.join(dirs.output, name) })
    for (const mount of run.interfaces) {
      if (mount.interface_type !== 'MOUNT') continue
      if (mount.mount_function !== 'OUTPUT' && mount.mount_function !== 'BOTH') continue
      const dir = mountDir(dirs.mounts, mount.path)
      const prefix = `mounts/${path.relative(dirs.mounts, dir).split(path.sep).join('/')}`
      for (const relative of await walk(dir))
        files.push({ name: `${prefix}/${relative}`, file: path.join(dir, ...relative.split('/')) })
    }
    const uploaded: string[] = []
    for (const { name, file } of files) {
      const url = `${this.options.httpBase}/api/jobs/${encodeURIComponent(job.job_id)}/outputs/${name.split('/').map(encodeURIComponent).join('/')}`
      const res = await fetch(url, {
        method: 'PUT',
        headers: { authorization: `Bearer ${run.job_token}` },
        body: createReadStream(file) as unknown as ReadableStream,
        duplex: 'half',
      } as RequestInit)
      if (!res.ok)
        throw new NativeFailure(
          'WORKER_CRASHED',
          `could not upload ${name}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`,
        )
      uploaded.push(name)
    }
    return uploaded
  }

  private async outcome(
    process: ProcessOutcome,
    dirs: JobDirs,
    outputs: string[],
  ): Promise<RunOutcome> {
    const output = await readStart(path.join(dirs.output, 'stdout.txt'), OUTPUT_TEXT_BYTES)
    const stderr = await readStart(path.join(dirs.output, 'stderr.txt'), STDERR_TEXT_BYTES)
    const base = {
      output,
      stderr,
      durationMs: Math.round(process.durationMs),
      ...(process.exitCode !== null && { exitCode: process.exitCode }),
    }
    if (process.status === 'exited' && process.exitCode === 0)
      return {
        ok: true,
        result: { exit_code: 0, duration_ms: Math.round(process.durationMs), outputs },
        ...base,
      }
    if (process.status === 'exited' && process.exitCode === 127)
      return {
        ok: false,
        error: {
          code: 'EXECUTABLE_NOT_FOUND',
          message: 'Process exited with code 127: a command it ran was not found',
        },
        ...base,
      }
    const code: JobError['code'] =
      process.status === 'timeout'
        ? 'TIMEOUT'
        : process.status === 'cancelled'
          ? 'CANCELLED'
          : process.status === 'not_found'
            ? 'EXECUTABLE_NOT_FOUND'
            : process.status === 'failed_to_start'
              ? 'PROCESS_FAILED_TO_START'
              : 'PROCESS_EXITED'
    return { ok: false, error: { code, message: process.message }, ...base }
  }
}

/** Regular files under `dir`, relative, with "/" separators; symlinks are not followed. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name
    const full = path.join(dir, entry.name)
    const info = await lstat(full)
    if (info.isDirectory()) found.push(...(await walk(full, relative)))
    else if (info.isFile()) found.push(relative)
  }
  return found
}

async function readStart(file: string, max: number): Promise<string> {
  try {
    const bytes = await readFile(file)
    const text = bytes.subarray(0, max).toString('utf8')
    return bytes.length > max
      ? `${text}\n[truncated: the whole file is in the job's outputs]`
      : text
  } catch {
    return ''
  }
}
