//! A contact's data as a whole: export and deletion (data-subject requests), and the retention
//! sweep of idle conversations.

use rusqlite::{params, Connection, OptionalExtension};

use super::{conversations, parse_enum, StoreError};
use crate::store::model::*;

/// The contact of (workspace, user id), if any: (workspace id, contact).
fn find(
    conn: &Connection,
    app_id: &str,
    user_id: &str,
) -> Result<Option<(i64, ContactRow)>, StoreError> {
    let ws = super::workspaces::by_app_id(conn, app_id)?;
    let contact = conn
        .prepare_cached(&format!(
            "SELECT {} FROM contacts WHERE workspace_id = ?1 AND user_id = ?2",
            super::contacts::COLUMNS
        ))?
        .query_row(params![ws.id, user_id], super::contacts::from_row)
        .optional()?;
    Ok(contact.map(|c| (ws.id, c)))
}

/// Everything kept about the contact `user_id` of a workspace: the contact, all its
/// conversations (started or not) with their messages, and the identify calls made with its id.
pub fn export_contact(
    conn: &Connection,
    app_id: &str,
    user_id: &str,
) -> Result<Option<ContactExport>, StoreError> {
    let Some((workspace_id, contact)) = find(conn, app_id, user_id)? else {
        return Ok(None);
    };
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM conversations WHERE contact_id = ?1 ORDER BY id")?
        .query_map([contact.id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut exported = Vec::new();
    for id in ids {
        if let Some(conversation) = conversations::any(conn, workspace_id, id)? {
            let messages = super::messages::after(conn, id, 0, usize::MAX >> 1)?;
            exported.push(ConversationExport {
                conversation,
                messages,
            });
        }
    }
    let events = conn
        .prepare_cached(
            "SELECT at, result, code, hint FROM identify_events
             WHERE workspace_id = ?1 AND user_id = ?2 ORDER BY at, id",
        )?
        .query_map(params![workspace_id, user_id], |r| {
            Ok(EventRow {
                at: r.get(0)?,
                result: parse_enum(r, 1)?,
                code: r.get(2)?,
                hint: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(ContactExport {
        contact,
        conversations: exported,
        events,
    }))
}

/// Deletes the contact `user_id` of a workspace with its conversations, their messages, its
/// sessions and the identify calls made with its id, in one transaction. None when there is no
/// such contact (its identify events, if any, are deleted all the same).
pub fn delete_contact(
    conn: &Connection,
    app_id: &str,
    user_id: &str,
) -> Result<Deleted, StoreError> {
    let ws = super::workspaces::by_app_id(conn, app_id)?;
    let mut deleted = Deleted::default();
    if let Some((_, contact)) = find(conn, app_id, user_id)? {
        deleted.session_ids = conn
            .prepare_cached(
                "SELECT id FROM sessions WHERE contact_id = ?1
                 OR conversation_id IN (SELECT id FROM conversations WHERE contact_id = ?1)",
            )?
            .query_map([contact.id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        deleted.messages = conn.execute(
            "DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE contact_id = ?1)",
            [contact.id],
        )?;
        deleted.sessions = conn.execute(
            "DELETE FROM sessions WHERE contact_id = ?1
             OR conversation_id IN (SELECT id FROM conversations WHERE contact_id = ?1)",
            [contact.id],
        )?;
        deleted.conversations = conn.execute(
            "DELETE FROM conversations WHERE contact_id = ?1",
            [contact.id],
        )?;
        deleted.contacts = conn.execute("DELETE FROM contacts WHERE id = ?1", [contact.id])?;
    }
    deleted.events = conn.execute(
        "DELETE FROM identify_events WHERE workspace_id = ?1 AND user_id = ?2",
        params![ws.id, user_id],
    )?;
    // The per-user rollups name the user too; the hourly counts do not.
    for table in ["identify_users", "identify_failures_hourly"] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE workspace_id = ?1 AND user_id = ?2"),
            params![ws.id, user_id],
        )?;
    }
    Ok(deleted)
}

/// Deletes, in every workspace with a retention, the conversations idle longer than it, with
/// their messages and sessions. Returns how many conversations went.
pub fn retention_sweep(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    const IDLE: &str = "SELECT c.id FROM conversations c JOIN workspaces w ON w.id = c.workspace_id
         WHERE w.retention_days IS NOT NULL AND c.last_activity_at < ?1 - w.retention_days * 86400000";
    conn.execute(
        &format!("DELETE FROM messages WHERE conversation_id IN ({IDLE})"),
        [now],
    )?;
    conn.execute(
        &format!("DELETE FROM sessions WHERE conversation_id IN ({IDLE})"),
        [now],
    )?;
    Ok(conn.execute(
        &format!("DELETE FROM conversations WHERE id IN ({IDLE})"),
        [now],
    )?)
}
