/**
 * The queries `/api/storage` and `/static` parse, the shapes of their JSON answers, and their
 * OpenAPI entries: one module, so that the document names the very schemas the routes use.
 */
import { z } from 'zod'
import { VISIBILITIES } from '../storage/visibility'
import { BAD_NAMESPACE, deniedDocs } from './doc-responses'
import type { ResponseDoc, RouteDoc } from './route-doc'

/** `GET /api/storage/{ns}?prefix=&cursor=&limit=`. */
export const ListQuery = z.object({
  prefix: z.string().max(1024).optional().describe('only paths that start with this'),
  cursor: z.string().max(1024).optional().describe('where the previous page ended (its `cursor`)'),
  limit: z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number between 1 and 1000' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { error: 'must be between 1 and 1000' })
        .max(1000, { error: 'must be between 1 and 1000' }),
    )
    .optional()
    .describe('files per page, 1 to 1000 (default 100)'),
})

/** `PUT /api/storage/{ns}/{path}` of a file. */
export const FileQuery = z.object({
  visibility: z
    .enum([...VISIBILITIES, 'inherit'], {
      error: "must be public, private, or inherit (follow the namespace's rules)",
    })
    .optional()
    .describe(
      "a file's own visibility (inherit: follow the namespace's rules; absent: keep what it had). " +
        'On a directory path (ending in "/") it is required, public or private, and sets the rule for everything under it',
    ),
})

/** `PUT /api/storage/{ns}/{dir}/`: a visibility rule. */
export const RuleQuery = z.object({
  visibility: z.enum(VISIBILITIES, {
    error: 'must be public or private: a directory path sets the rule for everything under it',
  }),
})

const VisibilityRuleView = z.strictObject({
  prefix: z.string().describe('a directory path ending in "/", or "" for the whole namespace'),
  visibility: z.enum(VISIBILITIES),
})

/** A page of a namespace's files. */
const StorageListing = z.strictObject({
  files: z.array(z.string()).describe('paths, in order'),
  private: z.array(z.string()).describe('those of `files` that are private'),
  rules: z.array(VisibilityRuleView).describe("the namespace's visibility rules"),
  count: z.int().min(0),
  cursor: z.string().nullable().describe('null on the last page; else pass it as `?cursor=`'),
})

/** A file as stored by a PUT. */
const StoredFile = z.strictObject({
  namespace: z.string(),
  path: z.string(),
  size: z.int().min(0),
  etag: z.string().describe("the content's SHA-256, hex"),
  content_type: z.string(),
  visibility: z.enum(VISIBILITIES).describe('what it is now, after its own setting and the rules'),
})

/** A visibility rule as set by a PUT on a directory path. */
const StoredRule = z.strictObject({
  namespace: z.string(),
  prefix: z.string(),
  visibility: z.enum(VISIBILITIES),
})

const TAG = 'Storage'
const NS = { ns: 'the namespace the files belong to' }
const AT = {
  ...NS,
  path: 'the file\'s path in the namespace; on PUT and DELETE, a path ending in "/" (or none) is a directory and means its visibility rule',
}
const BAD_PATH = `${BAD_NAMESPACE}, or the path has empty, "." or ".." segments (INVALID_PATH)`
const FILE: ResponseDoc = {
  description: 'the file (Content-Type from its name; ETag, Last-Modified, Accept-Ranges)',
  contentType: 'application/octet-stream',
}
const RANGES: Record<number, ResponseDoc> = {
  206: {
    description: 'the byte range asked for with Range',
    contentType: 'application/octet-stream',
  },
  304: { description: 'If-None-Match named its ETag: not modified' },
  416: {
    description:
      'the Range lies outside the file: an empty body and `Content-Range: bytes */{size}`',
    contentType: 'application/octet-stream',
  },
}

/** The entries, by route. */
export const storageDocs = {
  list: {
    summary: "List a namespace's files, a page at a time",
    tag: TAG,
    params: NS,
    query: ListQuery,
    responses: {
      200: { description: 'a page of paths, with which are private', schema: StorageListing },
      400: { description: `${BAD_NAMESPACE}, or limit is not 1 to 1000` },
      ...deniedDocs('storage'),
    },
  },
  put: {
    summary: "Upload a file, or set a directory's visibility rule",
    description:
      'The body streams to disk (any size up to the host\'s upload limit). A path ending in "/" ' +
      'takes no body and `?visibility=public|private` sets the rule for everything under it.',
    tag: TAG,
    params: AT,
    query: FileQuery,
    body: { contentType: 'application/octet-stream', description: "the file's content" },
    responses: {
      200: { description: 'a directory path: the rule was set', schema: StoredRule },
      201: { description: 'the file was stored', schema: StoredFile },
      400: {
        description: `${BAD_PATH}, visibility is not one it takes, or a directory path came with a body`,
      },
      ...deniedDocs('storage'),
      409: {
        description:
          'the path is a directory, or lies under a file (PATH_CONFLICT); or the namespace has as many rules as it may (TOO_MANY_RULES)',
      },
      413: { description: "the file is larger than the host's upload limit (FILE_TOO_LARGE)" },
      429: { description: "the namespace's storage quota would be exceeded (QUOTA_EXCEEDED)" },
    },
  },
  get: {
    summary: 'Download a file, public or private',
    description: "Answers with the file's bytes and `X-Visibility: public|private`.",
    tag: TAG,
    params: { ...NS, path: "the file's path in the namespace" },
    responses: {
      200: FILE,
      ...RANGES,
      400: { description: BAD_PATH },
      ...deniedDocs('storage'),
      404: { description: 'no such file (FILE_NOT_FOUND)' },
    },
  },
  delete: {
    summary: "Delete a file, or a directory's visibility rule",
    tag: TAG,
    params: AT,
    responses: {
      204: { description: 'deleted' },
      400: { description: BAD_PATH },
      ...deniedDocs('storage'),
      404: {
        description:
          'no such file (FILE_NOT_FOUND), or no rule for that directory (RULE_NOT_FOUND)',
      },
    },
  },
} satisfies Record<string, RouteDoc>

const STATIC_RESPONSES: Record<number, ResponseDoc> = {
  200: FILE,
  ...RANGES,
  301: { description: 'a directory asked for without its "/": Location names it with one' },
  400: { description: BAD_PATH },
  404: { description: 'no such public file (a private one answers the same) (FILE_NOT_FOUND)' },
}

/** `/static/{ns}` and `/static/{ns}/{path}`: public, no token. */
export const staticDocs = {
  root: {
    summary: "Serve a namespace's public index.html",
    tag: TAG,
    params: { ns: 'the namespace' },
    responses: STATIC_RESPONSES,
  },
  file: {
    summary: 'Serve a public file (a directory serves its index.html)',
    description: 'Open to anyone: only public files are served; a private one is a 404.',
    tag: TAG,
    params: {
      ns: 'the namespace',
      path: 'the file\'s path; one ending in "/" serves its index.html',
    },
    responses: STATIC_RESPONSES,
  },
} satisfies Record<string, RouteDoc>
