//! Visitor sessions and their conversations: creation, authentication by token hash,
//! revocation, and the claim rules of a verified identify.

use rusqlite::{params, Connection, OptionalExtension};

use super::contacts;
use super::{parse_enum, StoreError};
use crate::store::model::*;
use crate::store::{IdentifyApplied, IdentifyWrite};

/// The oldest `last_seen_at` a live session may have at `now`.
pub fn idle_cutoff(now: i64) -> i64 {
    now - crate::policy::VISITOR_SESSION_IDLE_DAYS * 24 * 3600 * 1000
}

/// The live session whose token hashes to `token_hash`: not revoked, and used within the last
/// 30 days.
pub fn authenticate(
    conn: &Connection,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<SessionCtx>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.workspace_id, s.conversation_id, c.visitor_label, s.contact_id,
                s.verified_secret_version, w.plan, w.mode, w.secret, w.secret_version,
                k.user_id, s.last_seen_at, w.app_id,
                (SELECT group_concat(origin, char(10)) FROM
                   (SELECT origin FROM workspace_origins o WHERE o.workspace_id = s.workspace_id ORDER BY origin))
         FROM sessions s
         JOIN workspaces w ON w.id = s.workspace_id
         JOIN conversations c ON c.id = s.conversation_id
         LEFT JOIN contacts k ON k.id = s.contact_id
         WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.last_seen_at > ?2",
    )?;
    let ctx = stmt
        .query_row(params![token_hash, idle_cutoff(now)], |r| {
            Ok(SessionCtx {
                session_id: r.get(0)?,
                workspace_id: r.get(1)?,
                conversation_id: r.get(2)?,
                visitor_label: r.get(3)?,
                contact_id: r.get(4)?,
                bound_user_id: r.get(10)?,
                last_seen_at: r.get(11)?,
                app_id: r.get(12)?,
                verified_secret_version: r.get(5)?,
                plan: parse_enum(r, 6)?,
                mode: parse_enum(r, 7)?,
                secret: match r.get::<_, Option<String>>(8)? {
                    Some(value) => Some(Secret {
                        value,
                        version: r.get(9)?,
                    }),
                    None => None,
                },
                // One read per request: the workspace's origins come along, one per line (an
                // origin holds no line break).
                origins: r
                    .get::<_, Option<String>>(13)?
                    .map(|all| all.lines().map(str::to_owned).collect())
                    .unwrap_or_default(),
            })
        })
        .optional()?;
    Ok(ctx)
}

/// Creates an anonymous session with a new conversation. The conversation is not listed
/// anywhere until it starts (first message or contact-form details).
pub fn create(
    conn: &Connection,
    workspace_id: i64,
    token_hash: &[u8],
    visitor_label: &str,
    now: i64,
) -> Result<NewSession, StoreError> {
    conn.prepare_cached(
        "INSERT INTO conversations (workspace_id, visitor_label, created_at, last_activity_at)
         VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![workspace_id, visitor_label, now])?;
    let conversation_id = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO sessions (workspace_id, token_hash, conversation_id, created_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![workspace_id, token_hash, conversation_id, now])?;
    Ok(NewSession {
        session_id: conn.last_insert_rowid(),
        conversation_id,
        visitor_label: visitor_label.to_owned(),
    })
}

/// Revokes a session: its token answers 401 from now on. Returns false when it was not live.
pub fn revoke(conn: &Connection, session_id: i64, now: i64) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")?
        .execute(params![session_id, now])?;
    Ok(n == 1)
}

/// Records that a session was used at `now` (callers do it at most hourly).
pub fn touch(conn: &Connection, session_id: i64, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2",
    )?
    .execute(params![session_id, now])?;
    Ok(())
}

/// Who a live session is bound to, read inside the writer's transaction: `None` when the
/// session is no longer live, `Some(None)` when it is anonymous, `Some(Some(user_id))` when a
/// verified identify bound it to that user.
pub fn bound_user(
    conn: &Connection,
    session_id: i64,
) -> Result<Option<Option<String>>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT k.user_id FROM sessions s LEFT JOIN contacts k ON k.id = s.contact_id
             WHERE s.id = ?1 AND s.revoked_at IS NULL",
        )?
        .query_row([session_id], |r| r.get::<_, Option<String>>(0))
        .optional()?)
}

/// Ends a live session and starts a fresh anonymous one in the same workspace (reset, and the
/// claim rule's user switch). `NotFound("session")` when the session was no longer live, so
/// of two racing calls only one gets a new session.
pub fn replace(
    conn: &Connection,
    session_id: i64,
    token_hash: &[u8],
    visitor_label: &str,
    now: i64,
) -> Result<NewSession, StoreError> {
    let workspace_id: i64 = conn
        .prepare_cached("SELECT workspace_id FROM sessions WHERE id = ?1 AND revoked_at IS NULL")?
        .query_row([session_id], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound("session"))?;
    revoke(conn, session_id, now)?;
    create(conn, workspace_id, token_hash, visitor_label, now)
}

