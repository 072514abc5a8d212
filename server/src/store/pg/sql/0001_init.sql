-- ReplyBubble on PostgreSQL (DESIGN.md "Scale-out: PostgreSQL"): the same data as the SQLite
-- schema after its migration 0007, in one step. Times are milliseconds since the epoch (BIGINT),
-- as on SQLite, so both engines give the same values to the layers above.

CREATE TABLE workspaces (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id         TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    plan           TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'enterprise')),
    mode           TEXT NOT NULL DEFAULT 'off' CHECK (mode IN ('off', 'optional', 'required')),
    secret         TEXT,
    secret_version INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    retention_days INTEGER CHECK (retention_days IS NULL OR retention_days > 0)
);

CREATE TABLE workspace_origins (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    origin       TEXT NOT NULL,
    PRIMARY KEY (workspace_id, origin)
);

-- Emails compare without case, as SQLite's COLLATE NOCASE: stored as given, unique by lower().
CREATE TABLE agents (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id),
    email         TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'agent')),
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX agents_by_email ON agents (workspace_id, lower(email));
CREATE INDEX agents_by_login ON agents (lower(email));

CREATE TABLE agent_sessions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    agent_id     BIGINT NOT NULL REFERENCES agents (id),
    csrf         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    flash_secret TEXT
);

CREATE TABLE contacts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    user_id      TEXT NOT NULL,
    email        TEXT,
    name         TEXT,
    company      TEXT,
    phone        TEXT,
    traits       TEXT NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, user_id)
);
CREATE INDEX contacts_by_update ON contacts (workspace_id, updated_at DESC, id DESC);

CREATE TABLE conversations (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id     BIGINT NOT NULL REFERENCES workspaces (id),
    visitor_label    TEXT NOT NULL,
    contact_id       BIGINT REFERENCES contacts (id),
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at       BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    last_message     TEXT,
    visitor_name     TEXT,
    visitor_email    TEXT,
    started_at       BIGINT,
    last_seq         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX conversations_by_contact ON conversations (contact_id);
CREATE INDEX conversations_listed ON conversations (workspace_id, last_activity_at DESC, id DESC)
 WHERE started_at IS NOT NULL;
CREATE INDEX conversations_unstarted ON conversations (id) WHERE started_at IS NULL;
CREATE INDEX conversations_by_start ON conversations (workspace_id, started_at, contact_id)
 WHERE started_at IS NOT NULL;

CREATE TABLE sessions (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id            BIGINT NOT NULL REFERENCES workspaces (id),
    token_hash              BYTEA NOT NULL UNIQUE,
    conversation_id         BIGINT NOT NULL REFERENCES conversations (id),
    contact_id              BIGINT REFERENCES contacts (id),
    verified_secret_version INTEGER,
    revoked_at              BIGINT,
    created_at              BIGINT NOT NULL,
    last_seen_at            BIGINT NOT NULL
);
CREATE INDEX sessions_by_conversation ON sessions (conversation_id);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);

-- `seq` is the message's position in its conversation, handed out by the conversation's
-- `last_seq` in the insert's transaction: readers page by it, never by `id`, whose values may
-- become visible out of order under concurrent inserts.
CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    author          TEXT NOT NULL CHECK (author IN ('visitor', 'agent')),
    agent_id        BIGINT REFERENCES agents (id),
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    verified        BOOLEAN NOT NULL DEFAULT false,
    UNIQUE (conversation_id, seq)
);

-- Stream tickets live in the database so one instance issues and any other redeems (once:
-- DELETE … RETURNING); gone with their session.
CREATE TABLE stream_tickets (
    ticket_hash BYTEA PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX stream_tickets_by_expiry ON stream_tickets (expires_at);
CREATE INDEX stream_tickets_by_session ON stream_tickets (session_id);

CREATE TABLE demo (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    owner_email  TEXT NOT NULL
);

-- The identify activity: raw calls 30 days, rollups as on SQLite (migration 0006 there).
CREATE TABLE identify_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    at           BIGINT NOT NULL,
    user_id      TEXT,
    result       TEXT NOT NULL,
    code         TEXT,
    hint         TEXT
);
CREATE INDEX identify_events_by_time ON identify_events (workspace_id, at);
CREATE INDEX identify_events_by_user ON identify_events (workspace_id, user_id);

CREATE TABLE identify_hourly (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    hour         BIGINT NOT NULL,
    result       TEXT NOT NULL,
    code         TEXT NOT NULL,
    hint         TEXT NOT NULL,
    calls        BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, hour, result, code, hint)
);

CREATE TABLE identify_users (
    workspace_id      BIGINT NOT NULL REFERENCES workspaces (id),
    user_id           TEXT NOT NULL,
    last_checked_hour BIGINT,
    last_unready_hour BIGINT,
    last_failed_at    BIGINT,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX identify_users_checked ON identify_users (workspace_id, last_checked_hour);
CREATE INDEX identify_users_unready ON identify_users (workspace_id, last_unready_hour);
CREATE INDEX identify_users_failed ON identify_users (workspace_id, last_failed_at);

CREATE TABLE identify_failures_hourly (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    user_id      TEXT NOT NULL,
    code         TEXT NOT NULL,
    hint         TEXT NOT NULL,
    hour         BIGINT NOT NULL,
    calls        BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id, code, hint, hour)
);

-- The home page's counts, kept by triggers as conversations and contacts change (a
-- conversation is open when it started and is not closed).
CREATE TABLE workspace_counts (
    workspace_id       BIGINT PRIMARY KEY REFERENCES workspaces (id),
    open_conversations BIGINT NOT NULL DEFAULT 0,
    contacts           BIGINT NOT NULL DEFAULT 0
);

CREATE FUNCTION workspace_counts_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO workspace_counts (workspace_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER workspace_counts_new AFTER INSERT ON workspaces
    FOR EACH ROW EXECUTE FUNCTION workspace_counts_new();

CREATE FUNCTION open_conversations_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BOOLEAN := TG_OP <> 'INSERT' AND OLD.status = 'open' AND OLD.started_at IS NOT NULL;
    now_open BOOLEAN := TG_OP <> 'DELETE' AND NEW.status = 'open' AND NEW.started_at IS NOT NULL;
BEGIN
    IF was IS DISTINCT FROM now_open THEN
        UPDATE workspace_counts
           SET open_conversations = open_conversations + CASE WHEN now_open THEN 1 ELSE -1 END
         WHERE workspace_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.workspace_id ELSE NEW.workspace_id END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER open_conversations_kept
    AFTER INSERT OR DELETE OR UPDATE OF status, started_at ON conversations
    FOR EACH ROW EXECUTE FUNCTION open_conversations_kept();

CREATE FUNCTION contacts_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workspace_counts
       SET contacts = contacts + CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END
     WHERE workspace_id = CASE WHEN TG_OP = 'INSERT' THEN NEW.workspace_id ELSE OLD.workspace_id END;
    RETURN NULL;
END $$;
CREATE TRIGGER contacts_kept AFTER INSERT OR DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_kept();
