/**
 * The later issues' calls (workflows, cron, GitOps) on the typed client. Their documents come from
 * the user's files and are checked by the server, whose `{error, code}` is the answer on a bad one.
 */
import type { ZerverlessClient } from '../../../shared/client/client'
import { dataOf, doneOf, settled, type Answer } from './api-answer'
import type { AnyObject, BodyOf } from './api-views'

/** A document read from a file, sent as it is: the server validates it (400 with the field). */
const asBody = <T>(document: unknown) => document as T

/** A deletion's answer: its JSON, or `{}` for a 204, as `--json` has always printed it. */
async function deleted(what: string, call: Promise<Answer<unknown>>): Promise<AnyObject> {
  const answer = await settled(what, call)
  if (answer.response.status === 204) return {}
  return (await dataOf(what, Promise.resolve(answer))) as AnyObject
}

/** The later resources' calls, bound to one client. */
export function laterCalls(client: ZerverlessClient) {
  const id = (value: string) => ({ params: { path: { id: value } } })
  return {
    workflowCreate: (document: unknown) =>
      dataOf(
        'POST /api/workflows',
        client.POST('/api/workflows', {
          body: asBody<BodyOf<'/api/workflows', 'post'>>(document),
        }),
      ),
    workflows: (namespace?: string) =>
      dataOf(
        'GET /api/workflows',
        client.GET('/api/workflows', { params: { query: { namespace } } }),
      ),
    workflow: (wf: string) =>
      dataOf(`GET /api/workflows/${wf}`, client.GET('/api/workflows/{id}', id(wf))),
    workflowDelete: (wf: string) =>
      deleted(`DELETE /api/workflows/${wf}`, client.DELETE('/api/workflows/{id}', id(wf))),
    workflowStart: (wf: string, body: BodyOf<'/api/workflows/{id}/runs', 'post'>) =>
      dataOf(
        `POST /api/workflows/${wf}/runs`,
        client.POST('/api/workflows/{id}/runs', { ...id(wf), body }),
      ),
    workflowRuns: (wf: string) =>
      dataOf(`GET /api/workflows/${wf}/runs`, client.GET('/api/workflows/{id}/runs', id(wf))),
    workflowRun: (run: string, wait: number) =>
      dataOf(
        `GET /api/workflow-runs/${run}`,
        client.GET('/api/workflow-runs/{run}', {
          params: { path: { run }, query: { wait: String(wait) } },
        }),
      ),

    cronPut: (ns: string, name: string, document: unknown) =>
      dataOf(
        `PUT /api/cron/${ns}/${name}`,
        client.PUT('/api/cron/{ns}/{name}', {
          params: { path: { ns, name } },
          body: asBody<BodyOf<'/api/cron/{ns}/{name}', 'put'>>(document),
        }),
      ),
    crons: (ns: string) =>
      dataOf(`GET /api/cron/${ns}`, client.GET('/api/cron/{ns}', { params: { path: { ns } } })),
    cron: (ns: string, name: string) =>
      dataOf(
        `GET /api/cron/${ns}/${name}`,
        client.GET('/api/cron/{ns}/{name}', { params: { path: { ns, name } } }),
      ),
    cronDelete: (ns: string, name: string) =>
      doneOf(
        `DELETE /api/cron/${ns}/${name}`,
        client.DELETE('/api/cron/{ns}/{name}', { params: { path: { ns, name } } }),
      ),

    gitopsAdd: (document: unknown) =>
      dataOf(
        'POST /api/gitops/applications',
        client.POST('/api/gitops/applications', {
          body: asBody<BodyOf<'/api/gitops/applications', 'post'>>(document),
        }),
      ),
    gitopsList: (namespace?: string) =>
      dataOf(
        'GET /api/gitops/applications',
        client.GET('/api/gitops/applications', { params: { query: { namespace } } }),
      ),
    gitopsGet: (name: string, namespace: string) =>
      dataOf(
        `GET /api/gitops/applications/${name}`,
        client.GET('/api/gitops/applications/{name}', {
          params: { path: { name }, query: { namespace } },
        }),
      ),
    gitopsSync: (name: string, namespace: string, dryRun: boolean) =>
      dataOf(
        `POST /api/gitops/applications/${name}/sync`,
        client.POST('/api/gitops/applications/{name}/sync', {
          params: { path: { name }, query: { namespace, ...(dryRun && { dryRun: 'true' }) } },
        }),
      ),
    gitopsDelete: (name: string, namespace: string, prune: boolean) =>
      dataOf(
        `DELETE /api/gitops/applications/${name}`,
        client.DELETE('/api/gitops/applications/{name}', {
          params: { path: { name }, query: { namespace, ...(prune && { prune: 'true' }) } },
        }),
      ),
  }
}
