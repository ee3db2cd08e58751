-- A journal row may hold a whole write batch: `entries` events from `seq` on, stored as a JSON
-- array of {"at", "event"} objects, one row per batch instead of one per event (a run of ten
-- pure steps is written once, at its end). A row with `entries` = 1 holds the event itself.
ALTER TABLE journal ADD COLUMN entries INTEGER NOT NULL DEFAULT 1;
