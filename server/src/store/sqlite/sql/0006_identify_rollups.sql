-- Verification activity that stays fast however many identify() calls a site makes (DESIGN.md
-- "Operations, continued"): identify_events keeps the raw calls for 30 days; these tables are
-- updated in the same transaction as each raw row and are what the panel reads.
-- Empty strings stand for "none" in code, hint and user_id, so they can be part of a key.

-- Calls per hour and outcome, kept 400 days. `hour` is the hour's start (ms since the epoch).
CREATE TABLE identify_hourly (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    hour         INTEGER NOT NULL,
    result       TEXT NOT NULL,
    code         TEXT NOT NULL,
    hint         TEXT NOT NULL,
    calls        INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, hour, result, code, hint)
) STRICT, WITHOUT ROWID;

-- Per user id: the hour it was last checked (verified, unverified, rejected) and last had a call
-- that Required would reject (unverified, rejected), and when it last failed (those and
-- invalid). Readiness counts these rows; the failures list starts from the latest failing ones.
-- Hours, not times, for the first two: a user's calls within an hour write nothing more. Kept
-- 30 days.
CREATE TABLE identify_users (
    workspace_id      INTEGER NOT NULL REFERENCES workspaces (id),
    user_id           TEXT NOT NULL,
    last_checked_hour INTEGER,
    last_unready_hour INTEGER,
    last_failed_at    INTEGER,
    PRIMARY KEY (workspace_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX identify_users_checked ON identify_users (workspace_id, last_checked_hour);
CREATE INDEX identify_users_unready ON identify_users (workspace_id, last_unready_hour);
CREATE INDEX identify_users_failed ON identify_users (workspace_id, last_failed_at);

-- Failing calls per user id, code, hint and hour, with the latest call's time. Kept 30 days.
CREATE TABLE identify_failures_hourly (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    user_id      TEXT NOT NULL,
    code         TEXT NOT NULL,
    hint         TEXT NOT NULL,
    hour         INTEGER NOT NULL,
    calls        INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id, code, hint, hour)
) STRICT, WITHOUT ROWID;

-- Existing raw events, rolled up.
INSERT INTO identify_hourly (workspace_id, hour, result, code, hint, calls)
SELECT workspace_id, at - at % 3600000, result, coalesce(code, ''), coalesce(hint, ''), count(*)
FROM identify_events GROUP BY 1, 2, 3, 4, 5;

INSERT INTO identify_users (workspace_id, user_id, last_checked_hour, last_unready_hour, last_failed_at)
SELECT workspace_id, coalesce(user_id, ''),
       max(CASE WHEN result IN ('verified', 'unverified', 'rejected') THEN at - at % 3600000 END),
       max(CASE WHEN result IN ('unverified', 'rejected') THEN at - at % 3600000 END),
       max(CASE WHEN result IN ('unverified', 'rejected', 'invalid') THEN at END)
FROM identify_events WHERE result IN ('verified', 'unverified', 'rejected', 'invalid') GROUP BY 1, 2;

INSERT INTO identify_failures_hourly (workspace_id, user_id, code, hint, hour, calls, last_at)
SELECT workspace_id, coalesce(user_id, ''), coalesce(code, ''), coalesce(hint, ''), at - at % 3600000, count(*), max(at)
FROM identify_events WHERE result IN ('unverified', 'rejected', 'invalid') GROUP BY 1, 2, 3, 4, 5;

-- The home page at a site's scale. The identified rate counts 30 days of started conversations
-- with their contact from an index alone:
DROP INDEX conversations_by_start;
CREATE INDEX conversations_by_start ON conversations (workspace_id, started_at, contact_id)
 WHERE started_at IS NOT NULL;

-- and the open conversations and the contacts are counted as they change, by triggers, so
-- every write path keeps them exact. A conversation is open when it started and is not closed.
CREATE TABLE workspace_counts (
    workspace_id       INTEGER PRIMARY KEY REFERENCES workspaces (id),
    open_conversations INTEGER NOT NULL DEFAULT 0,
    contacts           INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO workspace_counts (workspace_id, open_conversations, contacts)
SELECT w.id,
       (SELECT count(*) FROM conversations c
         WHERE c.workspace_id = w.id AND c.status = 'open' AND c.started_at IS NOT NULL),
       (SELECT count(*) FROM contacts k WHERE k.workspace_id = w.id)
FROM workspaces w;
CREATE TRIGGER workspace_counts_new AFTER INSERT ON workspaces BEGIN
    INSERT INTO workspace_counts (workspace_id) VALUES (new.id);
END;
CREATE TRIGGER open_conversation_added AFTER INSERT ON conversations
WHEN new.status = 'open' AND new.started_at IS NOT NULL BEGIN
    UPDATE workspace_counts SET open_conversations = open_conversations + 1
     WHERE workspace_id = new.workspace_id;
END;
CREATE TRIGGER open_conversation_removed AFTER DELETE ON conversations
WHEN old.status = 'open' AND old.started_at IS NOT NULL BEGIN
    UPDATE workspace_counts SET open_conversations = open_conversations - 1
     WHERE workspace_id = old.workspace_id;
END;
CREATE TRIGGER open_conversation_changed AFTER UPDATE OF status, started_at ON conversations
WHEN (old.status = 'open' AND old.started_at IS NOT NULL)
     IS NOT (new.status = 'open' AND new.started_at IS NOT NULL) BEGIN
    UPDATE workspace_counts
       SET open_conversations = open_conversations
           + CASE WHEN new.status = 'open' AND new.started_at IS NOT NULL THEN 1 ELSE -1 END
     WHERE workspace_id = new.workspace_id;
END;
CREATE TRIGGER contact_added AFTER INSERT ON contacts BEGIN
    UPDATE workspace_counts SET contacts = contacts + 1 WHERE workspace_id = new.workspace_id;
END;
CREATE TRIGGER contact_removed AFTER DELETE ON contacts BEGIN
    UPDATE workspace_counts SET contacts = contacts - 1 WHERE workspace_id = old.workspace_id;
END;
