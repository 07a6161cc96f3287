/**
 * Volunteers' standing in SQL, one row per lasting key, so a restart does not forgive a liar.
 * Counts are added to in place, so each verdict is one small write that shares the turn's commit
 * with the job it judged (Node: one WAL commit per event-loop turn; Durable Objects: the output
 * gate), and a crash loses verdicts only together with their job's end.
 */
import type { Sql } from './sql'

export interface StoredStanding {
  agreed: number
  disagreed: number
}

export class ReputationStore {
  constructor(private readonly sql: Sql) {}

  get(key: string): StoredStanding | undefined {
    return this.sql.get<StoredStanding>(
      'SELECT agreed, disagreed FROM volunteer_reputation WHERE key = ?',
      key,
    )
  }

  /** Adds one verdict to a key's counts. */
  add(key: string, agreed: boolean, now: number): void {
    const [a, d] = agreed ? [1, 0] : [0, 1]
    this.sql.run(
      `INSERT INTO volunteer_reputation (key, agreed, disagreed, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET agreed = agreed + excluded.agreed,
         disagreed = disagreed + excluded.disagreed, updated_at = excluded.updated_at`,
      key,
      a,
      d,
      now,
    )
  }
}
