-- Weft embedded schema, version 1.
--
-- Timestamps are RFC 3339 UTC text with exactly nine fractional digits
-- (e.g. 2025-01-02T03:04:05.123456789Z): lossless for chrono values, and
-- fixed-width so text order is time order.
-- Every tenant table carries org_id and team_id; every tenant query filters by org_id.

CREATE TABLE workflow_versions (
    -- hex SHA-256 of org_id, a NUL byte and the canonical (sorted-key) document JSON
    id          TEXT PRIMARY KEY NOT NULL,
    org_id      TEXT NOT NULL,
    team_id     TEXT,
    name        TEXT NOT NULL,
    document    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX workflow_versions_org_name ON workflow_versions (org_id, name, created_at);

CREATE TABLE runs (
    -- UUIDv7, hyphenated lowercase: text order is creation order
    id                   TEXT PRIMARY KEY NOT NULL,
    org_id               TEXT NOT NULL,
    team_id              TEXT,
    workflow_version_id  TEXT NOT NULL REFERENCES workflow_versions (id),
    workflow_name        TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN
                             ('queued', 'running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled')),
    input                TEXT NOT NULL,
    output               TEXT,
    error                TEXT,
    parent_run_id        TEXT,
    parent_key           TEXT,
    idempotency_key      TEXT,
    created_at           TEXT NOT NULL,
    started_at           TEXT,
    finished_at          TEXT,
    wake_at              TEXT,
    deadline_at          TEXT,
    control              TEXT CHECK (control IN ('cancel', 'pause', 'resume')),
    owner                TEXT,
    last_seq             INTEGER NOT NULL DEFAULT 0,
    CHECK ((parent_run_id IS NULL) = (parent_key IS NULL))
);

-- listing, newest first
CREATE INDEX runs_org_id ON runs (org_id, id);
CREATE INDEX runs_org_status_id ON runs (org_id, status, id);
CREATE INDEX runs_org_workflow_id ON runs (org_id, workflow_name, id);
-- timers and recovery
CREATE INDEX runs_status_wake ON runs (status, wake_at);
-- control requests and liveness sweeps
CREATE INDEX runs_owner ON runs (owner) WHERE owner IS NOT NULL;
-- idempotent creation
CREATE UNIQUE INDEX runs_org_idempotency ON runs (org_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX runs_parent_key ON runs (parent_run_id, parent_key)
    WHERE parent_run_id IS NOT NULL;

CREATE TABLE journal (
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    at      TEXT NOT NULL,
    event   TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- Processes that drive runs. Liveness is not stored here: an owner is alive while
-- <data_dir>/owners/<id>.lock is locked. The row is informational (pid, start time).
CREATE TABLE owners (
    id          TEXT PRIMARY KEY NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  TEXT NOT NULL
);
