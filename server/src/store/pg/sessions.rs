//! The PostgreSQL port of `sqlite/sessions.rs`: visitor sessions and their conversations:
//! creation, authentication by token hash, revocation, and the claim rules of a verified
//! identify.
//!
//! Several processes may run these at once (READ COMMITTED): where SQLite's single writer made a
//! read-then-write atomic, the session row is locked (`FOR UPDATE`) or the write itself checks
//! that the session is still live.

use deadpool_postgres::Transaction;

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
pub async fn authenticate(
    tx: &Transaction<'_>,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<SessionCtx>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT s.id, s.workspace_id, s.conversation_id, c.visitor_label, s.contact_id,
                    s.verified_secret_version, w.plan, w.mode, w.secret, w.secret_version,
                    k.user_id, s.last_seen_at, w.app_id,
                    (SELECT string_agg(origin, E'\\n' ORDER BY origin)
                       FROM workspace_origins o WHERE o.workspace_id = s.workspace_id)
             FROM sessions s
             JOIN workspaces w ON w.id = s.workspace_id
             JOIN conversations c ON c.id = s.conversation_id
             LEFT JOIN contacts k ON k.id = s.contact_id
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.last_seen_at > $2",
        )
        .await?;
    let cutoff = idle_cutoff(now);
    let Some(r) = tx.query_opt(&stmt, &[&token_hash, &cutoff]).await? else {
        return Ok(None);
    };
    Ok(Some(SessionCtx {
        session_id: r.try_get(0)?,
        workspace_id: r.try_get(1)?,
        conversation_id: r.try_get(2)?,
        visitor_label: r.try_get(3)?,
        contact_id: r.try_get(4)?,
        bound_user_id: r.try_get(10)?,
        last_seen_at: r.try_get(11)?,
        app_id: r.try_get(12)?,
        verified_secret_version: r.try_get::<_, Option<i32>>(5)?.map(|v| v as u32),
        plan: parse_enum(&r, 6)?,
        mode: parse_enum(&r, 7)?,
        secret: match r.try_get::<_, Option<String>>(8)? {
            Some(value) => Some(Secret {
                value,
                version: r.try_get::<_, i32>(9)? as u32,
            }),
            None => None,
        },
        // One read per request: the workspace's origins come along, one per line (an
        // origin holds no line break).
        origins: r
            .try_get::<_, Option<String>>(13)?
            .map(|all| all.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
    }))
}

/// Creates an anonymous session with a new conversation. The conversation is not listed
/// anywhere until it starts (first message or contact-form details).
pub async fn create(
    tx: &Transaction<'_>,
    workspace_id: i64,
    token_hash: &[u8],
    visitor_label: &str,
    now: i64,
) -> Result<NewSession, StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO conversations (workspace_id, visitor_label, created_at, last_activity_at)
             VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .await?;
    let conversation_id: i64 = tx
        .query_one(&stmt, &[&workspace_id, &visitor_label, &now])
        .await?
        .try_get(0)?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO sessions (workspace_id, token_hash, conversation_id, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .await?;
    let session_id: i64 = tx
        .query_one(&stmt, &[&workspace_id, &token_hash, &conversation_id, &now])
        .await?
        .try_get(0)?;
    Ok(NewSession {
        session_id,
        conversation_id,
        visitor_label: visitor_label.to_owned(),
    })
}

/// Revokes a session: its token answers 401 from now on. Returns false when it was not live
/// (of concurrent calls, the row lock lets exactly one revoke it).
pub async fn revoke(tx: &Transaction<'_>, session_id: i64, now: i64) -> Result<bool, StoreError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id",
        )
        .await?;
    let revoked = tx.query_opt(&stmt, &[&session_id, &now]).await?.is_some();
    if revoked {
        super::notify(Notice::VisitorSessionEnded(session_id));
    }
    Ok(revoked)
}

/// Gives a live session a new token (the verified identify that binds it): the old token no
/// longer authenticates, the tickets issued to it are gone and its streams end on every server.
async fn rotate(
    tx: &Transaction<'_>,
    session_id: i64,
    token_hash: &[u8],
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE sessions SET token_hash = $2 WHERE id = $1")
        .await?;
    tx.execute(&stmt, &[&session_id, &token_hash]).await?;
    let stmt = tx
        .prepare_cached("DELETE FROM stream_tickets WHERE session_id = $1")
        .await?;
    tx.execute(&stmt, &[&session_id]).await?;
    super::notify(Notice::VisitorSessionEnded(session_id));
    Ok(())
}

/// Records that a session was used at `now` (callers do it at most hourly).
pub async fn touch(tx: &Transaction<'_>, session_id: i64, now: i64) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2")
        .await?;
    tx.execute(&stmt, &[&session_id, &now]).await?;
    Ok(())
}

