-- LLM accounting (weft-store-api::llm); the same logical schema as the SQLite store's migration 0008: every model call, the organization's price table,
-- budgets with their per-window spend and in-flight reservations, and the response cache.
-- Money is in nano-dollars (1e-9 USD).

CREATE TABLE llm_calls (
    id                 text PRIMARY KEY,
    org_id             text NOT NULL,
    team_id            text,
    workflow_id        text,
    workflow_name      text NOT NULL,
    run_id             text NOT NULL,
    node_id            text NOT NULL,
    attempt            bigint NOT NULL,
    provider           text NOT NULL,
    model              text NOT NULL,
    prompt_tokens      bigint NOT NULL,
    completion_tokens  bigint NOT NULL,
    latency_ms         bigint NOT NULL,
    cost_nanos         bigint NOT NULL,
    priced             boolean NOT NULL,
    cached             boolean NOT NULL,
    ok                 boolean NOT NULL,
    at                 timestamptz NOT NULL
);
CREATE INDEX llm_calls_org_at ON llm_calls (org_id, at);
CREATE INDEX llm_calls_run ON llm_calls (org_id, run_id);

CREATE TABLE llm_prices (
    org_id           text NOT NULL,
    model            text NOT NULL,
    input_per_mtok   double precision NOT NULL,
    output_per_mtok  double precision NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (org_id, model)
);

-- The budget itself is its JSON (weft_store_api::llm::Budget).
CREATE TABLE budgets (
    org_id      text NOT NULL,
    id          text NOT NULL,
    spec        json NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE budget_windows (
    org_id           text NOT NULL,
    budget_id        text NOT NULL,
    window_key       text NOT NULL,
    spent_tokens     bigint NOT NULL DEFAULT 0,
    spent_nanos      bigint NOT NULL DEFAULT 0,
    reserved_tokens  bigint NOT NULL DEFAULT 0,
    reserved_nanos   bigint NOT NULL DEFAULT 0,
    alerted          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, budget_id, window_key)
);

CREATE TABLE llm_reservations (
    id          text NOT NULL,
    org_id      text NOT NULL,
    budget_id   text NOT NULL,
    window_key  text NOT NULL,
    tokens      bigint NOT NULL,
    nanos       bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (id, budget_id)
);
CREATE INDEX llm_reservations_window ON llm_reservations (org_id, budget_id, window_key, created_at);

CREATE TABLE llm_cache (
    org_id      text NOT NULL,
    key         text NOT NULL,
    response    json NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, key)
);
