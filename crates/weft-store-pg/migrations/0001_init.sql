-- Weft on PostgreSQL, schema version 1: the logical schema of the SQLite store's migrations
-- 0001 to 0003, in native types.
--
-- Timestamps are timestamptz (microsecond precision; the store cuts finer digits before binding).
-- JSON columns are `json`, not `jsonb`: `json` keeps the text exactly as written (key order,
-- number spelling), which is what the engine wrote and reads back.
-- Every tenant table carries org_id and team_id; every tenant query filters by org_id.

CREATE TABLE workflow_versions (
    -- hex SHA-256 of org_id, a NUL byte and the canonical (sorted-key) document JSON
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    team_id     text,
    name        text NOT NULL,
    document    json NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE INDEX workflow_versions_org_name ON workflow_versions (org_id, name, created_at);

CREATE TABLE runs (
    -- UUIDv7: uuid order (bytewise) is creation order
    id                   uuid PRIMARY KEY,
    org_id               text NOT NULL,
    team_id              text,
    workflow_version_id  text NOT NULL REFERENCES workflow_versions (id),
    -- the stored (API-managed) workflow, NULL for documents run straight from a file
    workflow_id          text,
    workflow_name        text NOT NULL,
    status               text NOT NULL CHECK (status IN
                             ('queued', 'running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled')),
    input                json NOT NULL,
    output               json,
    error                json,
    parent_run_id        uuid,
    parent_key           text,
    idempotency_key      text,
    created_at           timestamptz NOT NULL,
    started_at           timestamptz,
    finished_at          timestamptz,
    wake_at              timestamptz,
    deadline_at          timestamptz,
    control              text CHECK (control IN ('cancel', 'pause', 'resume')),
    -- the owner (owners.id) driving the run; not a foreign key: an owner row disappears when
    -- its process leaves, and a missing owner is as good as an expired one
    owner                text,
    last_seq             bigint NOT NULL DEFAULT 0,
    CHECK ((parent_run_id IS NULL) = (parent_key IS NULL))
);

-- listing, newest first
CREATE INDEX runs_org_id ON runs (org_id, id);
CREATE INDEX runs_org_status_id ON runs (org_id, status, id);
CREATE INDEX runs_org_workflow_name ON runs (org_id, workflow_name, id);
CREATE INDEX runs_org_workflow ON runs (org_id, workflow_id, id) WHERE workflow_id IS NOT NULL;
CREATE INDEX runs_org_created ON runs (org_id, created_at);
-- recovery: the unfinished runs, a small part of the table
CREATE INDEX runs_unfinished ON runs (id)
    WHERE status IN ('queued', 'running', 'waiting', 'paused');
-- timers
CREATE INDEX runs_waiting_wake ON runs (wake_at) WHERE status = 'waiting';
-- control requests, by the owner that has to take them
CREATE INDEX runs_owner_control ON runs (owner) WHERE control IS NOT NULL;
-- idempotent creation
CREATE UNIQUE INDEX runs_org_idempotency ON runs (org_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX runs_parent_key ON runs (parent_run_id, parent_key)
    WHERE parent_run_id IS NOT NULL;

CREATE TABLE journal (
    run_id  uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq     bigint NOT NULL,
    at      timestamptz NOT NULL,
    event   json NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Processes that drive runs. An owner is alive while expires_at (database clock) is in the
-- future; its process renews the lease with a heartbeat and deletes the row when it leaves.
CREATE TABLE owners (
    id           text PRIMARY KEY,
    pid          integer NOT NULL,
    client_addr  text DEFAULT inet_client_addr()::text,
    started_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);

-- Credentials: the secret fields are sealed (AES-256-GCM) by the caller before they get here;
-- this table never holds plaintext.
CREATE TABLE credentials (
    id          text NOT NULL,
    org_id      text NOT NULL,
    team_id     text,
    name        text NOT NULL,
    kind        text NOT NULL,
    sealed      bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE UNIQUE INDEX credentials_org_name ON credentials (org_id, name);
