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

/// Stores what the visitor typed into the contact form on their conversation.
pub fn set_visitor_details(
    conn: &Connection,
    conversation_id: i64,
    name: Option<&str>,
    email: Option<&str>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE conversations SET visitor_name = coalesce(?2, visitor_name), visitor_email = coalesce(?3, visitor_email) WHERE id = ?1",
    )?
    .execute(params![conversation_id, name, email])?;
    Ok(())
}
