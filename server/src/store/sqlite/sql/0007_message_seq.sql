-- Messages carry their position in their conversation, 1, 2, 3 … (DESIGN.md "Scale-out:
-- PostgreSQL"): `GET messages?after=SEQ` and the event stream's `id:` count in it, so a reader
-- never skips a message that commits late (ids can become visible out of order when several
-- writers insert). The conversation hands out the next one in the insert's transaction.
ALTER TABLE conversations ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
WITH numbered AS (
    SELECT id, row_number() OVER (PARTITION BY conversation_id ORDER BY id) AS n FROM messages
)
UPDATE messages SET seq = numbered.n FROM numbered WHERE numbered.id = messages.id;
UPDATE conversations
   SET last_seq = (SELECT coalesce(max(seq), 0) FROM messages m WHERE m.conversation_id = conversations.id);
DROP INDEX messages_by_conversation;
CREATE UNIQUE INDEX messages_by_seq ON messages (conversation_id, seq);
