//! Messages of a conversation.

use rusqlite::{params, Connection};

use replybubble_core::limits::PREVIEW_CHARS;
use replybubble_core::wire::Author;

use super::{parse_enum, StoreError};

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    /// Increasing id (also the SSE event id).
    pub id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// Visitor or agent.
    pub author: Author,
    /// The text.
    pub body: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// Stores a message and moves the conversation's activity (reopening it if it was closed).
pub fn insert(
    conn: &Connection,
    conversation_id: i64,
    author: Author,
    agent_id: Option<i64>,
    body: &str,
    now: i64,
) -> Result<MessageRow, StoreError> {
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, author, agent_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![conversation_id, author.as_str(), agent_id, body, now])?;
    let id = conn.last_insert_rowid();
    let preview: String = body.chars().take(PREVIEW_CHARS).collect();
    conn.prepare_cached(
        "UPDATE conversations SET last_activity_at = ?2, last_message = ?3, status = 'open' WHERE id = ?1",
    )?
    .execute(params![conversation_id, now, preview])?;
    Ok(MessageRow {
        id,
        conversation_id,
        author,
        body: body.to_owned(),
        created_at: now,
    })
}

/// Up to `limit` messages of a conversation with an id above `after`, oldest first.
pub fn after(
    conn: &Connection,
    conversation_id: i64,
    after: i64,
    limit: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, author, body, created_at FROM messages
         WHERE conversation_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![conversation_id, after, limit as i64], |r| {
            Ok(MessageRow {
                id: r.get(0)?,
                conversation_id,
                author: parse_enum(r, 1)?,
                body: r.get(2)?,
                created_at: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
