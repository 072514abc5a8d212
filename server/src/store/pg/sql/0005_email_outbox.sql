-- Email fallback (DESIGN.md "Agents' day"): agent replies a visitor did not see live are emailed
-- to the conversation's verified contact. One pending row per conversation; it stays until the
-- SMTP server took the email (a crash or an outage loses nothing), with its attempts and the
-- last error for operators.
CREATE TABLE email_outbox (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    due_at          BIGINT NOT NULL,
    -- The latest agent reply queued: a reply queued while the worker handles the row keeps it.
    queued_seq      BIGINT NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX email_outbox_due ON email_outbox (due_at);

-- What was emailed last: at most one email per conversation per 10 minutes, each reply once.
ALTER TABLE conversations ADD COLUMN emailed_at BIGINT;
ALTER TABLE conversations ADD COLUMN emailed_seq BIGINT NOT NULL DEFAULT 0;

-- When a visitor's event stream was last open (updated while open and when it closes).
ALTER TABLE sessions ADD COLUMN stream_seen_at BIGINT;
