-- Runs remember the stored workflow (API-managed) they belong to, for filtering by workflow
-- and for run-completed triggers. NULL for documents run straight from a file.
ALTER TABLE runs ADD COLUMN workflow_id TEXT;

CREATE INDEX runs_org_workflow ON runs (org_id, workflow_id, id) WHERE workflow_id IS NOT NULL;
CREATE INDEX runs_org_created ON runs (org_id, created_at);
