//! Visitor sessions and their conversations: creation, authentication by token hash,
//! revocation, and the claim rules of a verified identify.

use rusqlite::{params, Connection, OptionalExtension};

use replybubble_core::{Mode, Plan};

use super::contacts::{self, ContactRow};
use super::{parse_enum, StoreError};

/// Everything a widget request needs to know about its session and workspace, read at once.
#[derive(Clone)]
pub struct SessionCtx {
    /// Session id.
    pub session_id: i64,
    /// Workspace id.
    pub workspace_id: i64,
    /// The session's conversation.
    pub conversation_id: i64,
    /// Its visitor label.
    pub visitor_label: String,
    /// The verified contact of the session, if any.
    pub contact_id: Option<i64>,
    /// The secret version the session was verified under.
    pub verified_secret_version: Option<u32>,
    /// Workspace plan.
    pub plan: Plan,
    /// Workspace mode.
    pub mode: Mode,
    /// The workspace's current secret.
    pub secret: Option<String>,
    /// Its version (0: none).
    pub secret_version: u32,
    /// Allowed origins (empty: any).
    pub origins: Vec<String>,
}

impl std::fmt::Debug for SessionCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCtx")
            .field("session_id", &self.session_id)
            .field("workspace_id", &self.workspace_id)
            .field("conversation_id", &self.conversation_id)
            .field("contact_id", &self.contact_id)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl SessionCtx {
    /// Whether the session carries an identity verified under the current secret.
    pub fn verified_now(&self) -> bool {
        self.contact_id.is_some()
            && self.verified_secret_version.is_some()
            && self.verified_secret_version == Some(self.secret_version)
    }
}

/// A newly created session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Session id.
    pub session_id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// `Visitor #xxxxx`.
    pub visitor_label: String,
}

/// The live (not revoked) session whose token hashes to `token_hash`.
pub fn authenticate(
    conn: &Connection,
    token_hash: &[u8],
) -> Result<Option<SessionCtx>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.workspace_id, s.conversation_id, c.visitor_label, s.contact_id,
                s.verified_secret_version, w.plan, w.mode, w.secret, w.secret_version
         FROM sessions s
         JOIN workspaces w ON w.id = s.workspace_id
         JOIN conversations c ON c.id = s.conversation_id
         WHERE s.token_hash = ?1 AND s.revoked_at IS NULL",
    )?;
    let ctx = stmt
        .query_row([token_hash], |r| {
            Ok(SessionCtx {
                session_id: r.get(0)?,
                workspace_id: r.get(1)?,
                conversation_id: r.get(2)?,
                visitor_label: r.get(3)?,
                contact_id: r.get(4)?,
                verified_secret_version: r.get(5)?,
                plan: parse_enum(r, 6)?,
                mode: parse_enum(r, 7)?,
                secret: r.get(8)?,
                secret_version: r.get(9)?,
                origins: Vec::new(),
            })
        })
        .optional()?;
    match ctx {
        Some(mut ctx) => {
            ctx.origins = super::workspaces::origins(conn, ctx.workspace_id)?;
            Ok(Some(ctx))
        }
        None => Ok(None),
    }
}

/// Creates a session with a new open conversation, optionally already bound to a contact.
pub fn create(
    conn: &Connection,
    workspace_id: i64,
    token_hash: &[u8],
    visitor_label: &str,
    contact: Option<(i64, u32)>,
    now: i64,
) -> Result<NewSession, StoreError> {
    conn.prepare_cached(
        "INSERT INTO conversations (workspace_id, visitor_label, contact_id, created_at, last_activity_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![workspace_id, visitor_label, contact.map(|c| c.0), now])?;
    let conversation_id = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO sessions (workspace_id, token_hash, conversation_id, contact_id, verified_secret_version, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![workspace_id, token_hash, conversation_id, contact.map(|c| c.0), contact.map(|c| c.1), now])?;
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

/// The result of a verified identify.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The upserted contact.
    pub contact: ContactRow,
    /// The conversation now linked to it.
    pub conversation_id: i64,
    /// Set when the session belonged to another user and a new one was started.
    pub new_session: Option<NewSession>,
}

/// Applies a verified identify in the writer's transaction: upserts the contact by (workspace,
/// user id) and links the session's conversation to it. A conversation already claimed by
/// another contact is never relinked: a new session and conversation are started for this user
/// (with the token hash and label that `fresh` makes, called only then), and the old session is
/// revoked. Because the writer runs one job at a
/// time, concurrent identifies on one conversation see each other: exactly one owner wins.
pub fn claim(
    conn: &Connection,
    session_id: i64,
    user: &replybubble_core::IdentifyUser,
    secret_version: u32,
    fresh: impl FnOnce() -> (Vec<u8>, String),
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
        None => {
            conn.prepare_cached(
                "UPDATE conversations SET contact_id = ?2 WHERE id = ?1 AND contact_id IS NULL",
            )?
            .execute(params![conversation_id, contact.id])?;
            bind(conn, session_id, contact.id, secret_version)?;
            Ok(Claimed {
                contact,
                conversation_id,
                new_session: None,
            })
        }
        Some(owner) if owner == contact.id => {
            bind(conn, session_id, contact.id, secret_version)?;
            Ok(Claimed {
                contact,
                conversation_id,
                new_session: None,
            })
        }
        Some(_) => {
            revoke(conn, session_id, now)?;
            let (hash, label) = fresh();
            let new = create(
                conn,
                workspace_id,
                &hash,
                &label,
                Some((contact.id, secret_version)),
                now,
            )?;
            Ok(Claimed {
                contact,
                conversation_id: new.conversation_id,
                new_session: Some(new),
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
        "UPDATE sessions SET contact_id = ?2, verified_secret_version = ?3 WHERE id = ?1",
    )?
    .execute(params![session_id, contact_id, version])?;
    Ok(())
}

/// The live session of `workspace_id` with this token, for `session` to resume.
pub fn resume(
    conn: &Connection,
    token_hash: &[u8],
    workspace_id: i64,
) -> Result<Option<SessionCtx>, StoreError> {
    Ok(authenticate(conn, token_hash)?.filter(|s| s.workspace_id == workspace_id))
}

/// Whether a session is still live.
pub fn is_live(conn: &Connection, session_id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sessions WHERE id = ?1 AND revoked_at IS NULL")?
        .query_row([session_id], |_| Ok(()))
        .optional()?
        .is_some())
}
