/**
 * A fleet of real `zerverless --worker` processes connected to one orchestrator. They connect
 * asynchronously (and on the edge move between rooms), so figures are taken only once `/stats`
 * counts every volunteer idle.
 */
import { startWorker, type WorkerProcess } from '../../test/helpers/worker-process'

export interface VolunteerFleet {
  /** Volunteers in all: processes × volunteers per process. */
  volunteers: number
  /** Resolves once `/stats` says every volunteer is connected and idle. */
  settled(url: string, ms?: number): Promise<void>
  /** How often so far a volunteer was released by its room to move where work waits (edge). */
  moves(): number
  /** Stops every process by PID (drain, then SIGKILL after a grace period). */
  stop(): Promise<void>
}

const STOP_GRACE_MS = 5_000

export function startFleet(wsUrl: string, processes: number, perProcess: number): VolunteerFleet {
  const workers: WorkerProcess[] = []
  for (let i = 0; i < processes; i++) workers.push(startWorker(wsUrl, perProcess))
  const volunteers = processes * perProcess
  return {
    volunteers,
    settled: async (url, ms = 60_000) => {
      const end = Date.now() + ms
      let last: unknown
      for (;;) {
        last = await idleVolunteers(url).catch((e: unknown) => String(e))
        if (last === volunteers) return
        if (Date.now() > end)
          throw new Error(
            `${volunteers} volunteers were not all idle after ${ms} ms (last /stats idle: ${String(last)})\n` +
              workers.map((w) => w.output()).join('\n'),
          )
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    moves: () =>
      workers.reduce(
        (n, w) => n + (w.output().match(/moving to a room with work/g)?.length ?? 0),
        0,
      ),
    stop: async () => {
      await Promise.all(
        workers.map(async (w) => {
          const stopped = await Promise.race([
            w.stop().then(() => true),
            new Promise<false>((r) => setTimeout(() => r(false), STOP_GRACE_MS).unref()),
          ])
          if (!stopped) await w.kill()
        }),
      )
    },
  }
}

async function idleVolunteers(url: string): Promise<number> {
  const stats = (await (await fetch(`${url}/stats`)).json()) as { volunteers?: { idle?: number } }
  return stats.volunteers?.idle ?? 0
}