/// The session if it is still live (not revoked), with who it is bound to. The session row
/// stays locked (`FOR UPDATE`) until the transaction ends, so whatever the caller decides from
/// it holds: a concurrent writer of the same session waits, then finds it as this one left it
/// (revoked: None).
///
/// Two statements on purpose: the lock first, then the read. Under READ COMMITTED a single
/// `SELECT … FOR UPDATE OF s` that waited for another writer re-reads only the locked row; the
/// joined conversation and contact would be the versions from before that writer committed.
/// The second statement takes a new snapshot, after the lock, and sees them current.
pub async fn live(tx: &Transaction<'_>, session_id: i64) -> Result<Option<Live>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT s.id FROM sessions s WHERE s.id = $1 AND s.revoked_at IS NULL FOR UPDATE OF s",
        )
        .await?;
    if tx.query_opt(&stmt, &[&session_id]).await?.is_none() {
        return Ok(None);
    }
    let stmt = tx
        .prepare_cached(
            "SELECT s.workspace_id, s.conversation_id, c.contact_id, s.contact_id, k.user_id,
                    s.verified_secret_version
             FROM sessions s JOIN conversations c ON c.id = s.conversation_id
             LEFT JOIN contacts k ON k.id = s.contact_id
             WHERE s.id = $1 AND s.revoked_at IS NULL",
        )
        .await?;
    let Some(r) = tx.query_opt(&stmt, &[&session_id]).await? else {
        return Ok(None);
    };
    Ok(Some(Live {
        workspace_id: r.try_get(0)?,
        conversation_id: r.try_get(1)?,
        owner: r.try_get(2)?,
        contact_id: r.try_get(3)?,
        bound_user: r.try_get(4)?,
        version: r.try_get::<_, Option<i32>>(5)?.map(|v| v as u32),
    }))
}

/// Ends a live session and starts a fresh anonymous one in the same workspace (reset, and the
/// claim rule's user switch). `NotFound("session")` when the session was no longer live, so
/// of two racing calls only one gets a new session (the revoking UPDATE takes the row lock and
/// re-checks `revoked_at` after waiting).
pub async fn replace(
    tx: &Transaction<'_>,
    session_id: i64,
    token_hash: &[u8],
    visitor_label: &str,
    now: i64,
) -> Result<NewSession, StoreError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
             RETURNING workspace_id",
        )
        .await?;
    let workspace_id: i64 = tx
        .query_opt(&stmt, &[&session_id, &now])
        .await?
        .ok_or(StoreError::NotFound("session"))?
        .try_get(0)?;
    super::notify(Notice::VisitorSessionEnded(session_id));
    create(tx, workspace_id, token_hash, visitor_label, now).await
}

/// [`replace`] for a session already read live (and locked) in this transaction.
async fn renew(
    tx: &Transaction<'_>,
    session_id: i64,
    workspace_id: i64,
    token_hash: &[u8],
    visitor_label: &str,
    now: i64,
) -> Result<NewSession, StoreError> {
    // The row is locked since `live`: it cannot have ended meanwhile; checked all the same.
    if !revoke(tx, session_id, now).await? {
        return Err(StoreError::NotFound("session"));
    }
    create(tx, workspace_id, token_hash, visitor_label, now).await
}

/// Deletes sessions that were revoked or went unused for 30 days, then the conversations that
/// never started and no live session holds any more. Started conversations are never touched.
/// The stream tickets of the deleted sessions go first (they reference them); a session that
/// was given a ticket meanwhile is left for the next sweep.
pub async fn sweep(tx: &Transaction<'_>, now: i64) -> Result<Swept, StoreError> {
    let cutoff = idle_cutoff(now);
    let stmt = tx
        .prepare_cached("DELETE FROM stream_tickets WHERE expires_at <= $1")
        .await?;
    tx.execute(&stmt, &[&now]).await?;
    // A deleted session's tickets go with it (ON DELETE CASCADE).
    let stmt = tx
        .prepare_cached("DELETE FROM sessions WHERE revoked_at IS NOT NULL OR last_seen_at <= $1")
        .await?;
    let sessions = tx.execute(&stmt, &[&cutoff]).await?;
    let stmt = tx
        .prepare_cached(
            "DELETE FROM conversations WHERE started_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.conversation_id = conversations.id)
               AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)",
        )
        .await?;
    let conversations = tx.execute(&stmt, &[]).await?;
    // The planner's statistics are PostgreSQL's autovacuum's job (SQLite needed `PRAGMA
    // optimize` here).
    Ok(Swept {
        sessions: sessions as usize,
        conversations: conversations as usize,
        retained_out: 0,
        events: 0,
    })
}

