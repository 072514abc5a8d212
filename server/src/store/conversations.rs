//! Conversations as agents see them.

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

/// Whether agents still have to look at a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationStatus {
    /// Waiting or in progress (a new message reopens a closed one).
    Open,
    /// Done.
    Closed,
}

impl ConversationStatus {
    /// The database and form spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Closed => "closed",
        }
    }
}

impl std::str::FromStr for ConversationStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<ConversationStatus, String> {
        match s {
            "open" => Ok(ConversationStatus::Open),
            "closed" => Ok(ConversationStatus::Closed),
            other => Err(format!("unknown status {other:?}: use open or closed")),
        }
    }
}

/// Whether `conversation_id` belongs to `workspace_id` (another workspace's id is "not found").
pub fn in_workspace(
    conn: &Connection,
    workspace_id: i64,
    conversation_id: i64,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM conversations WHERE id = ?1 AND workspace_id = ?2")?
        .query_row(params![conversation_id, workspace_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores what the visitor typed into the contact form on their live session's conversation
/// (`NotFound("session")` when it ended), which starts the conversation.
pub fn set_visitor_details(
    conn: &Connection,
    session_id: i64,
    name: Option<&str>,
    email: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE conversations SET visitor_name = coalesce(?2, visitor_name), visitor_email = coalesce(?3, visitor_email),
                    started_at = coalesce(started_at, ?4), last_activity_at = ?4
             WHERE id = (SELECT conversation_id FROM sessions WHERE id = ?1 AND revoked_at IS NULL)",
        )?
        .execute(params![session_id, name, email, now])?;
    if n == 0 {
        return Err(StoreError::NotFound("session"));
    }
    Ok(())
}
