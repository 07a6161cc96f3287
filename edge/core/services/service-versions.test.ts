import { describe, expect, it } from 'vitest'
import { openSqlite } from '../../node/sqlite'
import type { JobRecord } from '../jobs/job-record'
import { MIGRATIONS } from '../store/migrations'
import { migrate } from '../store/sql'
import { NativeServiceJobs } from './native-service-jobs'
import { ServiceStore, type NewService } from './service-store'

const service: NewService = {
  namespace: 'default',
  name: 'versioned',
  description: '',
  status: 'ACTIVE',
  source: 'local',
  peer_id: 'peer-1',
  executable_path: '/opt/v1',
  executable_sha256: 'a'.repeat(64),
  executable_size: 1,
  arguments: [],
  working_directory: '',
  environment_variables: {},
  inherit_environment: false,
  timeout_seconds: 60,
  run_as_user: '',
  capabilities: {},
  interfaces: [],
  git_repo_url: '',
  git_branch: '',
  git_commit_hash: '',
  files: [],
}

function setup() {
  const sql = openSqlite(':memory:')
  migrate(sql, MIGRATIONS)
  const store = new ServiceStore(sql)
  return { store, native: new NativeServiceJobs(store, 'node-1', () => '{}') }
}

/** A run's job as the scheduler hands it over: only what NativeServiceJobs reads matters. */
function runJob(input: Record<string, unknown>): JobRecord {
  return { id: 'job-1', code_hash: 'h', input_data: input } as unknown as JobRecord
}

describe('service versions', () => {
  it('starts at 1 and counts updates in place, keeping id, name and creation time', () => {
    const { store } = setup()
    const created = store.insert(service, 1_000)
    expect(created.version).toBe(1)
    store.update(created.id, { ...service, executable_path: '/opt/v2' }, 2_000)
    const updated = store.update(created.id, { ...service, executable_path: '/opt/v3' }, 3_000)
    expect(updated).toMatchObject({
      id: created.id,
      name: 'versioned',
      version: 3,
      executable_path: '/opt/v3',
      created_at: 1_000,
      updated_at: 3_000,
    })
    expect(store.update(created.id + 1, service)).toBeUndefined()
  })

  it('refuses to hand a queued run of an older version the new executable', () => {
    const { store, native } = setup()
    const { id } = store.insert(service)
    store.update(id, { ...service, executable_path: '/opt/v2' })
    const stale = native.run(runJob({ service_id: id, service_version: 1 }), 't', '{}')
    expect(stale).toEqual({
      error: `service ${id} was updated to version 2 after this run was queued for version 1; run it again`,
    })
    const current = native.run(runJob({ service_id: id, service_version: 2 }), 't', '{}')
    expect(current).toMatchObject({ service_id: id, executable_path: '/opt/v2' })
    // Runs queued before services had versions run what there is.
    expect(native.run(runJob({ service_id: id }), 't', '{}')).toMatchObject({ service_id: id })
  })
})
