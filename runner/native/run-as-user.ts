/**
 * Running a native process as another user. Node's spawn `uid`/`gid` options keep the runner's
 * supplementary groups (root's, typically), so the command is wrapped in util-linux setpriv,
 * which sets the user's own groups (or none) before it execs the executable.
 */
import { execFile } from 'node:child_process'
import { SAFE_PATH } from './minimal-env'

export const SETPRIV = '/usr/bin/setpriv'

/** What to do about `run_as_user`, decided before any lookup. */
export type RunAsPlan =
  | { kind: 'self' }
  | { kind: 'switch'; user: string; group: string | undefined }
  | { kind: 'refuse'; message: string }

/** A resolved user: `name` and `home` are null when a numeric uid has no passwd entry. */
export interface RunAsIdentity {
  uid: number
  gid: number
  name: string | null
  home: string | null
}

const NAME = '[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?'
const RUN_AS = new RegExp(`^(${NAME})(?::(${NAME}))?$`)
const MAX_ID = 0xfffffffe

/**
 * Decides whether a run switches user. Pure, so the non-root refusal can be tested as root:
 * `runnerUid` is `process.getuid?.()`, undefined where the platform has no uids.
 */
export function planRunAsUser(value: string | undefined, runnerUid: number | undefined): RunAsPlan {
  if (value === undefined || value.trim() === '') return { kind: 'self' }
  const match = RUN_AS.exec(value)
  if (!match) {
    const message = `invalid run_as_user format: expected 'user:group' or 'uid:gid', got '${value}'`
    return { kind: 'refuse', message }
  }
  if (runnerUid === undefined) {
    return { kind: 'refuse', message: 'run_as_user is not supported on this platform' }
  }
  if (runnerUid !== 0) {
    const message = `run_as_user needs the runner to run as root; it runs as uid ${runnerUid}`
    return { kind: 'refuse', message }
  }
  return { kind: 'switch', user: match[1]!, group: match[2] }
}

/** Looks the user and group up (getent, so NSS sources count); numeric ids need no entry. */
export async function resolveRunAsUser(
  user: string,
  group: string | undefined,
): Promise<{ ok: true; identity: RunAsIdentity } | { ok: false; message: string }> {
  const passwd = await getent('passwd', user)
  let identity: RunAsIdentity
  if (passwd) {
    const [name, , uid, gid, , home] = passwd
    identity = { uid: Number(uid), gid: Number(gid), name: name!, home: home || '/' }
  } else if (isNumericId(user) && group !== undefined) {
    identity = { uid: Number(user), gid: -1, name: null, home: null }
  } else if (isNumericId(user)) {
    return { ok: false, message: `run_as_user uid ${user} has no passwd entry; give a group too` }
  } else {
    return { ok: false, message: `unknown user in run_as_user: '${user}'` }
  }
  if (group === undefined) return { ok: true, identity }
  const entry = await getent('group', group)
  if (entry) return { ok: true, identity: { ...identity, gid: Number(entry[2]) } }
  if (isNumericId(group)) return { ok: true, identity: { ...identity, gid: Number(group) } }
  return { ok: false, message: `unknown group in run_as_user: '${group}'` }
}

/**
 * setpriv's arguments before the command: the user's ids and its supplementary groups from
 * /etc/group (--init-groups needs a passwd entry, so a bare uid gets no groups at all).
 */
export function setprivArgs(identity: RunAsIdentity): string[] {
  return [
    `--reuid=${identity.uid}`,
    `--regid=${identity.gid}`,
    identity.name === null ? '--clear-groups' : '--init-groups',
    '--',
  ]
}

/** Whether `identity` may search (directory) or execute (file) `path`, asked as that user. */
export function accessibleAs(identity: RunAsIdentity, path: string): Promise<boolean> {
  const args = [...setprivArgs(identity), 'test', '-x', path]
  return new Promise((resolve) => {
    execFile(SETPRIV, args, { env: { PATH: SAFE_PATH } }, (error) => resolve(error === null))
  })
}

/** The fields of one getent line, or null when there is no such entry. */
function getent(db: 'passwd' | 'group', key: string): Promise<string[] | null> {
  return new Promise((resolve) => {
    execFile('getent', [db, key], { env: { PATH: SAFE_PATH } }, (error, stdout) => {
      const line = stdout.split('\n')[0]
      resolve(error || !line ? null : line.split(':'))
    })
  })
}

function isNumericId(value: string): boolean {
  return /^\d+$/.test(value) && Number(value) <= MAX_ID
}
