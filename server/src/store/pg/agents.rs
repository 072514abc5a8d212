//! The PostgreSQL port of `sqlite/agents.rs`: agents and their dashboard sessions: logins, the
//! session a cookie names (with its CSRF token and the secret waiting to be shown once).

use deadpool_postgres::Transaction;

use super::{parse_enum, StoreError};
use crate::store::model::*;

/// Every agent login with this email (one per workspace), oldest first. Emails compare without
/// case (`lower(email)`, as the agents' unique index).
pub async fn logins(tx: &Transaction<'_>, email: &str) -> Result<Vec<Login>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT id, password_hash FROM agents WHERE lower(email) = lower($1) ORDER BY id",
        )
        .await?;
    let rows = tx.query(&stmt, &[&email]).await?;
    let logins = rows
        .iter()
        .map(|r| -> Result<Login, StoreError> {
            Ok(Login {
                agent_id: r.try_get(0)?,
                password_hash: r.try_get(1)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(logins)
}

/// Starts a dashboard session.
pub async fn create_session(
    tx: &Transaction<'_>,
    agent_id: i64,
    token_hash: &[u8],
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("DELETE FROM agent_sessions WHERE expires_at <= $1")
        .await?;
    tx.execute(&stmt, &[&now]).await?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO agent_sessions (token_hash, agent_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    tx.execute(&stmt, &[&token_hash, &agent_id, &csrf, &now, &expires_at])
        .await?;
    Ok(())
}

/// Ends a dashboard session; every server ends its streams.
pub async fn delete_session(tx: &Transaction<'_>, token_hash: &[u8]) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("DELETE FROM agent_sessions WHERE token_hash = $1 RETURNING id")
        .await?;
    for row in tx.query(&stmt, &[&token_hash]).await? {
        super::notify(Notice::AgentSessionEnded(row.try_get(0)?));
    }
    Ok(())
}

/// The agent behind a live session token.
pub async fn agent_by_session(
    tx: &Transaction<'_>,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<AgentCtx>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT a.id, a.email, a.role, s.csrf, w.id, w.app_id, w.name, w.plan, w.mode, w.secret_version,
                    s.id, s.expires_at, s.flash_secret IS NOT NULL, a.presence, a.notify_sound,
                    a.notify_browser
             FROM agent_sessions s JOIN agents a ON a.id = s.agent_id JOIN workspaces w ON w.id = a.workspace_id
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .await?;
    let Some(r) = tx.query_opt(&stmt, &[&token_hash, &now]).await? else {
        return Ok(None);
    };
    Ok(Some(AgentCtx {
        agent_id: r.try_get(0)?,
        email: r.try_get(1)?,
        role: parse_enum(&r, 2)?,
        csrf: r.try_get(3)?,
        workspace_id: r.try_get(4)?,
        app_id: r.try_get(5)?,
        workspace_name: r.try_get(6)?,
        plan: parse_enum(&r, 7)?,
        mode: parse_enum(&r, 8)?,
        secret_version: r.try_get::<_, i32>(9)? as u32,
        session_id: r.try_get(10)?,
        expires_at: r.try_get(11)?,
        flash_waiting: r.try_get(12)?,
        presence: parse_enum(&r, 13)?,
        notify_sound: r.try_get(14)?,
        notify_browser: r.try_get(15)?,
    }))
}

/// Sets what an agent chose: online or away.
pub async fn set_presence(
    tx: &Transaction<'_>,
    agent_id: i64,
    presence: Presence,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE agents SET presence = $2 WHERE id = $1")
        .await?;
    tx.execute(&stmt, &[&agent_id, &presence.as_str()]).await?;
    Ok(())
}

/// Notes that an open dashboard of the agent was heard from (written at most once a minute).
pub async fn seen(tx: &Transaction<'_>, agent_id: i64, now: i64) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE agents SET last_seen_at = $2::BIGINT
             WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2::BIGINT - 60000)",
        )
        .await?;
    tx.execute(&stmt, &[&agent_id, &now]).await?;
    Ok(())
}

/// The agent logged out: not seen any more.
pub async fn left(tx: &Transaction<'_>, agent_id: i64) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE agents SET last_seen_at = NULL WHERE id = $1")
        .await?;
    tx.execute(&stmt, &[&agent_id]).await?;
    Ok(())
}

/// How many agents of the workspace chose online and were seen since `since`.
pub async fn online(
    tx: &Transaction<'_>,
    workspace_id: i64,
    since: i64,
) -> Result<u32, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT count(*) FROM agents
             WHERE workspace_id = $1 AND presence = 'online' AND last_seen_at >= $2",
        )
        .await?;
    let n: i64 = tx
        .query_one(&stmt, &[&workspace_id, &since])
        .await?
        .try_get(0)?;
    Ok(n as u32)
}

/// Sets an agent's opt-in notifications.
pub async fn set_notifications(
    tx: &Transaction<'_>,
    agent_id: i64,
    sound: bool,
    browser: bool,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE agents SET notify_sound = $2, notify_browser = $3 WHERE id = $1")
        .await?;
    tx.execute(&stmt, &[&agent_id, &sound, &browser]).await?;
    Ok(())
}

/// The agent has read the conversation up to position `seq` (never moves back).
pub async fn mark_read(
    tx: &Transaction<'_>,
    agent_id: i64,
    conversation_id: i64,
    seq: i64,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO agent_reads (agent_id, conversation_id, read_seq) VALUES ($1, $2, $3)
             ON CONFLICT (agent_id, conversation_id)
             DO UPDATE SET read_seq = greatest(agent_reads.read_seq, excluded.read_seq)",
        )
        .await?;
    tx.execute(&stmt, &[&agent_id, &conversation_id, &seq])
        .await?;
    Ok(())
}

/// How far the agent has read each of `conversations`.
pub async fn read_positions(
    tx: &Transaction<'_>,
    agent_id: i64,
    conversations: &[i64],
) -> Result<Vec<(i64, i64)>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT conversation_id, read_seq FROM agent_reads
             WHERE agent_id = $1 AND conversation_id = ANY($2)",
        )
        .await?;
    tx.query(&stmt, &[&agent_id, &conversations])
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Keeps a newly generated secret for the one page view that shows it (post/redirect/get).
pub async fn set_flash_secret(
    tx: &Transaction<'_>,
    session_id: i64,
    secret: &str,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE agent_sessions SET flash_secret = $2 WHERE id = $1")
        .await?;
    tx.execute(&stmt, &[&session_id, &secret]).await?;
    Ok(())
}

/// Takes (and erases) the secret waiting for this dashboard session, if any.
/// (The session's row is locked while the secret is read, so two concurrent takes cannot both
/// get it.)
pub async fn take_flash_secret(
    tx: &Transaction<'_>,
    session_id: i64,
) -> Result<Option<String>, StoreError> {
    let stmt = tx
        .prepare_cached("SELECT flash_secret FROM agent_sessions WHERE id = $1 FOR UPDATE")
        .await?;
    let secret: Option<String> = match tx.query_opt(&stmt, &[&session_id]).await? {
        Some(r) => r.try_get(0)?,
        None => None,
    };
    if secret.is_some() {
        let stmt = tx
            .prepare_cached("UPDATE agent_sessions SET flash_secret = NULL WHERE id = $1")
            .await?;
        tx.execute(&stmt, &[&session_id]).await?;
    }
    Ok(secret)
}
