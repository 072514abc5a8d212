//! Visitor sessions and their conversations: creation, authentication by token hash,
//! revocation, and the claim rules of a verified identify.

use rusqlite::{params, Connection, OptionalExtension};

use super::contacts;
use super::{parse_enum, StoreError};
use crate::store::model::*;
use crate::store::shared::Live;
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

/// Gives a live session a new token (the verified identify that binds it): the old token no
/// longer authenticates and the tickets issued to it are gone.
fn rotate(conn: &Connection, session_id: i64, token_hash: &[u8]) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sessions SET token_hash = ?2 WHERE id = ?1")?
        .execute(params![session_id, token_hash])?;
    conn.prepare_cached("DELETE FROM stream_tickets WHERE session_id = ?1")?
        .execute([session_id])?;
    Ok(())
}

/// Records that a session was used at `now` (callers do it at most hourly).
pub fn touch(conn: &Connection, session_id: i64, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2",
    )?
    .execute(params![session_id, now])?;
    Ok(())
}

/// The session if it is still live (not revoked), with who it is bound to.
pub(crate) fn live(conn: &Connection, session_id: i64) -> Result<Option<Live>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT s.workspace_id, s.conversation_id, c.contact_id, s.contact_id, k.user_id,
                    s.verified_secret_version
             FROM sessions s JOIN conversations c ON c.id = s.conversation_id
             LEFT JOIN contacts k ON k.id = s.contact_id
             WHERE s.id = ?1 AND s.revoked_at IS NULL",
        )?
        .query_row([session_id], |r| {
            Ok(Live {
                workspace_id: r.get(0)?,
                conversation_id: r.get(1)?,
                owner: r.get(2)?,
                contact_id: r.get(3)?,
                bound_user: r.get(4)?,
                version: r.get(5)?,
            })
        })
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
    renew(
        conn,
        session_id,
        workspace_id,
        token_hash,
        visitor_label,
        now,
    )
}

/// [`replace`] for a session already read live in this transaction.
fn renew(
    conn: &Connection,
    session_id: i64,
    workspace_id: i64,
    token_hash: &[u8],
    visitor_label: &str,
    now: i64,
) -> Result<NewSession, StoreError> {
    revoke(conn, session_id, now)?;
    create(conn, workspace_id, token_hash, visitor_label, now)
}

/// Deletes sessions that were revoked or went unused for 30 days, then the conversations that
/// never started and no live session holds any more. Started conversations are never touched.
pub fn sweep(conn: &Connection, now: i64) -> Result<Swept, StoreError> {
    conn.prepare_cached("DELETE FROM stream_tickets WHERE expires_at <= ?1")?
        .execute([now])?;
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
    let live = live(conn, session_id)?.ok_or(StoreError::NotFound("session"))?;
    claim_live(conn, session_id, &live, user, secret_version, now)
}

/// [`claim`] for a session already read live in this transaction. What is already so (the
/// conversation's contact, the session's link) is not written again.
fn claim_live(
    conn: &Connection,
    session_id: i64,
    live: &Live,
    user: &replybubble_core::IdentifyUser,
    secret_version: u32,
    now: i64,
) -> Result<Claimed, StoreError> {
    let contact = contacts::upsert(conn, live.workspace_id, user, now)?;
    match live.owner {
        Some(owner) if owner != contact.id => Err(StoreError::Conflict(
            "this conversation belongs to another user: call reset() before identifying a new user"
                .into(),
        )),
        owner => {
            if owner.is_none() {
                conn.prepare_cached(
                    "UPDATE conversations SET contact_id = ?2 WHERE id = ?1 AND contact_id IS NULL",
                )?
                .execute(params![live.conversation_id, contact.id])?;
            }
            if live.contact_id != Some(contact.id) || live.version != Some(secret_version) {
                conn.prepare_cached(
                    "UPDATE sessions SET contact_id = ?2, verified_secret_version = ?3 WHERE id = ?1",
                )?
                .execute(params![session_id, contact.id, secret_version])?;
            }
            Ok(Claimed {
                contact,
                conversation_id: live.conversation_id,
            })
        }
    }
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
    let live = live(conn, w.session_id)?.ok_or(StoreError::NotFound("session"))?;
    let switched = match &live.bound_user {
        Some(owner) if w.sent_id.as_deref() != Some(owner.as_str()) => Some(renew(
            conn,
            w.session_id,
            live.workspace_id,
            &w.fresh.token_hash,
            &w.fresh.visitor_label,
            w.now,
        )?),
        _ => None,
    };
    let claimed = match &w.verified {
        Some((user, version)) => Some(match &switched {
            Some(new) => {
                let fresh = Live::fresh(live.workspace_id, new.conversation_id);
                claim_live(conn, new.session_id, &fresh, user, *version, w.now)?
            }
            None => claim_live(conn, w.session_id, &live, user, *version, w.now)?,
        }),
        None => None,
    };
    // A session bound to its user now gets a new token: whoever knew the anonymous one (a
    // shared computer, a script on the page) does not become the verified user.
    let rotated = switched.is_none()
        && claimed
            .as_ref()
            .is_some_and(|c| live.contact_id != Some(c.contact.id));
    if rotated {
        rotate(conn, w.session_id, &w.fresh.token_hash)?;
    }
    super::events::record(conn, &w.event)?;
    Ok(IdentifyApplied {
        switched,
        claimed,
        rotated,
    })
}

/// Whether a stream ticket with this hash exists (a read, so a guessed ticket writes nothing).
pub fn ticket_exists(conn: &Connection, ticket_hash: &[u8]) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM stream_tickets WHERE ticket_hash = ?1")?
        .query_row([ticket_hash], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores a stream ticket for a session until `expires_at`.
pub fn issue_ticket(
    conn: &Connection,
    ticket_hash: &[u8],
    session_id: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO stream_tickets (ticket_hash, session_id, expires_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![ticket_hash, session_id, expires_at])?;
    Ok(())
}

/// Redeems a ticket once: deleted whatever happens next; what it opens when it had not
/// expired.
pub fn redeem_ticket(
    conn: &Connection,
    ticket_hash: &[u8],
    now: i64,
) -> Result<Option<StreamTarget>, StoreError> {
    let Some((session_id, expires_at)): Option<(i64, i64)> = conn
        .prepare_cached(
            "DELETE FROM stream_tickets WHERE ticket_hash = ?1 RETURNING session_id, expires_at",
        )?
        .query_row([ticket_hash], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
    else {
        return Ok(None);
    };
    if expires_at <= now {
        return Ok(None);
    }
    Ok(conn
        .prepare_cached("SELECT conversation_id FROM sessions WHERE id = ?1")?
        .query_row([session_id], |r| r.get(0))
        .optional()?
        .map(|conversation_id| StreamTarget {
            session_id,
            conversation_id,
        }))
}
