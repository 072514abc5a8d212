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
