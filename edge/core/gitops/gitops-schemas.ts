/** The GitOps API's bodies and queries: registering an application, syncing it, listing them. */
import { z } from 'zod'
import { Namespace } from '../../../shared/protocol/job'

/** An application's name: unique within its namespace, a path segment. */
const AppName = z
  .string({ error: 'must be 1 to 64 letters, digits, _ and -' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, {
    error: 'must be 1 to 64 letters, digits, _ and -, starting with a letter or digit',
  })

const REMOTE = new Set(['https:', 'http:', 'ssh:', 'git:', 'file:'])

/** Where git fetches from; credentials go in `auth`, never in the URL (it is shown and logged). */
const RepoUrl = z
  .string({ error: 'must be a repository URL such as "https://github.com/alice/site.git"' })
  .min(1)
  .max(2048)
  .superRefine((text, ctx) => {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      return ctx.addIssue({
        code: 'custom',
        message: 'must be a repository URL such as "https://github.com/alice/site.git"',
      })
    }
    if (!REMOTE.has(url.protocol))
      ctx.addIssue({ code: 'custom', message: 'must be an https, http, ssh, git or file URL' })
    else if (url.password || (url.username && url.protocol !== 'ssh:'))
      ctx.addIssue({
        code: 'custom',
        message: 'must not carry credentials: give them in auth (they are kept sealed)',
      })
    else if (/\s/.test(text)) ctx.addIssue({ code: 'custom', message: 'must not contain spaces' })
  })

/** A branch git accepts, that cannot pass for an option. */
const Branch = z
  .string()
  .regex(/^(?![-/.])(?!.*(\.\.|\/\/|@\{|\.lock$|\/$|\.$))[A-Za-z0-9._/-]{1,255}$/, {
    error: 'must be a branch name such as "main"',
  })

const Subdir = z
  .string()
  .max(1024)
  .transform((s) => s.replace(/^\/+|\/+$/g, ''))
  .refine((s) => s === '' || /^(?!.*(^|\/)\.\.?(\/|$))[^\\\0]+$/.test(s), {
    error: 'must be a directory inside the repository, without "." or ".." segments',
  })

const Auth = z.union(
  [
    z.strictObject({ token: z.string().min(1).max(4096) }),
    z.strictObject({ username: z.string().min(1).max(256), password: z.string().min(1).max(4096) }),
  ],
  { error: 'must be {"token": "…"} or {"username": "…", "password": "…"}' },
)

const SyncPolicyBody = z.strictObject({
  intervalSeconds: z
    .number({ error: 'must be a whole number of seconds between 1 and 86400' })
    .int({ error: 'must be a whole number of seconds between 1 and 86400' })
    .min(1, { error: 'must be between 1 and 86400' })
    .max(86_400, { error: 'must be between 1 and 86400' })
    .default(300),
  prune: z.boolean({ error: 'must be true or false' }).default(false),
  selfHeal: z.boolean({ error: 'must be true or false' }).default(false),
})

/** `POST /api/gitops/applications`. */
export const Registration = z.strictObject({
  name: AppName,
  namespace: Namespace.default('default'),
  source: z.strictObject({
    repoURL: RepoUrl,
    branch: Branch.default('main'),
    subdir: Subdir.default(''),
  }),
  syncPolicy: SyncPolicyBody.default({ intervalSeconds: 300, prune: false, selfHeal: false }),
  auth: Auth.optional(),
  /** Verifies `POST /{name}/webhook` (X-Hub-Signature-256); without it the webhook is off. */
  webhookSecret: z
    .string()
    .min(16, { error: 'must be at least 16 characters' })
    .max(256)
    .optional(),
})
export type Registration = z.output<typeof Registration>

const Flag = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .transform((s) => s === 'true')

/** `POST /{name}/sync`. */
export const SyncQuery = z.object({
  namespace: Namespace.default('default'),
  dryRun: Flag.optional(),
  revision: z
    .string()
    .regex(/^[0-9a-f]{4,64}$/, { error: 'must be a commit hash (4 to 64 lowercase hex digits)' })
    .optional(),
})

/** `DELETE /{name}`. */
export const DeleteQuery = z.object({
  namespace: Namespace.default('default'),
  prune: Flag.optional(),
})

/** Routes naming one application: its namespace is a query parameter (`default` when absent). */
export const AppQuery = z.object({ namespace: Namespace.default('default') })
export const ListQuery = z.object({ namespace: Namespace.optional() })
