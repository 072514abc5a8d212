-- The live inbox (DESIGN.md "Agents' day"): whether a conversation waits for a reply (its last
-- message is the visitor's), how far each agent has read each conversation, and each agent's
-- opt-in notifications.
ALTER TABLE conversations ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET waiting = coalesce(
    (SELECT author = 'visitor' FROM messages m WHERE m.conversation_id = conversations.id
     ORDER BY m.seq DESC LIMIT 1), 0);

-- How many open conversations wait for a reply (the tab title's count), kept by triggers like
-- the open conversations (migration 0006): one row read however many conversations there are.
ALTER TABLE workspace_counts ADD COLUMN waiting_conversations INTEGER NOT NULL DEFAULT 0;
UPDATE workspace_counts SET waiting_conversations = (
    SELECT count(*) FROM conversations c
     WHERE c.workspace_id = workspace_counts.workspace_id AND c.waiting = 1 AND c.status = 'open'
       AND c.started_at IS NOT NULL);
CREATE TRIGGER waiting_conversation_added AFTER INSERT ON conversations
WHEN new.waiting = 1 AND new.status = 'open' AND new.started_at IS NOT NULL BEGIN
    UPDATE workspace_counts SET waiting_conversations = waiting_conversations + 1
     WHERE workspace_id = new.workspace_id;
END;
CREATE TRIGGER waiting_conversation_removed AFTER DELETE ON conversations
WHEN old.waiting = 1 AND old.status = 'open' AND old.started_at IS NOT NULL BEGIN
    UPDATE workspace_counts SET waiting_conversations = waiting_conversations - 1
     WHERE workspace_id = old.workspace_id;
END;
CREATE TRIGGER waiting_conversation_changed AFTER UPDATE OF waiting, status, started_at ON conversations
WHEN (old.waiting = 1 AND old.status = 'open' AND old.started_at IS NOT NULL)
     IS NOT (new.waiting = 1 AND new.status = 'open' AND new.started_at IS NOT NULL) BEGIN
    UPDATE workspace_counts
       SET waiting_conversations = waiting_conversations
           + CASE WHEN new.waiting = 1 AND new.status = 'open' AND new.started_at IS NOT NULL THEN 1 ELSE -1 END
     WHERE workspace_id = new.workspace_id;
END;

CREATE TABLE agent_reads (
    agent_id        INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    read_seq        INTEGER NOT NULL,
    PRIMARY KEY (agent_id, conversation_id)
);
CREATE INDEX agent_reads_by_conversation ON agent_reads (conversation_id);

ALTER TABLE agents ADD COLUMN notify_sound INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN notify_browser INTEGER NOT NULL DEFAULT 0;
