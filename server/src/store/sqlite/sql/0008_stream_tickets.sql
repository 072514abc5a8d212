-- Stream tickets live in the database (DESIGN.md "Scale-out: PostgreSQL"), so that a ticket
-- issued by one server is redeemed by another; redeemed once (DELETE … RETURNING), gone with
-- their session.
CREATE TABLE stream_tickets (
    ticket_hash BLOB PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX stream_tickets_by_expiry ON stream_tickets (expires_at);
CREATE INDEX stream_tickets_by_session ON stream_tickets (session_id);
