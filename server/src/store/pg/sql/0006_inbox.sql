-- The live inbox (DESIGN.md "Agents' day"): whether a conversation waits for a reply (its last
-- message is the visitor's), how far each agent has read each conversation, and each agent's
-- opt-in notifications.
ALTER TABLE conversations ADD COLUMN waiting BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE conversations SET waiting = coalesce(
    (SELECT author = 'visitor' FROM messages m WHERE m.conversation_id = conversations.id
     ORDER BY m.seq DESC LIMIT 1), FALSE);

-- How many open conversations wait for a reply (the tab title's count), kept by a trigger like
-- the open conversations: one row read however many conversations there are.
ALTER TABLE workspace_counts ADD COLUMN waiting_conversations BIGINT NOT NULL DEFAULT 0;
UPDATE workspace_counts SET waiting_conversations = (
    SELECT count(*) FROM conversations c
     WHERE c.workspace_id = workspace_counts.workspace_id AND c.waiting AND c.status = 'open'
       AND c.started_at IS NOT NULL);
CREATE FUNCTION waiting_conversations_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BOOLEAN := TG_OP <> 'INSERT' AND OLD.waiting AND OLD.status = 'open' AND OLD.started_at IS NOT NULL;
    now_waiting BOOLEAN := TG_OP <> 'DELETE' AND NEW.waiting AND NEW.status = 'open' AND NEW.started_at IS NOT NULL;
BEGIN
    IF was IS DISTINCT FROM now_waiting THEN
        UPDATE workspace_counts
           SET waiting_conversations = waiting_conversations + CASE WHEN now_waiting THEN 1 ELSE -1 END
         WHERE workspace_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.workspace_id ELSE NEW.workspace_id END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER waiting_conversations_kept
    AFTER INSERT OR DELETE OR UPDATE OF waiting, status, started_at ON conversations
    FOR EACH ROW EXECUTE FUNCTION waiting_conversations_kept();

CREATE TABLE agent_reads (
    agent_id        BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    read_seq        BIGINT NOT NULL,
    PRIMARY KEY (agent_id, conversation_id)
);
CREATE INDEX agent_reads_by_conversation ON agent_reads (conversation_id);

ALTER TABLE agents ADD COLUMN notify_sound BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE agents ADD COLUMN notify_browser BOOLEAN NOT NULL DEFAULT FALSE;
