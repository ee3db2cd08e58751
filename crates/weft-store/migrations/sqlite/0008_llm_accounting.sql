-- LLM accounting (weft-store-api::llm): every model call, the organization's price table,
-- budgets with their per-window spend and in-flight reservations, and the response cache.
-- Money is in nano-dollars (1e-9 USD).

CREATE TABLE llm_calls (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL,
    team_id            TEXT,
    workflow_id        TEXT,
    workflow_name      TEXT NOT NULL,
    run_id             TEXT NOT NULL,
    node_id            TEXT NOT NULL,
    attempt            INTEGER NOT NULL,
    provider           TEXT NOT NULL,
    model              TEXT NOT NULL,
    prompt_tokens      INTEGER NOT NULL,
    completion_tokens  INTEGER NOT NULL,
    latency_ms         INTEGER NOT NULL,
    cost_nanos         INTEGER NOT NULL,
    priced             INTEGER NOT NULL,
    cached             INTEGER NOT NULL,
    ok                 INTEGER NOT NULL,
    at                 TEXT NOT NULL
);
CREATE INDEX llm_calls_org_at ON llm_calls (org_id, at);
CREATE INDEX llm_calls_run ON llm_calls (org_id, run_id);

CREATE TABLE llm_prices (
    org_id           TEXT NOT NULL,
    model            TEXT NOT NULL,
    input_per_mtok   REAL NOT NULL,
    output_per_mtok  REAL NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (org_id, model)
);

-- The budget itself is its JSON (weft_store_api::llm::Budget).
CREATE TABLE budgets (
    org_id      TEXT NOT NULL,
    id          TEXT NOT NULL,
    spec        TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE budget_windows (
    org_id           TEXT NOT NULL,
    budget_id        TEXT NOT NULL,
    window_key       TEXT NOT NULL,
    spent_tokens     INTEGER NOT NULL DEFAULT 0,
    spent_nanos      INTEGER NOT NULL DEFAULT 0,
    reserved_tokens  INTEGER NOT NULL DEFAULT 0,
    reserved_nanos   INTEGER NOT NULL DEFAULT 0,
    alerted          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, budget_id, window_key)
);

CREATE TABLE llm_reservations (
    id          TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    budget_id   TEXT NOT NULL,
    window_key  TEXT NOT NULL,
    tokens      INTEGER NOT NULL,
    nanos       INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (id, budget_id)
);
CREATE INDEX llm_reservations_window ON llm_reservations (org_id, budget_id, window_key, created_at);

CREATE TABLE llm_cache (
    org_id      TEXT NOT NULL,
    key         TEXT NOT NULL,
    response    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, key)
);
