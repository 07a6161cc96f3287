/**
 * The OpenAPI entries of `/api/cron`. The PUT body's schema follows the host's job limits; the
 * document shows it as built with the default settings.
 */
import { defaultConfig } from '../config'
import { cronBody } from '../cron/cron-schemas'
import { CronListSchema, CronViewSchema } from '../cron/cron-view-schemas'
import { BAD_NAMESPACE, deniedDocs, tooLargeDoc } from './doc-responses'
import type { RouteDoc } from './route-doc'

const TAG = 'Cron'
const NS = { ns: 'the namespace whose jobs, functions and workflows the triggers start' }
const NAMED = { ...NS, name: "the trigger's name: 1 to 32 letters, digits, _ and -" }
const BAD_PATH = `${BAD_NAMESPACE}, or the name is not 1 to 32 letters, digits, _ and -`
const NOT_FOUND = { description: 'no trigger of that name in the namespace (CRON_NOT_FOUND)' }

/** The entries, by route. */
export const cronDocs = {
  list: {
    summary: "List a namespace's cron triggers with their next and newest runs",
    tag: TAG,
    params: NS,
    responses: {
      200: { description: 'the triggers', schema: CronListSchema },
      400: { description: BAD_NAMESPACE },
      ...deniedDocs('jobs'),
    },
  },
  get: {
    summary: 'Show a cron trigger with its kept history of runs',
    tag: TAG,
    params: NAMED,
    responses: {
      200: { description: 'the trigger, newest runs first', schema: CronViewSchema },
      400: { description: BAD_PATH },
      ...deniedDocs('jobs'),
      404: NOT_FOUND,
    },
  },
  put: {
    summary: 'Create or replace a cron trigger',
    description:
      'A schedule (five cron fields, or six with seconds) in a time zone, what to do with ticks ' +
      'missed while the server was down, and one target: `{"function": "/user/path", ...}`, ' +
      '`{"job": {...}}` (a job submission) or `{"workflow": "id or name", "input": ...}`.',
    tag: TAG,
    params: NAMED,
    body: cronBody(defaultConfig()),
    responses: {
      200: { description: 'an existing trigger was replaced', schema: CronViewSchema },
      201: { description: 'a new trigger was created', schema: CronViewSchema },
      400: {
        description: `${BAD_PATH}, or the body is not a trigger (the field and why are named: a bad schedule or time zone, a target of none of the three kinds)`,
      },
      ...deniedDocs('jobs'),
      413: tooLargeDoc,
    },
  },
  delete: {
    summary: 'Delete a cron trigger (its runs already started go on)',
    tag: TAG,
    params: NAMED,
    responses: {
      204: { description: 'deleted' },
      400: { description: BAD_PATH },
      ...deniedDocs('jobs'),
      404: NOT_FOUND,
    },
  },
} satisfies Record<string, RouteDoc>
