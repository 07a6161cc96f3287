/** The schema, as an append-only list: never edit a shipped migration, add the next one. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE code_blobs (
    hash TEXT PRIMARY KEY,
    code TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    job_type TEXT NOT NULL,
    namespace TEXT NOT NULL,
    code_hash TEXT NOT NULL REFERENCES code_blobs(hash),
    input_data TEXT,
    timeout_ms INTEGER NOT NULL,
    max_retries INTEGER NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    output TEXT,
    error TEXT,
    volunteer_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    batch_id TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    completed_at INTEGER
  );
  CREATE INDEX jobs_by_status ON jobs (status, seq);
  CREATE INDEX jobs_by_namespace ON jobs (namespace, seq);
  CREATE INDEX jobs_by_batch ON jobs (batch_id, seq) WHERE batch_id IS NOT NULL;
  `,
  `
  CREATE TABLE wasm_modules (
    cid TEXT PRIMARY KEY,
    bytes BLOB NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  ALTER TABLE jobs ADD COLUMN wasm_cid TEXT REFERENCES wasm_modules(cid);
  ALTER TABLE jobs ADD COLUMN args TEXT;
  ALTER TABLE jobs ADD COLUMN env TEXT;
  ALTER TABLE jobs ADD COLUMN stderr TEXT;
  ALTER TABLE jobs ADD COLUMN exit_code INTEGER;
  `,
  `
  CREATE TABLE kv (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (ns, key)
  ) WITHOUT ROWID;
  CREATE INDEX kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE files (
    ns TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    content_type TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (ns, path)
  ) WITHOUT ROWID;

  CREATE TABLE deployments (
    user TEXT NOT NULL,
    path TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user, path)
  ) WITHOUT ROWID;

  CREATE TABLE deployment_versions (
    user TEXT NOT NULL,
    path TEXT NOT NULL,
    version INTEGER NOT NULL,
    runtime TEXT NOT NULL,
    code_hash TEXT NOT NULL REFERENCES code_blobs(hash),
    wasm_cid TEXT REFERENCES wasm_modules(cid),
    timeout_ms INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user, path, version)
  ) WITHOUT ROWID;
  `,
  // 4: standalone services (native executables on runners) and the files their jobs produce.
  `
  CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    peer_id TEXT,
    executable_path TEXT NOT NULL,
    executable_sha256 TEXT NOT NULL,
    executable_size INTEGER NOT NULL,
    arguments TEXT NOT NULL,
    working_directory TEXT NOT NULL,
    environment_variables TEXT NOT NULL,
    inherit_environment INTEGER NOT NULL,
    timeout_seconds INTEGER NOT NULL,
    run_as_user TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    interfaces TEXT NOT NULL,
    git_repo_url TEXT NOT NULL,
    git_branch TEXT NOT NULL,
    git_commit_hash TEXT NOT NULL,
    files TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE job_outputs (
    job_id TEXT NOT NULL,
    name TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, name)
  ) WITHOUT ROWID;
  `,
  // 5: API tokens the admin issued (JWTs; only their ids and scopes are kept, to list and revoke).
  `
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    namespaces TEXT NOT NULL,
    rights TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
  ) WITHOUT ROWID;
  `,
  // 6: redundant jobs (result integrity): how many volunteers must agree, and what each answered.
  `
  ALTER TABLE jobs ADD COLUMN redundancy INTEGER NOT NULL DEFAULT 1;

  CREATE TABLE job_answers (
    job_id TEXT NOT NULL,
    volunteer TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    state TEXT NOT NULL,
    answer TEXT,
    finish TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, volunteer, attempt)
  ) WITHOUT ROWID;
  `,
  // 7: volunteers' reputation outlives a restart (jobs/reputation.ts), for lasting keys only
  // (`peer:<id>`, `addr:<address>`); each answer records the key it is judged under.
  `
  CREATE TABLE volunteer_reputation (
    key TEXT PRIMARY KEY,
    agreed INTEGER NOT NULL,
    disagreed INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  ALTER TABLE job_answers ADD COLUMN standing TEXT;
  `,
  // 8: executor trust: whether a job or function needs a trusted executor, and what its db calls
  // may reach from an untrusted one (JSON {read, write} key prefixes; NULL: nothing).
  `
  ALTER TABLE jobs ADD COLUMN executor TEXT NOT NULL DEFAULT 'any';
  ALTER TABLE jobs ADD COLUMN untrusted_db TEXT;
  ALTER TABLE deployment_versions ADD COLUMN executor TEXT NOT NULL DEFAULT 'trusted';
  ALTER TABLE deployment_versions ADD COLUMN untrusted_db TEXT;
  `,
  // 9: private files. A file's own visibility ('public' or 'private', NULL: it follows the rules),
  // and per-namespace rules for directory prefixes (see storage/visibility.ts).
  `
  ALTER TABLE files ADD COLUMN visibility TEXT;

  CREATE TABLE storage_rules (
    ns TEXT NOT NULL,
    prefix TEXT NOT NULL,
    visibility TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (ns, prefix)
  ) WITHOUT ROWID;
  `,
  // 10: workflows. A workflow's versions keep their documents (runs keep the version they started
  // with, even after the workflow is deleted); a run's steps, and a step's units (one per foreach
  // element, or one), each unit naming its current attempt's job by a deterministic id.
  `
  CREATE TABLE workflows (
    id TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX workflows_by_namespace ON workflows (namespace, created_at);

  CREATE TABLE workflow_versions (
    workflow_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, version)
  ) WITHOUT ROWID;

  CREATE TABLE workflow_runs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    workflow_id TEXT NOT NULL,
    key TEXT,
    version INTEGER NOT NULL,
    namespace TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX workflow_runs_by_workflow ON workflow_runs (workflow_id, seq);
  CREATE UNIQUE INDEX workflow_runs_by_key ON workflow_runs (workflow_id, key) WHERE key IS NOT NULL;
  CREATE INDEX workflow_runs_active ON workflow_runs (status) WHERE status = 'running';

  CREATE TABLE workflow_steps (
    run_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    status TEXT NOT NULL,
    elements INTEGER,
    result TEXT,
    output TEXT,
    stored TEXT,
    error TEXT,
    started_at INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (run_id, step_id)
  ) WITHOUT ROWID;

  CREATE TABLE workflow_units (
    run_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    element INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    job_id TEXT NOT NULL,
    status TEXT NOT NULL,
    retry_at INTEGER,
    result TEXT,
    output TEXT,
    error TEXT,
    executor TEXT,
    started_at INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (run_id, step_id, element)
  ) WITHOUT ROWID;
  CREATE INDEX workflow_units_by_job ON workflow_units (job_id);
  CREATE INDEX workflow_units_waiting ON workflow_units (retry_at) WHERE status = 'waiting';
  `,
  // 11: secrets. Values sealed with the host's SecretBox (context `{namespace}/{name}`); what jobs,
  // function versions and services declare is kept as JSON lists of names, never values.
  `
  CREATE TABLE secrets (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    sealed TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
  ) WITHOUT ROWID;

  ALTER TABLE jobs ADD COLUMN secrets TEXT;
  ALTER TABLE deployment_versions ADD COLUMN secrets TEXT;
  ALTER TABLE services ADD COLUMN secrets TEXT;
  `,
  // 12: cron triggers. A trigger keeps its body and the latest tick it fired or skipped (ticks
  // after it are due); a run is a row per fired tick, inserted with that mark in one transaction
  // before its target starts, so no tick runs twice; `starting` rows are finished after a crash.
  `
  CREATE TABLE cron_triggers (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    last_tick INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
  ) WITHOUT ROWID;

  CREATE TABLE cron_runs (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    tick INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    job_id TEXT,
    workflow_run_id TEXT,
    http_status INTEGER,
    error TEXT,
    missed INTEGER NOT NULL,
    fired_at INTEGER NOT NULL,
    finished_at INTEGER,
    PRIMARY KEY (namespace, name, tick)
  ) WITHOUT ROWID;
  CREATE INDEX cron_runs_unfinished ON cron_runs (status) WHERE status IN ('starting', 'running');
  `,
  // 13: gitops applications. Each is keyed by its namespace and name; credentials and the webhook
  // secret are sealed (secrets/secret-box.ts); `resources` is JSON: what its syncs deployed.
  `
  CREATE TABLE gitops_applications (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    repo_url TEXT NOT NULL,
    branch TEXT NOT NULL,
    subdir TEXT NOT NULL,
    interval_seconds INTEGER NOT NULL,
    prune INTEGER NOT NULL,
    self_heal INTEGER NOT NULL,
    sealed_auth TEXT,
    sealed_webhook_secret TEXT,
    allow_local INTEGER NOT NULL,
    target TEXT NOT NULL,
    revision TEXT,
    commit_sha TEXT,
    phase TEXT NOT NULL,
    error TEXT,
    last_sync INTEGER,
    last_poll INTEGER NOT NULL,
    resources TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
  ) WITHOUT ROWID;
  `,
  // 14: services are updated in place (PUT): each update bumps `version`, and runs record theirs.
  `
  ALTER TABLE services ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
  `,
  // 15: a batch job's position in its batch's inputs, so its listing can be read in input order
  // and each job named by the input it ran (NULL: not from a batch, or from before this column).
  `
  ALTER TABLE jobs ADD COLUMN batch_index INTEGER;
  `,
]
