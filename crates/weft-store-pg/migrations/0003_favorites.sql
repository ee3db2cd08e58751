-- Favourite workflows, per user (the UI's star). A deleted workflow stops being a favourite.
CREATE TABLE workflow_favorites (
    org_id       text NOT NULL,
    user_id      text NOT NULL,
    workflow_id  text COLLATE "C" NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id, workflow_id)
);

CREATE INDEX workflow_favorites_workflow ON workflow_favorites (workflow_id);
