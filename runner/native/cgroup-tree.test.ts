import { execFile, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, rmdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cgroupContainment } from './cgroup-tree'

const cgroups = await cgroupContainment()
const parent = cgroups.ok ? /in (\/\S+)$/.exec(cgroups.containment.description)?.[1] : undefined

/** A PID that is not running now: one of a process that has just exited. */
async function deadPid(): Promise<number> {
  const child = execFile('/bin/true')
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

describe.runIf(parent)('run cgroups left behind', () => {
  it('are killed and removed when a runner starts, when the runner that made them is gone', async () => {
    const stale = path.join(parent!, `run-${await deadPid()}-1`)
    await mkdir(stale)
    const orphan = spawn('/bin/sleep', ['1000'], { stdio: 'ignore', detached: true })
    await writeFile(path.join(stale, 'cgroup.procs'), String(orphan.pid))
    const killed = new Promise((resolve) => orphan.on('exit', (_, signal) => resolve(signal)))
    expect((await cgroupContainment()).ok).toBe(true)
    expect(await killed).toBe('SIGKILL')
    expect(existsSync(stale)).toBe(false)
  })

  it('are left alone while their runner runs', async () => {
    const mine = path.join(parent!, `run-${process.pid}-999999`)
    await mkdir(mine)
    const child = spawn('/bin/sleep', ['1000'], { stdio: 'ignore', detached: true })
    try {
      await writeFile(path.join(mine, 'cgroup.procs'), String(child.pid))
      expect((await cgroupContainment()).ok).toBe(true)
      expect(existsSync(mine)).toBe(true)
      expect(readFileSync(path.join(mine, 'cgroup.procs'), 'utf8').trim()).toBe(String(child.pid))
    } finally {
      await writeFile(path.join(mine, 'cgroup.kill'), '1')
      await new Promise((resolve) => child.on('exit', resolve))
      await rmdir(mine)
    }
  })
})
