/**
 * Who may read a stored file. Public files are served to anyone under `/static/{ns}/…` (the seed's
 * behaviour, and the default); private ones only through `GET /api/storage/{ns}/…`, to callers with
 * the `storage` right. A file's own setting wins; a file without one follows the namespace's rule
 * for the longest directory prefix it lies under (`drafts/`, or `` for the whole namespace). Rules
 * live in SQL beside the file index, so both hosts keep them alike.
 */
import { HttpError } from '../http-error'
import type { Sql } from '../store/sql'

export const VISIBILITIES = ['public', 'private'] as const
export type Visibility = (typeof VISIBILITIES)[number]

export interface VisibilityRule {
  /** A directory path ending in "/", or "" for the whole namespace. */
  prefix: string
  visibility: Visibility
}

/** Rules one namespace may have: enough for any site layout, few enough to list every time. */
const MAX_RULES_PER_NAMESPACE = 256

export class VisibilityRules {
  constructor(private readonly sql: Sql) {}

  list(ns: string): VisibilityRule[] {
    return this.sql.all<VisibilityRule>(
      'SELECT prefix, visibility FROM storage_rules WHERE ns = ? ORDER BY prefix',
      ns,
    )
  }

  set(ns: string, rule: VisibilityRule, now = Date.now()): void {
    const exists = this.sql.get<{ one: number }>(
      'SELECT 1 AS one FROM storage_rules WHERE ns = ? AND prefix = ?',
      ns,
      rule.prefix,
    )
    const count =
      this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM storage_rules WHERE ns = ?', ns)?.n ??
      0
    if (!exists && count >= MAX_RULES_PER_NAMESPACE)
      throw new HttpError(
        409,
        'TOO_MANY_RULES',
        `namespace '${ns}' has ${count} visibility rules, the most it may have; remove some first`,
      )
    this.sql.run(
      `INSERT INTO storage_rules (ns, prefix, visibility, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (ns, prefix) DO UPDATE SET visibility = excluded.visibility,
         updated_at = excluded.updated_at`,
      ns,
      rule.prefix,
      rule.visibility,
      now,
    )
  }

  remove(ns: string, prefix: string): boolean {
    return this.sql.run('DELETE FROM storage_rules WHERE ns = ? AND prefix = ?', ns, prefix) > 0
  }
}

/** What applies to a file: its own setting, else the longest matching rule, else public. */
export function visibilityOf(
  own: Visibility | null,
  path: string,
  rules: readonly VisibilityRule[],
): Visibility {
  if (own) return own
  let best: VisibilityRule | undefined
  for (const rule of rules)
    if (path.startsWith(rule.prefix) && (!best || rule.prefix.length > best.prefix.length))
      best = rule
  return best?.visibility ?? 'public'
}
