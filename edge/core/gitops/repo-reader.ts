/**
 * The core's seam to git: a host that can fetch repositories implements `RepoReader` (the Node
 * host runs the git CLI, edge/node/git-repo-reader.ts); without one, GitOps is not offered.
 */

/** Where an application's manifest is: the repository, its branch, a directory in it. */
export interface RepoSource {
  repoURL: string
  branch: string
  /** "" for the repository's root. */
  subdir: string
}

/** Repository credentials, opened from the store only for the fetch that needs them. */
export type RepoAuth = { token: string } | { username: string; password: string }

/** A file of a commit's tree. */
export interface RepoFile {
  /** Relative to the directory that was listed. */
  path: string
  size: number
}

/** One commit of the repository, read without a working tree. */
export interface RepoSnapshot {
  /** The full hash. */
  commit: string
  /**
   * A regular file's bytes (relative to the repository's root); undefined when there is none.
   * Throws, saying so, when it is larger than `maxBytes`.
   */
  read(path: string, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | undefined>
  /** The regular files under `dir` (recursively; symlinks and submodules are left out). */
  list(dir: string): Promise<RepoFile[]>
}

export type Fetched = { ok: true; snapshot: RepoSnapshot } | { ok: false; error: string }

/** Which application's copy of the repository: each keeps its own. */
export interface RepoKey {
  namespace: string
  name: string
}

export interface RepoReader {
  /**
   * Fetches `source.branch` and returns its head, or `revision` (a commit hash, possibly short)
   * when given. `allowLocal` lets file:// and local paths through (the operator's applications).
   * Errors never contain credentials.
   */
  fetch(
    key: RepoKey,
    source: RepoSource,
    options: { auth?: RepoAuth | undefined; revision?: string | undefined; allowLocal: boolean },
  ): Promise<Fetched>
  /** Drops the application's copy. */
  forget(key: RepoKey): Promise<void>
}
