-- Agents' presence (DESIGN.md "Agents' day"): what the agent chose, and when an open dashboard
-- of theirs was last heard from (online = chose online and seen within 10 minutes).
ALTER TABLE agents ADD COLUMN presence TEXT NOT NULL DEFAULT 'online'
    CHECK (presence IN ('online', 'away'));
ALTER TABLE agents ADD COLUMN last_seen_at BIGINT;

-- Business hours: an IANA time zone and the week as text (mon=09:00-17:00,...,sun=closed);
-- NULL: no hours, open whenever an agent is online.
ALTER TABLE workspaces ADD COLUMN time_zone TEXT;
ALTER TABLE workspaces ADD COLUMN hours TEXT;
ALTER TABLE workspaces ADD COLUMN hide_when_offline BOOLEAN NOT NULL DEFAULT FALSE;
