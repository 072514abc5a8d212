-- Data-subject tooling and retention (DESIGN.md "Operations, continued").
-- Conversations idle longer than this many days are deleted with their messages (NULL: kept).
ALTER TABLE workspaces ADD COLUMN retention_days INTEGER CHECK (retention_days IS NULL OR retention_days > 0);
-- A contact's identify events are found (exported, deleted) by the user id sent.
CREATE INDEX identify_events_by_user ON identify_events (workspace_id, user_id);
