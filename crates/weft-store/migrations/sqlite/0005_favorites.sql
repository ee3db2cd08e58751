-- Favourite workflows, per user (the UI's star). A deleted workflow stops being a favourite.
CREATE TABLE workflow_favorites (
    org_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    workflow_id  TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id, workflow_id)
) WITHOUT ROWID;

CREATE INDEX workflow_favorites_workflow ON workflow_favorites (workflow_id);
