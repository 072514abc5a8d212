//! Conversations as agents see them.

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

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
