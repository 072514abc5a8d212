//! Messages of a conversation.

use rusqlite::{params, Connection, OptionalExtension};

use crate::policy::PREVIEW_CHARS;
use replybubble_core::wire::Author;
use replybubble_core::{Mode, Plan};

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
    // The conversation hands out the message's position in the same transaction.
    let preview: String = body.chars().take(PREVIEW_CHARS).collect();
    let seq: i64 = conn
        .prepare_cached(
            "UPDATE conversations SET last_activity_at = ?2, last_message = ?3, status = 'open',
                    started_at = coalesce(started_at, ?2), last_seq = last_seq + 1, waiting = ?4
             WHERE id = ?1 RETURNING last_seq",
        )?
        .query_row(
            params![conversation_id, now, preview, author == Author::Visitor],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StoreError::NotFound("conversation"))?;
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, seq, author, agent_id, verified, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        conversation_id,
        seq,
        author.as_str(),
        agent_id,
        verified,
        body,
        now
    ])?;
    Ok(MessageRow {
        id: conn.last_insert_rowid(),
        seq,
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
/// session is verified under the workspace's current secret at this moment, in a workspace
/// that verifies now (`decision::verifies`: not mode Off, not Free).
pub fn insert_visitor(
    conn: &Connection,
    session_id: i64,
    body: &str,
    now: i64,
) -> Result<MessageRow, StoreError> {
    let (conversation_id, verified, plan, mode): (i64, bool, Plan, Mode) = conn
        .prepare_cached(
            "SELECT s.conversation_id,
                    s.contact_id IS NOT NULL AND s.verified_secret_version = w.secret_version,
                    w.plan, w.mode
             FROM sessions s JOIN workspaces w ON w.id = s.workspace_id
             WHERE s.id = ?1 AND s.revoked_at IS NULL",
        )?
        .query_row([session_id], |r| {
            Ok((r.get(0)?, r.get(1)?, parse_enum(r, 2)?, parse_enum(r, 3)?))
        })
        .optional()?
        .ok_or(StoreError::NotFound("session"))?;
    insert(
        conn,
        conversation_id,
        Author::Visitor,
        None,
        verified && replybubble_core::decision::verifies(plan, mode),
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

/// Messages of a conversation after position `after` (a `seq`), oldest first, at most `limit`.
pub fn after(
    conn: &Connection,
    conversation_id: i64,
    after: i64,
    limit: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    page(
        conn,
        "SELECT id, seq, author, body, created_at, verified FROM messages
         WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        conversation_id,
        after,
        limit,
    )
}

/// The latest `limit` messages before position `before` (a `seq`), oldest first.
pub fn before(
    conn: &Connection,
    conversation_id: i64,
    before: i64,
    limit: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    let mut rows = page(
        conn,
        "SELECT id, seq, author, body, created_at, verified FROM messages
         WHERE conversation_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
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
                seq: r.get(1)?,
                conversation_id,
                author: parse_enum(r, 2)?,
                body: r.get(3)?,
                created_at: r.get(4)?,
                verified: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
