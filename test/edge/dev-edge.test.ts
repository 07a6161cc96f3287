/**
 * `npm run dev:edge` (scripts/dev-edge.mjs): wrangler dev with a `zerverless --worker` attached,
 * like `npm start` with its internal workers, so a job runs with nothing else started; and both
 * stop together. The real script, wrangler, workerd and worker.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../helpers/temp-dir'
import { freePort } from '../helpers/free-port'

const ROOT = path.resolve(import.meta.dirname, '../..')

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('npm run dev:edge', () => {
  const stateDir = tempDir('zv-dev-edge-')
  afterAll(() => removeDir(stateDir))

  it('starts wrangler dev with a worker attached, runs a job, and stops both', async () => {
    const [port, inspector] = [await freePort(), await freePort()]
    const child = spawn(
      process.execPath,
      [
        'scripts/dev-edge.mjs',
        '--port',
        String(port),
        '--inspector-port',
        String(inspector),
        '--persist-to',
        stateDir,
        '--show-interactive-dev-session=false',
        '--log-level',
        'warn',
        '--workers',
        '1',
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' },
      },
    )
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      const line = await new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const match =
            /dev:edge on (http:\/\/\S+) .*wrangler dev pid (\d+), worker pid (\d+)/.exec(output)
          if (match) resolve(match)
        }
        child.stdout.on('data', check)
        void exited.then((code) => reject(new Error(`dev:edge exited with ${code}:\n${output}`)))
      })
      const [, url, wranglerPid, workerPid] = line
      expect(url).toBe(`http://127.0.0.1:${port}`)
      expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'healthy' })
      // The Worker has no volunteers of its own: the attached worker runs this job.
      const job = await fetch(`${url}/api/jobs?wait=30`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ job_type: 'js', code: '6 * 7' }),
      })
      expect(await job.json(), output).toMatchObject({ status: 'completed', result: 42 })

      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect([alive(Number(wranglerPid)), alive(Number(workerPid))]).toEqual([false, false])
    } finally {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL')
    }
  }, 120_000)
})