/// [`claim`] for a session already read live in this transaction. What is already so (the
/// conversation's contact, the session's link) is not written again.
async fn claim_live(
    tx: &Transaction<'_>,
    session_id: i64,
    live: &Live,
    user: &replybubble_core::IdentifyUser,
    secret_version: u32,
    now: i64,
) -> Result<Claimed, StoreError> {
    let contact = contacts::upsert(tx, live.workspace_id, user, now).await?;
    match live.owner {
        Some(owner) if owner != contact.id => Err(StoreError::Conflict(
            "this conversation belongs to another user: call reset() before identifying a new user"
                .into(),
        )),
        owner => {
            if owner.is_none() {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE conversations SET contact_id = $2 WHERE id = $1 AND contact_id IS NULL",
                    )
                    .await?;
                tx.execute(&stmt, &[&live.conversation_id, &contact.id])
                    .await?;
            }
            if live.contact_id != Some(contact.id) || live.version != Some(secret_version) {
                let version = secret_version as i32;
                let stmt = tx
                    .prepare_cached(
                        "UPDATE sessions SET contact_id = $2, verified_secret_version = $3 WHERE id = $1",
                    )
                    .await?;
                tx.execute(&stmt, &[&session_id, &contact.id, &version])
                    .await?;
            }
            Ok(Claimed {
                contact,
                conversation_id: live.conversation_id,
            })
        }
    }
}

/// Whether a session is still live at `now`.
pub async fn is_live(tx: &Transaction<'_>, session_id: i64, now: i64) -> Result<bool, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT 1 FROM sessions WHERE id = $1 AND revoked_at IS NULL AND last_seen_at > $2",
        )
        .await?;
    let cutoff = idle_cutoff(now);
    Ok(tx
        .query_opt(&stmt, &[&session_id, &cutoff])
        .await?
        .is_some())
}

/// Applies an identify in one transaction: the claim rule first (a session bound to a user id
/// other than the one sent is replaced by the fresh session), then the verified link on
/// whichever session continues, then the activity record. Because [`live`] locks the session
/// row until the transaction ends, of concurrent identifies on one bound session exactly one
/// replaces it; the others wait, then find it ended (`NotFound("session")`).
pub async fn identify(
    tx: &Transaction<'_>,
    w: &IdentifyWrite,
) -> Result<IdentifyApplied, StoreError> {
    let live = live(tx, w.session_id)
        .await?
        .ok_or(StoreError::NotFound("session"))?;
    let switched = match &live.bound_user {
        Some(owner) if w.sent_id.as_deref() != Some(owner.as_str()) => Some(
            renew(
                tx,
                w.session_id,
                live.workspace_id,
                &w.fresh.token_hash,
                &w.fresh.visitor_label,
                w.now,
            )
            .await?,
        ),
        _ => None,
    };
    let claimed = match &w.verified {
        Some((user, version)) => Some(match &switched {
            Some(new) => {
                let fresh = Live::fresh(live.workspace_id, new.conversation_id);
                claim_live(tx, new.session_id, &fresh, user, *version, w.now).await?
            }
            None => claim_live(tx, w.session_id, &live, user, *version, w.now).await?,
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
        rotate(tx, w.session_id, &w.fresh.token_hash).await?;
    }
    super::events::record(tx, &w.event).await?;
    Ok(IdentifyApplied {
        switched,
        claimed,
        rotated,
    })
}

/// Stores a stream ticket for a session until `expires_at`.
pub async fn issue_ticket(
    tx: &Transaction<'_>,
    ticket_hash: &[u8],
    session_id: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO stream_tickets (ticket_hash, session_id, expires_at) VALUES ($1, $2, $3)",
        )
        .await?;
    tx.execute(&stmt, &[&ticket_hash, &session_id, &expires_at])
        .await?;
    Ok(())
}

/// Redeems a ticket once, on whichever server it reaches: deleted whatever happens next (of
/// two servers redeeming it at once, one gets the row); what it opens when it had not
/// expired.
pub async fn redeem_ticket(
    tx: &Transaction<'_>,
    ticket_hash: &[u8],
    now: i64,
) -> Result<Option<StreamTarget>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "DELETE FROM stream_tickets WHERE ticket_hash = $1 RETURNING session_id, expires_at",
        )
        .await?;
    let Some(row) = tx.query_opt(&stmt, &[&ticket_hash]).await? else {
        return Ok(None);
    };
    let (session_id, expires_at): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    if expires_at <= now {
        return Ok(None);
    }
    let stmt = tx
        .prepare_cached("SELECT conversation_id FROM sessions WHERE id = $1")
        .await?;
    Ok(tx
        .query_opt(&stmt, &[&session_id])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .map(|conversation_id| StreamTarget {
            session_id,
            conversation_id,
        }))
}