/// Deletes sessions that were revoked or went unused for 30 days, then the conversations that
/// never started and no live session holds any more. Started conversations are never touched.
pub fn sweep(conn: &Connection, now: i64) -> Result<Swept, StoreError> {
    let sessions = conn
        .prepare_cached("DELETE FROM sessions WHERE revoked_at IS NOT NULL OR last_seen_at <= ?1")?
        .execute([idle_cutoff(now)])?;
    let conversations = conn
        .prepare_cached(
            "DELETE FROM conversations WHERE started_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.conversation_id = conversations.id)
               AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)",
        )?
        .execute([])?;
    // Keeps the planner's statistics current as tables grow (SQLite's advice: now and then on
    // a long-lived connection), each table sampled rather than read whole.
    conn.execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize;")?;
    Ok(Swept {
        sessions,
        conversations,
        retained_out: 0,
        events: 0,
    })
}

/// Applies a verified identify in the writer's transaction: upserts the contact by (workspace,
/// user id) and links the session's conversation to it. The caller has already applied the
/// claim rule (a session bound to someone else was replaced), so the session is anonymous or
/// bound to this same user; a conversation owned by another contact is never relinked
/// (`Conflict`, which the claim rule makes unreachable).
pub fn claim(
    conn: &Connection,
    session_id: i64,
    user: &replybubble_core::IdentifyUser,
    secret_version: u32,
    now: i64,
) -> Result<Claimed, StoreError> {
    let (workspace_id, conversation_id, owner): (i64, i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT s.workspace_id, s.conversation_id, c.contact_id
             FROM sessions s JOIN conversations c ON c.id = s.conversation_id
             WHERE s.id = ?1 AND s.revoked_at IS NULL",
        )?
        .query_row([session_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(StoreError::NotFound("session"))?;
    let contact = contacts::upsert(conn, workspace_id, user, now)?;
    match owner {
        Some(owner) if owner != contact.id => Err(StoreError::Conflict(
            "this conversation belongs to another user: call reset() before identifying a new user"
                .into(),
        )),
        _ => {
            if owner.is_none() {
                conn.prepare_cached(
                    "UPDATE conversations SET contact_id = ?2 WHERE id = ?1 AND contact_id IS NULL",
                )?
                .execute(params![conversation_id, contact.id])?;
            }
            bind(conn, session_id, contact.id, secret_version)?;
            Ok(Claimed {
                contact,
                conversation_id,
            })
        }
    }
}

fn bind(
    conn: &Connection,
    session_id: i64,
    contact_id: i64,
    version: u32,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sessions SET contact_id = ?2, verified_secret_version = ?3
         WHERE id = ?1 AND (contact_id IS NOT ?2 OR verified_secret_version IS NOT ?3)",
    )?
    .execute(params![session_id, contact_id, version])?;
    Ok(())
}

/// The live session of `workspace_id` with this token, for `session` to resume.
pub fn resume(
    conn: &Connection,
    token_hash: &[u8],
    workspace_id: i64,
    now: i64,
) -> Result<Option<SessionCtx>, StoreError> {
    Ok(authenticate(conn, token_hash, now)?.filter(|s| s.workspace_id == workspace_id))
}

/// Whether a session is still live at `now`.
pub fn is_live(conn: &Connection, session_id: i64, now: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM sessions WHERE id = ?1 AND revoked_at IS NULL AND last_seen_at > ?2",
        )?
        .query_row(params![session_id, idle_cutoff(now)], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Applies an identify in the writer's transaction: the claim rule first (a session bound to a
/// user id other than the one sent is replaced by the fresh session), then the verified link
/// on whichever session continues, then the activity record. Because the writer runs one job
/// at a time, of concurrent identifies on one bound session exactly one replaces it; the others
/// find it ended (`NotFound("session")`).
pub fn identify(conn: &Connection, w: &IdentifyWrite) -> Result<IdentifyApplied, StoreError> {
    let bound = bound_user(conn, w.session_id)?.ok_or(StoreError::NotFound("session"))?;
    let switched = match bound {
        Some(owner) if w.sent_id.as_deref() != Some(owner.as_str()) => Some(replace(
            conn,
            w.session_id,
            &w.fresh.token_hash,
            &w.fresh.visitor_label,
            w.now,
        )?),
        _ => None,
    };
    let target = switched.as_ref().map_or(w.session_id, |n| n.session_id);
    let claimed = match &w.verified {
        Some((user, version)) => Some(claim(conn, target, user, *version, w.now)?),
        None => None,
    };
    super::events::record(conn, &w.event)?;
    Ok(IdentifyApplied { switched, claimed })
}
