-- The control plane (weft_store_api::control): organizations, users, keys, workflows with
-- numbered versions, and the trigger rows a publish registers. The logical schema of the
-- SQLite store's migration 0004, in native types: lists are text[], flags boolean, JSON json.
--
-- Names and ids that listings sort by are COLLATE "C": bytewise order, whatever the
-- database's locale, as in SQLite.

CREATE TABLE orgs (
    id          text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL
);

-- No foreign key to orgs: the embedded default organization has no row.
CREATE TABLE users (
    id          text COLLATE "C" PRIMARY KEY,
    org_id      text NOT NULL,
    email       text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at  timestamptz NOT NULL
);

-- sign-in names are unique in the deployment
CREATE UNIQUE INDEX users_email ON users (email);
-- list_users
CREATE INDEX users_org_email ON users (org_id, email);

-- API keys, sessions and one-time sign-in links. Only the SHA-256 of a secret is stored.
CREATE TABLE keys (
    id            text COLLATE "C" PRIMARY KEY,
    org_id        text NOT NULL,
    user_id       text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('api', 'session', 'login')),
    name          text NOT NULL,
    prefix        text NOT NULL,
    secret_hash   text NOT NULL,
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);

-- authenticate
CREATE UNIQUE INDEX keys_secret_hash ON keys (secret_hash);
-- list_keys, newest first, for the organization or one user
CREATE INDEX keys_org_kind_created ON keys (org_id, kind, created_at, id);
CREATE INDEX keys_user_kind_created ON keys (user_id, kind, created_at, id);

CREATE TABLE workflows (
    id                 text COLLATE "C" PRIMARY KEY,
    org_id             text NOT NULL,
    team_id            text,
    name               text COLLATE "C" NOT NULL,
    description        text NOT NULL,
    tags               text[] NOT NULL,  -- sorted and unique
    latest_version     bigint NOT NULL CHECK (latest_version >= 1),
    published_version  bigint CHECK (published_version BETWEEN 1 AND latest_version),
    revision           bigint NOT NULL CHECK (revision >= 1),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

-- names are unique per organization; also the listing order (and its cursor)
CREATE UNIQUE INDEX workflows_org_name ON workflows (org_id, name);

-- The numbered versions of a workflow. The documents themselves live in workflow_versions
-- (content-addressed, shared by equal documents, kept when the workflow is deleted).
CREATE TABLE workflow_version_numbers (
    workflow_id  text COLLATE "C" NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    number       bigint NOT NULL CHECK (number >= 1),
    version_id   text NOT NULL REFERENCES workflow_versions (id),
    author       text NOT NULL,
    message      text NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workflow_id, number)
);

-- The deployment-wide webhook table: one row per (path, method) of a published workflow.
-- `ANY` overlaps every method of its path; the store checks that on publish, holding the
-- routes_generation row's lock so publishes from different processes take turns.
CREATE TABLE webhook_routes (
    path         text COLLATE "C" NOT NULL,
    method       text COLLATE "C" NOT NULL,
    org_id       text NOT NULL,
    team_id      text,
    workflow_id  text COLLATE "C" NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version_id   text NOT NULL,
    trigger_id   text NOT NULL,
    params       json NOT NULL,
    PRIMARY KEY (path, method)
);

-- replacing a workflow's routes (and comparing them, in order)
CREATE INDEX webhook_routes_workflow ON webhook_routes (workflow_id, path, method);

-- A single row whose number changes whenever webhook_routes does (cheap to poll).
CREATE TABLE routes_generation (
    id          integer PRIMARY KEY CHECK (id = 1),
    generation  bigint NOT NULL
);

INSERT INTO routes_generation (id, generation) VALUES (1, 0);

CREATE TABLE schedules (
    id            text COLLATE "C" PRIMARY KEY,
    org_id        text NOT NULL,
    team_id       text,
    workflow_id   text COLLATE "C" NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version_id    text NOT NULL,
    trigger_id    text COLLATE "C" NOT NULL,
    cron          text NOT NULL,
    timezone      text NOT NULL,
    overlap       text NOT NULL,
    catch_up      text NOT NULL,
    input         json NOT NULL,
    enabled       boolean NOT NULL,
    next_fire_at  timestamptz,
    last_fire_at  timestamptz,
    last_run_id   uuid
);

-- a workflow's schedules (publish, delete) and list_schedules' order
CREATE UNIQUE INDEX schedules_workflow_trigger ON schedules (workflow_id, trigger_id);
CREATE INDEX schedules_org_workflow_trigger ON schedules (org_id, workflow_id, trigger_id);
-- due_schedules and next_schedule_at
CREATE INDEX schedules_due ON schedules (next_fire_at, id)
    WHERE enabled AND next_fire_at IS NOT NULL;

-- Run-completed listeners: start workflow_id when a run of source_workflow_id ends.
CREATE TABLE listeners (
    workflow_id         text COLLATE "C" NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    trigger_id          text COLLATE "C" NOT NULL,
    org_id              text NOT NULL,
    team_id             text,
    version_id          text NOT NULL,
    source_workflow_id  text NOT NULL,
    statuses            text[] NOT NULL,  -- empty = any terminal status
    PRIMARY KEY (workflow_id, trigger_id)
);

-- listeners_of
CREATE INDEX listeners_org_source ON listeners (org_id, source_workflow_id);
