/**
 * Where a pool's Pyodide memory snapshot is kept between processes, so the first Python job of a
 * fresh process boots its interpreter from it (~0.4 s) instead of loading Pyodide from scratch
 * (1.6 s and more). A store only ever receives bytes the pool took from a thread no guest had
 * reached (see sandbox-pool.ts), or that a build made in a process that runs no guest.
 */
export interface PythonSnapshotStore {
  /** The kept snapshot, if there is one. */
  load(): Uint8Array | undefined
  /** Keeps `bytes` for later processes. */
  save(bytes: Uint8Array): void
  /** Forgets a snapshot that failed to start an interpreter (another Pyodide build, a damaged file). */
  discard(): void
}
