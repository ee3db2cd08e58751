-- Conversation threads: the durable memory of AI agents (ai.agent), per organization and
-- thread id. Messages are JSON (role, content, tool calls or results) numbered per thread;
-- `source` names the step that appended them, so a repeated step replaces its own messages.
-- A summary stands for every message up to `summarized_through`; older messages are kept.

CREATE TABLE threads (
    org_id              TEXT NOT NULL,
    id                  TEXT NOT NULL,
    team_id             TEXT,
    summary             TEXT,
    summarized_through  INTEGER NOT NULL DEFAULT 0,
    last_seq            INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE thread_messages (
    org_id      TEXT NOT NULL,
    thread_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    source      TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, thread_id, seq),
    FOREIGN KEY (org_id, thread_id) REFERENCES threads (org_id, id) ON DELETE CASCADE
);

CREATE INDEX thread_messages_source ON thread_messages (org_id, thread_id, source);
