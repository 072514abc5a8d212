-- The second wave's identity rules (DESIGN.md "Conversations and contacts").

-- A conversation is listed, counted and found only once it started: its first message or the
-- visitor's contact-form details. Until then `started_at` is NULL.
ALTER TABLE conversations ADD COLUMN started_at INTEGER;
UPDATE conversations SET started_at = created_at
 WHERE last_message IS NOT NULL OR visitor_name IS NOT NULL OR visitor_email IS NOT NULL;
DROP INDEX conversations_by_activity;
CREATE INDEX conversations_listed ON conversations (workspace_id, last_activity_at DESC, id DESC)
 WHERE started_at IS NOT NULL;
DROP INDEX conversations_by_created;
CREATE INDEX conversations_by_start ON conversations (workspace_id, started_at)
 WHERE started_at IS NOT NULL;
CREATE INDEX conversations_unstarted ON conversations (id) WHERE started_at IS NULL;

-- Sessions expire after 30 days without use; `last_seen_at` is refreshed at most hourly.
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_by_conversation ON sessions (conversation_id);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);

-- Whether the visitor message was sent by a session verified under the then current secret.
-- Earlier visitor messages of linked conversations were shown as verified: they stay so.
ALTER TABLE messages ADD COLUMN verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
UPDATE messages SET verified = 1
 WHERE author = 'visitor'
   AND conversation_id IN (SELECT id FROM conversations WHERE contact_id IS NOT NULL);

-- A newly generated secret waits here for the one page view that shows it (post/redirect/get),
-- then is erased.
ALTER TABLE agent_sessions ADD COLUMN flash_secret TEXT;

-- The demo keeps no password: only the agents table's argon2 hash.
CREATE TABLE demo_v2 (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    owner_email  TEXT NOT NULL
) STRICT;
INSERT INTO demo_v2 (id, workspace_id, owner_email) SELECT id, workspace_id, owner_email FROM demo;
DROP TABLE demo;
ALTER TABLE demo_v2 RENAME TO demo;
