-- Credentials: the secret fields are sealed (AES-256-GCM) by the caller before they get here;
-- this table never holds plaintext.

CREATE TABLE credentials (
    id          TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    team_id     TEXT,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE UNIQUE INDEX credentials_org_name ON credentials (org_id, name);
