/** Which page a console path shows: `/jobs/{id}`, `/functions/{user}/{path}`, `/batches/{id}`… */
import { BatchesPage } from './pages/BatchesPage'
import { CronPage } from './pages/CronPage'
import { FleetPage } from './pages/FleetPage'
import { FunctionDetail } from './pages/FunctionDetail'
import { FunctionsPage } from './pages/FunctionsPage'
import { JobDetail } from './pages/JobDetail'
import { JobsPage } from './pages/JobsPage'
import { KvPage } from './pages/KvPage'
import { SecretsPage } from './pages/SecretsPage'
import { StoragePage } from './pages/StoragePage'
import { SubmitPage } from './pages/SubmitPage'
import { WorkflowsPage } from './pages/WorkflowsPage'

export function Pages({ route, namespace }: { route: string; namespace: string }) {
  const [, page = '', ...rest] = route.split('/').map((part) => decodeURIComponent(part))
  switch (page) {
    case '':
    case 'jobs':
      return rest[0] ? <JobDetail id={rest[0]} /> : <JobsPage namespace={namespace} />
    case 'submit':
      return <SubmitPage namespace={namespace} />
    case 'batches':
      return <BatchesPage namespace={namespace} open={rest[0]} />
    case 'functions':
      return rest[0] ? (
        <FunctionDetail user={rest[0]} path={`/${rest.slice(1).join('/')}`} />
      ) : (
        <FunctionsPage namespace={namespace} />
      )
    case 'fleet':
      return <FleetPage />
    case 'kv':
      return <KvPage namespace={namespace} />
    case 'storage':
      return <StoragePage namespace={namespace} />
    case 'workflows':
      return <WorkflowsPage namespace={namespace} open={rest[0]} run={rest[1]} />
    case 'cron':
      return <CronPage namespace={namespace} />
    case 'secrets':
      return <SecretsPage namespace={namespace} />
    default:
      return <p role="alert">No console page at {route}.</p>
  }
}
