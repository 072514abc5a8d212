//! Messages of a conversation.

use rusqlite::{params, Connection, OptionalExtension};

use crate::policy::PREVIEW_CHARS;
use replybubble_core::wire::Author;

use super::{parse_enum, StoreError};
use crate::store::model::*;

fn insert(
    conn: &Connection,
    conversation_id: i64,
    author: Author,
    agent_id: Option<i64>,
    verified: bool,
    body: &str,
    now: i64,
) -> Result<MessageRow, StoreError> {
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, author, agent_id, verified, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![conversation_id, author.as_str(), agent_id, verified, body, now])?;
    let id = conn.last_insert_rowid();
    let preview: String = body.chars().take(PREVIEW_CHARS).collect();
    conn.prepare_cached(
        "UPDATE conversations SET last_activity_at = ?2, last_message = ?3, status = 'open',
                started_at = coalesce(started_at, ?2)
         WHERE id = ?1",
    )?
    .execute(params![conversation_id, now, preview])?;
    Ok(MessageRow {
        id,
        conversation_id,
        author,
        body: body.to_owned(),
        created_at: now,
        verified,
    })
}

/// Stores a visitor's message in its session's conversation, in the writer's transaction: the
/// session must still be live (`NotFound("session")` otherwise, so a message racing a reset or
/// a user switch never lands in the old conversation), and the message records whether the
/// session is verified under the workspace's current secret at this moment.
pub fn insert_visitor(
    conn: &Connection,
    session_id: i64,
    body: &str,
    now: i64,
) -> Result<MessageRow, StoreError> {
    let (conversation_id, verified): (i64, bool) = conn
        .prepare_cached(
            "SELECT s.conversation_id,
                    s.contact_id IS NOT NULL AND s.verified_secret_version = w.secret_version
             FROM sessions s JOIN workspaces w ON w.id = s.workspace_id
             WHERE s.id = ?1 AND s.revoked_at IS NULL",
        )?
        .query_row([session_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound("session"))?;
    insert(
        conn,
        conversation_id,
        Author::Visitor,
        None,
        verified,
        body,
        now,
    )
}

/// Stores an agent's reply.
pub fn insert_agent(
    conn: &Connection,
    conversation_id: i64,
    agent_id: Option<i64>,
    body: &str,
    now: i64,
) -> Result<MessageRow, StoreError> {
    insert(
        conn,
        conversation_id,
        Author::Agent,
        agent_id,
        false,
        body,
        now,
    )
}

/// Messages of a conversation after id `after`, oldest first, at most `limit`.
pub fn after(
    conn: &Connection,
    conversation_id: i64,
    after: i64,
    limit: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    page(
        conn,
        "SELECT id, author, body, created_at, verified FROM messages
         WHERE conversation_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        conversation_id,
        after,
        limit,
    )
}

/// The latest `limit` messages with an id below `before`, oldest first.
pub fn before(
    conn: &Connection,
    conversation_id: i64,
    before: i64,
    limit: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    let mut rows = page(
        conn,
        "SELECT id, author, body, created_at, verified FROM messages
         WHERE conversation_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
        conversation_id,
        before,
        limit,
    )?;
    rows.reverse();
    Ok(rows)
}

fn page(
    conn: &Connection,
    sql: &str,
    conversation_id: i64,
    bound: i64,
    limit: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params![conversation_id, bound, limit as i64], |r| {
            Ok(MessageRow {
                id: r.get(0)?,
                conversation_id,
                author: parse_enum(r, 1)?,
                body: r.get(2)?,
                created_at: r.get(3)?,
                verified: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
