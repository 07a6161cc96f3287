/**
 * The standalone-services suites' shared host: the real orchestrator (no internal workers) and a
 * real `zerverless-runner` holding a secret in its environment, a directory for the scripts the
 * tests register, and what a test needs to create and run services.
 */
import { readdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import path from 'node:path'
import { expect } from 'vitest'
import { api, type ApiResponse } from './api'
import { startRunner, stopRunner, type RunnerProcess } from './runner-process'
import { removeDir, tempDir } from './temp-dir'
import { startZerverless, type ZerverlessProcess } from './zerverless-process'

export interface ServiceHost {
  server: ZerverlessProcess
  /** Replaced when a test restarts it. */
  runner: RunnerProcess
  client: ReturnType<typeof api>
  scripts: string
  /** Writes an executable script into the scripts directory and returns its path. */
  script(name: string, body: string, mode?: number): string
  create(body: Record<string, unknown>): Promise<ApiResponse>
  /** Starts a run (expecting 202) and waits for its job to end. */
  runService(id: number, body?: Record<string, unknown>, wait?: number): Promise<any>
  stop(): Promise<void>
}

export async function startServiceHost(): Promise<ServiceHost> {
  const server = await startZerverless(['--workers', '0'])
  const client = api(server.url)
  const scripts = tempDir('zv-scripts-')
  const runner = await startRunner(server.url, [], { env: { ZV_RUNNER_SECRET: 'do-not-leak' } })
  const host: ServiceHost = {
    server,
    runner,
    client,
    scripts,
    script: (name, body, mode = 0o755) => {
      const file = path.join(scripts, name)
      writeFileSync(file, `#!/bin/bash\n${body}\n`)
      chmodSync(file, mode)
      return file
    },
    create: (body) => client.post('/api/services/standalone/from-local', body),
    runService: async (id, body = {}, wait = 30) => {
      const started = await client.post(`/api/services/standalone/${id}/run`, body)
      expect(started.status, JSON.stringify(started.body)).toBe(202)
      return (await client.get(`/api/jobs/${started.body.job.id}?wait=${wait}`)).body
    },
    stop: async () => {
      if (process.env.ZV_DEBUG) console.log(server.output(), host.runner.output())
      // Whatever a failed containment test left running goes, by the PIDs it recorded.
      for (const name of readdirSync(scripts).filter((n) => n.endsWith('.pids')))
        for (const pid of readFileSync(path.join(scripts, name), 'utf8').trim().split('\n'))
          try {
            process.kill(Number(pid), 'SIGKILL')
          } catch {
            // gone already
          }
      await stopRunner(host.runner)
      await server.stop()
      removeDir(server.dataDir)
      removeDir(scripts)
    },
  }
  return host
}

/** Gone, or a zombie nobody reaped (this container's PID 1 does not). */
export function gone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return true
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false
  } catch {
    return true
  }
}
