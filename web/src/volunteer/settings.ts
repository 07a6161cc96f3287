/** What a volunteer chose, kept in IndexedDB so it survives reloads and installs. */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import { NAMESPACE_PATTERN } from '../../../shared/protocol/job'

export interface VolunteerSettings {
  /** Sandbox threads, 1 to the number of cores. */
  threads: number
  /** Paused by the volunteer (not by the tab being hidden). */
  paused: boolean
  /** Run jobs only for these namespaces; empty means any. */
  namespaces: string[]
  /** Keep running while the tab is hidden. */
  background: boolean
}

/** What this browser has given over all sessions. */
export interface Totals {
  completed: number
  failed: number
  cpuMs: number
}

interface Schema extends DBSchema {
  settings: { key: 'volunteer'; value: VolunteerSettings }
  totals: { key: 'volunteer'; value: Totals }
}

export const cores = (): number => Math.max(1, globalThis.navigator?.hardwareConcurrency || 2)

function defaultSettings(): VolunteerSettings {
  return {
    threads: Math.max(1, Math.floor(cores() / 2)),
    paused: false,
    namespaces: [],
    background: true,
  }
}

/** Keeps only valid values: a stored record from an older version must not break the page. */
export function sanitize(stored: Partial<VolunteerSettings> | undefined): VolunteerSettings {
  const base = defaultSettings()
  if (!stored) return base
  const threads = Number(stored.threads)
  return {
    threads: Number.isInteger(threads) ? Math.min(cores(), Math.max(1, threads)) : base.threads,
    paused: stored.paused === true,
    namespaces: Array.isArray(stored.namespaces)
      ? stored.namespaces.filter((ns) => typeof ns === 'string' && NAMESPACE_PATTERN.test(ns))
      : [],
    background: stored.background !== false,
  }
}

/** "alice, bob" → ["alice", "bob"], or the first entry that is not a namespace name. */
export function parseNamespaces(
  text: string,
): { ok: true; namespaces: string[] } | { ok: false; bad: string } {
  const namespaces = text
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter(Boolean)
  const bad = namespaces.find((ns) => !NAMESPACE_PATTERN.test(ns))
  return bad === undefined ? { ok: true, namespaces: [...new Set(namespaces)] } : { ok: false, bad }
}

export class SettingsStore {
  private constructor(private readonly db: IDBPDatabase<Schema> | undefined) {}

  /** Opens the store; without IndexedDB (a private window may refuse it) settings last a session. */
  static async open(): Promise<SettingsStore> {
    try {
      const db = await openDB<Schema>('zerverless-volunteer', 1, {
        upgrade(db) {
          db.createObjectStore('settings')
          db.createObjectStore('totals')
        },
      })
      return new SettingsStore(db)
    } catch {
      return new SettingsStore(undefined)
    }
  }

  async load(): Promise<{ settings: VolunteerSettings; totals: Totals }> {
    const [settings, totals] = await Promise.all([
      this.db?.get('settings', 'volunteer'),
      this.db?.get('totals', 'volunteer'),
    ])
    return {
      settings: sanitize(settings),
      totals: totals ?? { completed: 0, failed: 0, cpuMs: 0 },
    }
  }

  async saveSettings(settings: VolunteerSettings): Promise<void> {
    await this.db?.put('settings', settings, 'volunteer')
  }

  async saveTotals(totals: Totals): Promise<void> {
    await this.db?.put('totals', totals, 'volunteer')
  }
}
