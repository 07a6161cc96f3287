/** A runner runs two kinds of jobs: sandboxed ones on worker threads, native ones as processes. */
import type { HostHandler, JobExecutor, RunHooks, RunnableJob } from '../shared/agent/agent-ports'
import type { RunOutcome } from '../shared/runtime/runtime'
import type { NativeExecutor } from './native-executor'

export class RunnerExecutor implements JobExecutor {
  constructor(
    private readonly sandbox: JobExecutor | undefined,
    private readonly native: NativeExecutor | undefined,
  ) {}

  execute(
    job: RunnableJob,
    signal: AbortSignal,
    host?: HostHandler,
    hooks?: RunHooks,
  ): Promise<RunOutcome> {
    if (job.job_type === 'native') {
      if (this.native) {
        hooks?.started?.()
        return this.native.execute(job, signal)
      }
    } else if (this.sandbox) {
      return this.sandbox.execute(job, signal, host, hooks)
    }
    return Promise.resolve({
      ok: false,
      error: {
        code: 'RUNTIME_UNAVAILABLE',
        message: `this runner does not run ${job.job_type} jobs`,
      },
      output: '',
      durationMs: 0,
    })
  }

  async close(): Promise<void> {
    await this.sandbox?.close()
  }
}
