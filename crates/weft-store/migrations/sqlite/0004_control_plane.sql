-- The control plane (weft_store_api::control): organizations, users, keys, workflows with
-- numbered versions, and the trigger rows a publish registers.
--
-- Timestamps follow 0001_init.sql: RFC 3339 UTC text with nine fractional digits, so text
-- order is time order and compare-and-set on a timestamp is exact. JSON columns hold text.

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- No foreign key to orgs: the contract has no "create organization" besides the first one
-- (bootstrap), and the embedded default organization has no row either.
CREATE TABLE users (
    id          TEXT PRIMARY KEY NOT NULL,
    org_id      TEXT NOT NULL,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at  TEXT NOT NULL
);

-- sign-in names are unique in the deployment
CREATE UNIQUE INDEX users_email ON users (email);
-- list_users
CREATE INDEX users_org_email ON users (org_id, email);

-- API keys, sessions and one-time sign-in links. Only the SHA-256 of a secret is stored.
CREATE TABLE keys (
    id            TEXT PRIMARY KEY NOT NULL,
    org_id        TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('api', 'session', 'login')),
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    scopes        TEXT NOT NULL,  -- JSON array of strings
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    revoked_at    TEXT,
    last_used_at  TEXT
);

-- authenticate
CREATE UNIQUE INDEX keys_secret_hash ON keys (secret_hash);
-- list_keys, newest first, for the organization or one user
CREATE INDEX keys_org_kind_created ON keys (org_id, kind, created_at, id);
CREATE INDEX keys_user_kind_created ON keys (user_id, kind, created_at, id);

CREATE TABLE workflows (
    id                 TEXT PRIMARY KEY NOT NULL,
    org_id             TEXT NOT NULL,
    team_id            TEXT,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL,
    tags               TEXT NOT NULL,  -- JSON array of strings, sorted and unique
    latest_version     INTEGER NOT NULL CHECK (latest_version >= 1),
    published_version  INTEGER CHECK (published_version BETWEEN 1 AND latest_version),
    revision           INTEGER NOT NULL CHECK (revision >= 1),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

-- names are unique per organization; also the listing order (and its cursor)
CREATE UNIQUE INDEX workflows_org_name ON workflows (org_id, name);

-- The numbered versions of a workflow. The documents themselves live in workflow_versions
-- (content-addressed, shared by equal documents, kept when the workflow is deleted).
CREATE TABLE workflow_version_numbers (
    workflow_id  TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL CHECK (number >= 1),
    version_id   TEXT NOT NULL REFERENCES workflow_versions (id),
    author       TEXT NOT NULL,
    message      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (workflow_id, number)
) WITHOUT ROWID;

-- The deployment-wide webhook table: one row per (path, method) of a published workflow.
-- `ANY` overlaps every method of its path; the store checks that on publish.
CREATE TABLE webhook_routes (
    path         TEXT NOT NULL,
    method       TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    team_id      TEXT,
    workflow_id  TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version_id   TEXT NOT NULL,
    trigger_id   TEXT NOT NULL,
    params       TEXT NOT NULL,  -- JSON
    PRIMARY KEY (path, method)
);

-- replacing a workflow's routes (and comparing them, in order)
CREATE INDEX webhook_routes_workflow ON webhook_routes (workflow_id, path, method);

-- A single row whose number changes whenever webhook_routes does (cheap to poll).
CREATE TABLE routes_generation (
    id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation  INTEGER NOT NULL
);

INSERT INTO routes_generation (id, generation) VALUES (1, 0);

CREATE TABLE schedules (
    id            TEXT PRIMARY KEY NOT NULL,
    org_id        TEXT NOT NULL,
    team_id       TEXT,
    workflow_id   TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version_id    TEXT NOT NULL,
    trigger_id    TEXT NOT NULL,
    cron          TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    overlap       TEXT NOT NULL,
    catch_up      TEXT NOT NULL,
    input         TEXT NOT NULL,  -- JSON
    enabled       INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    next_fire_at  TEXT,
    last_fire_at  TEXT,
    last_run_id   TEXT
);

-- a workflow's schedules (publish, delete) and list_schedules' order
CREATE UNIQUE INDEX schedules_workflow_trigger ON schedules (workflow_id, trigger_id);
CREATE INDEX schedules_org_workflow_trigger ON schedules (org_id, workflow_id, trigger_id);
-- due_schedules and next_schedule_at
CREATE INDEX schedules_due ON schedules (next_fire_at, id)
    WHERE enabled = 1 AND next_fire_at IS NOT NULL;

-- Run-completed listeners: start workflow_id when a run of source_workflow_id ends.
CREATE TABLE listeners (
    workflow_id         TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    trigger_id          TEXT NOT NULL,
    org_id              TEXT NOT NULL,
    team_id             TEXT,
    version_id          TEXT NOT NULL,
    source_workflow_id  TEXT NOT NULL,
    statuses            TEXT NOT NULL,  -- JSON array of strings; empty = any terminal status
    PRIMARY KEY (workflow_id, trigger_id)
) WITHOUT ROWID;

-- listeners_of
CREATE INDEX listeners_org_source ON listeners (org_id, source_workflow_id);
