import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rmdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cgroupContainment } from './cgroup-tree'

const OWNER = `peer-test-${process.pid}`
const found = await cgroupContainment({ owner: OWNER })
/** Where every run's cgroup is made. */
const parent = found.ok ? /in (\/\S+)$/.exec(found.containment.description)?.[1] : undefined

/** A PID that is not running now: one of a process that has just exited. */
async function deadPid(): Promise<number> {
  const child = execFile('/bin/true')
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

/** A cgroup `dir` holding a new `sleep` process, and the signal that ends it, when it does. */
async function occupied(dir: string): Promise<{ ended: Promise<unknown> }> {
  await mkdir(dir)
  const sleeper = spawn('/bin/sleep', ['1000'], { stdio: 'ignore', detached: true })
  const ended = new Promise((resolve) => sleeper.on('exit', (_, signal) => resolve(signal)))
  await writeFile(path.join(dir, 'cgroup.procs'), String(sleeper.pid))
  return { ended }
}

describe.runIf(parent)('run cgroups left behind', () => {
  it('are killed and removed when the runner that owns them starts again', async () => {
    const stale = path.join(parent!, `${OWNER}-${await deadPid()}-1`)
    const { ended } = await occupied(stale)
    expect((await cgroupContainment({ owner: OWNER })).ok).toBe(true)
    expect(await ended).toBe('SIGKILL')
    expect(existsSync(stale)).toBe(false)
  })

  it("are never killed when they have no owner, for a PID may be another namespace's", async () => {
    const running = path.join(parent!, `run-${await deadPid()}-1`)
    const empty = path.join(parent!, `run-${await deadPid()}-2`)
    const { ended } = await occupied(running)
    await mkdir(empty)
    try {
      expect((await cgroupContainment()).ok).toBe(true)
      expect(existsSync(running)).toBe(true)
      expect(existsSync(empty), 'an empty one of a PID that is gone is removed').toBe(false)
    } finally {
      await writeFile(path.join(running, 'cgroup.kill'), '1')
      await ended
      await rmdir(running)
    }
  })
})
