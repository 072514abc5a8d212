-- Workspaces: one per site. `secret` is the current verification secret, never shown again
-- after generate/regenerate; `secret_version` counts regenerations (0 = no secret yet).
CREATE TABLE workspaces (
    id             INTEGER PRIMARY KEY,
    app_id         TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    plan           TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'enterprise')),
    mode           TEXT NOT NULL DEFAULT 'off' CHECK (mode IN ('off', 'optional', 'required')),
    secret         TEXT,
    secret_version INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE workspace_origins (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    origin       TEXT NOT NULL,
    PRIMARY KEY (workspace_id, origin)
) STRICT;

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    email         TEXT NOT NULL COLLATE NOCASE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'agent')),
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, email)
) STRICT;

-- Contacts are keyed by (workspace, user id) and nothing else.
CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    user_id      TEXT NOT NULL,
    email        TEXT,
    name         TEXT,
    company      TEXT,
    phone        TEXT,
    traits       TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, user_id)
) STRICT;

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id),
    visitor_label    TEXT NOT NULL,
    contact_id       INTEGER REFERENCES contacts (id),
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    last_message     TEXT
) STRICT;
CREATE INDEX conversations_by_activity ON conversations (workspace_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_by_contact ON conversations (contact_id);

-- Visitor sessions. The token is stored only as its SHA-256.
CREATE TABLE sessions (
    id                      INTEGER PRIMARY KEY,
    workspace_id            INTEGER NOT NULL REFERENCES workspaces (id),
    token_hash              BLOB NOT NULL UNIQUE,
    conversation_id         INTEGER NOT NULL REFERENCES conversations (id),
    contact_id              INTEGER REFERENCES contacts (id),
    verified_secret_version INTEGER,
    revoked_at              INTEGER,
    created_at              INTEGER NOT NULL
) STRICT;

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    author          TEXT NOT NULL CHECK (author IN ('visitor', 'agent')),
    agent_id        INTEGER REFERENCES agents (id),
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);

-- Every identify outcome, for the verification activity panel. Never a signature.
CREATE TABLE identify_events (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    at           INTEGER NOT NULL,
    user_id      TEXT,
    result       TEXT NOT NULL,
    code         TEXT,
    hint         TEXT
) STRICT;
CREATE INDEX identify_events_by_time ON identify_events (workspace_id, at);

-- Credentials of the demo workspace made by `serve --demo` (only there), so a second start can
-- print the same login.
CREATE TABLE demo (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    workspace_id   INTEGER NOT NULL REFERENCES workspaces (id),
    owner_email    TEXT NOT NULL,
    owner_password TEXT NOT NULL
) STRICT;
