//! Agents and their dashboard sessions: logins, the session a cookie names (with its CSRF token
//! and the secret waiting to be shown once).

use rusqlite::{params, Connection, OptionalExtension};

use super::{parse_enum, StoreError};
use crate::store::model::*;

/// Every agent login with this email (one per workspace), oldest first.
pub fn logins(conn: &Connection, email: &str) -> Result<Vec<Login>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, password_hash FROM agents WHERE email = ?1 ORDER BY id")?;
    let rows = stmt
        .query_map([email], |r| {
            Ok(Login {
                agent_id: r.get(0)?,
                password_hash: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Starts a dashboard session.
pub fn create_session(
    conn: &Connection,
    agent_id: i64,
    token_hash: &[u8],
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.execute("DELETE FROM agent_sessions WHERE expires_at <= ?1", [now])?;
    conn.execute(
        "INSERT INTO agent_sessions (token_hash, agent_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash, agent_id, csrf, now, expires_at],
    )?;
    Ok(())
}

/// Ends a dashboard session.
pub fn delete_session(conn: &Connection, token_hash: &[u8]) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM agent_sessions WHERE token_hash = ?1",
        [token_hash],
    )?;
    Ok(())
}

/// The agent behind a live session token.
pub fn agent_by_session(
    conn: &Connection,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<AgentCtx>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT a.id, a.email, a.role, s.csrf, w.id, w.app_id, w.name, w.plan, w.mode, w.secret_version,
                    s.id, s.expires_at, s.flash_secret IS NOT NULL, a.presence, a.notify_sound,
                    a.notify_browser
             FROM agent_sessions s JOIN agents a ON a.id = s.agent_id JOIN workspaces w ON w.id = a.workspace_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        )?
        .query_row(params![token_hash, now], |r| {
            Ok(AgentCtx {
                agent_id: r.get(0)?,
                email: r.get(1)?,
                role: parse_enum(r, 2)?,
                csrf: r.get(3)?,
                workspace_id: r.get(4)?,
                app_id: r.get(5)?,
                workspace_name: r.get(6)?,
                plan: parse_enum(r, 7)?,
                mode: parse_enum(r, 8)?,
                secret_version: r.get(9)?,
                session_id: r.get(10)?,
                expires_at: r.get(11)?,
                flash_waiting: r.get(12)?,
                presence: parse_enum(r, 13)?,
                notify_sound: r.get(14)?,
                notify_browser: r.get(15)?,
            })
        })
        .optional()?)
}

/// Sets what an agent chose: online or away.
pub fn set_presence(
    conn: &Connection,
    agent_id: i64,
    presence: Presence,
) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE agents SET presence = ?2 WHERE id = ?1")?
        .execute(params![agent_id, presence.as_str()])?;
    Ok(())
}

/// Notes that an open dashboard of the agent was heard from (written at most once a minute).
pub fn seen(conn: &Connection, agent_id: i64, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE agents SET last_seen_at = ?2
         WHERE id = ?1 AND (last_seen_at IS NULL OR last_seen_at < ?2 - 60000)",
    )?
    .execute(params![agent_id, now])?;
    Ok(())
}

/// The agent logged out: not seen any more.
pub fn left(conn: &Connection, agent_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE agents SET last_seen_at = NULL WHERE id = ?1")?
        .execute([agent_id])?;
    Ok(())
}

/// How many agents of the workspace chose online and were seen since `since`.
pub fn online(conn: &Connection, workspace_id: i64, since: i64) -> Result<u32, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM agents
             WHERE workspace_id = ?1 AND presence = 'online' AND last_seen_at >= ?2",
        )?
        .query_row(params![workspace_id, since], |r| r.get(0))?)
}

/// Sets an agent's opt-in notifications.
pub fn set_notifications(
    conn: &Connection,
    agent_id: i64,
    sound: bool,
    browser: bool,
) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE agents SET notify_sound = ?2, notify_browser = ?3 WHERE id = ?1")?
        .execute(params![agent_id, sound, browser])?;
    Ok(())
}

/// The agent has read the conversation up to position `seq` (never moves back).
pub fn mark_read(
    conn: &Connection,
    agent_id: i64,
    conversation_id: i64,
    seq: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO agent_reads (agent_id, conversation_id, read_seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (agent_id, conversation_id) DO UPDATE SET read_seq = max(read_seq, excluded.read_seq)",
    )?
    .execute(params![agent_id, conversation_id, seq])?;
    Ok(())
}

/// How far the agent has read each of `conversations`.
pub fn read_positions(
    conn: &Connection,
    agent_id: i64,
    conversations: &[i64],
) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT read_seq FROM agent_reads WHERE agent_id = ?1 AND conversation_id = ?2",
    )?;
    let mut out = Vec::new();
    for id in conversations {
        if let Some(seq) = stmt
            .query_row(params![agent_id, id], |r| r.get(0))
            .optional()?
        {
            out.push((*id, seq));
        }
    }
    Ok(out)
}

/// Keeps a newly generated secret for the one page view that shows it (post/redirect/get).
pub fn set_flash_secret(
    conn: &Connection,
    session_id: i64,
    secret: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE agent_sessions SET flash_secret = ?2 WHERE id = ?1",
        params![session_id, secret],
    )?;
    Ok(())
}

/// Takes (and erases) the secret waiting for this dashboard session, if any.
pub fn take_flash_secret(conn: &Connection, session_id: i64) -> Result<Option<String>, StoreError> {
    let secret: Option<String> = conn
        .query_row(
            "SELECT flash_secret FROM agent_sessions WHERE id = ?1",
            [session_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if secret.is_some() {
        conn.execute(
            "UPDATE agent_sessions SET flash_secret = NULL WHERE id = ?1",
            [session_id],
        )?;
    }
    Ok(secret)
}
