/**
 * The command a run spawns, in its own module because three parts share it: prepare-launch.ts
 * makes one, a process tree wraps it (process-tree.ts) and run-process.ts spawns it.
 */

/** A command ready for spawn: with run_as_user, `command` is setpriv and the executable an arg. */
export interface Launch {
  command: string
  args: string[]
  cwd: string
  env: Record<string, string>
}
