-- Conversation threads: the durable memory of AI agents (ai.agent), per organization and
-- thread id; the same logical schema as the SQLite store's migration 0005.

CREATE TABLE threads (
    org_id              text NOT NULL,
    id                  text NOT NULL,
    team_id             text,
    summary             text,
    summarized_through  bigint NOT NULL DEFAULT 0,
    last_seq            bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE thread_messages (
    org_id      text NOT NULL,
    thread_id   text NOT NULL,
    seq         bigint NOT NULL,
    source      text NOT NULL,
    message     json NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, thread_id, seq),
    FOREIGN KEY (org_id, thread_id) REFERENCES threads (org_id, id) ON DELETE CASCADE
);

CREATE INDEX thread_messages_source ON thread_messages (org_id, thread_id, source);
