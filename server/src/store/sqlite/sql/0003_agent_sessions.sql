-- Dashboard logins. The cookie token is stored only as its SHA-256; `csrf` is the token every
-- form of that session must carry.
CREATE TABLE agent_sessions (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    agent_id   INTEGER NOT NULL REFERENCES agents (id),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX contacts_by_update ON contacts (workspace_id, updated_at DESC, id DESC);
CREATE INDEX conversations_by_created ON conversations (workspace_id, created_at);
