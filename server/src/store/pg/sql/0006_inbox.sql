-- The live inbox (DESIGN.md "Agents' day"): whether a conversation waits for a reply (its last
-- message is the visitor's), how far each agent has read each conversation, and each agent's
-- opt-in notifications.
ALTER TABLE conversations ADD COLUMN waiting BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE conversations SET waiting = coalesce(
    (SELECT author = 'visitor' FROM messages m WHERE m.conversation_id = conversations.id
     ORDER BY m.seq DESC LIMIT 1), FALSE);
CREATE INDEX conversations_waiting ON conversations (workspace_id) WHERE waiting AND status = 'open';

CREATE TABLE agent_reads (
    agent_id        BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    read_seq        BIGINT NOT NULL,
    PRIMARY KEY (agent_id, conversation_id)
);
CREATE INDEX agent_reads_by_conversation ON agent_reads (conversation_id);

ALTER TABLE agents ADD COLUMN notify_sound BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE agents ADD COLUMN notify_browser BOOLEAN NOT NULL DEFAULT FALSE;
