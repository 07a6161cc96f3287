/**
 * What holds one native run's processes together, so that a timeout or a cancel stops every one
 * of them, including those that left the process group with setsid or a double fork. Three
 * mechanisms implement it, best first: a cgroup v2 (cgroup-tree.ts), a PID namespace
 * (pid-namespace.ts) and the process group (stop-group.ts), which a new session escapes.
 */
import type { Launch } from './launch'

export type ContainmentKind = 'cgroup' | 'pid-namespace' | 'process-group'

/** One run's tree, from before its process starts until after everything in it has stopped. */
export interface ProcessTree {
  readonly kind: ContainmentKind
  /** For logs.txt: the mechanism, and where (the cgroup's directory, the process group). */
  readonly description: string
  /** What to spawn instead of `launch` so that the process starts inside the tree. */
  wrap(launch: Launch): Launch
  /** The PID of the process spawned from wrap(). */
  started(pid: number): void
  /** That process has exited (and been reaped): its PID may belong to someone else from now on. */
  exited(): void
  /** Whether any process of the tree still runs (zombies do not count). */
  alive(): Promise<boolean>
  /** SIGTERM to every process of the tree, then SIGKILL to all that is left after `graceMs`. */
  stop(graceMs: number): Promise<void>
  /** Gives back what the tree holds (the cgroup's directory) once nothing runs in it. */
  release(): Promise<void>
}

/** A runner's way of holding runs; detected once (containment.ts), then one tree per run. */
export interface Containment {
  readonly kind: ContainmentKind
  /** For the runner's log: the mechanism and where it lives. */
  readonly description: string
  /** A tree for one run; rejects when none can be made, and the run then does not start. */
  open(): Promise<ProcessTree>
}
