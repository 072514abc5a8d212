//! The PostgreSQL port of `sqlite/privacy.rs`: a contact's data as a whole: export and deletion
//! (data-subject requests), and the retention sweep of idle conversations.

use deadpool_postgres::Transaction;

use super::{conversations, parse_enum, StoreError};
use crate::store::model::*;

/// The contact of (workspace, user id), if any: (workspace id, contact). With `lock`, the
/// contact's row stays locked (`FOR UPDATE`) until the caller's transaction ends: no
/// conversation or session can be linked to it meanwhile (their foreign keys wait for the lock).
async fn find(
    tx: &Transaction<'_>,
    app_id: &str,
    user_id: &str,
    lock: bool,
) -> Result<Option<(i64, ContactRow)>, StoreError> {
    let ws = super::workspaces::by_app_id(tx, app_id).await?;
    let sql = format!(
        "SELECT {} FROM contacts WHERE workspace_id = $1 AND user_id = $2{}",
        super::contacts::COLUMNS,
        if lock { " FOR UPDATE" } else { "" }
    );
    let stmt = tx.prepare_cached(&sql).await?;
    let contact = match tx.query_opt(&stmt, &[&ws.id, &user_id]).await? {
        Some(row) => Some(super::contacts::from_row(&row)?),
        None => None,
    };
    Ok(contact.map(|c| (ws.id, c)))
}

fn event_row(r: &tokio_postgres::Row) -> Result<EventRow, StoreError> {
    Ok(EventRow {
        at: r.try_get(0)?,
        result: parse_enum(r, 1)?,
        code: r.try_get(2)?,
        hint: r.try_get(3)?,
    })
}

/// Everything kept about the contact `user_id` of a workspace: the contact, all its
/// conversations (started or not) with their messages, and the identify calls made with its id.
pub async fn export_contact(
    tx: &Transaction<'_>,
    app_id: &str,
    user_id: &str,
) -> Result<Option<ContactExport>, StoreError> {
    let Some((workspace_id, contact)) = find(tx, app_id, user_id, false).await? else {
        return Ok(None);
    };
    let stmt = tx
        .prepare_cached("SELECT id FROM conversations WHERE contact_id = $1 ORDER BY id")
        .await?;
    let ids: Vec<i64> = tx
        .query(&stmt, &[&contact.id])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut exported = Vec::new();
    for id in ids {
        if let Some(conversation) = conversations::any(tx, workspace_id, id).await? {
            let messages = super::messages::after(tx, id, 0, usize::MAX >> 1).await?;
            exported.push(ConversationExport {
                conversation,
                messages,
            });
        }
    }
    let stmt = tx
        .prepare_cached(
            "SELECT at, result, code, hint FROM identify_events
             WHERE workspace_id = $1 AND user_id = $2 ORDER BY at, id",
        )
        .await?;
    let events = tx
        .query(&stmt, &[&workspace_id, &user_id])
        .await?
        .iter()
        .map(event_row)
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
/// (The contact's row, then its conversations' and sessions' rows, are locked first: what
/// SQLite's single writer guaranteed, that no conversation, session, message or stream ticket
/// joins them between the reads and the deletes.)
pub async fn delete_contact(
    tx: &Transaction<'_>,
    app_id: &str,
    user_id: &str,
) -> Result<Deleted, StoreError> {
    let ws = super::workspaces::by_app_id(tx, app_id).await?;
    let mut deleted = Deleted::default();
    if let Some((_, contact)) = find(tx, app_id, user_id, true).await? {
        let stmt = tx
            .prepare_cached(
                "SELECT id FROM conversations WHERE contact_id = $1 ORDER BY id FOR UPDATE",
            )
            .await?;
        tx.query(&stmt, &[&contact.id]).await?;
        // Locked too, so no stream ticket is issued for them meanwhile.
        let stmt = tx
            .prepare_cached(
                "SELECT id FROM sessions WHERE contact_id = $1
                 OR conversation_id IN (SELECT id FROM conversations WHERE contact_id = $1)
                 FOR UPDATE",
            )
            .await?;
        deleted.session_ids = tx
            .query(&stmt, &[&contact.id])
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        // Their stream tickets go with them (ON DELETE CASCADE); their streams end everywhere.
        for id in &deleted.session_ids {
            super::notify(Notice::VisitorSessionEnded(*id));
        }
        let stmt = tx
            .prepare_cached(
                "DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE contact_id = $1)",
            )
            .await?;
        deleted.messages = tx.execute(&stmt, &[&contact.id]).await? as usize;
        let stmt = tx
            .prepare_cached(
                "DELETE FROM sessions WHERE contact_id = $1
                 OR conversation_id IN (SELECT id FROM conversations WHERE contact_id = $1)",
            )
            .await?;
        deleted.sessions = tx.execute(&stmt, &[&contact.id]).await? as usize;
        let stmt = tx
            .prepare_cached("DELETE FROM conversations WHERE contact_id = $1")
            .await?;
        deleted.conversations = tx.execute(&stmt, &[&contact.id]).await? as usize;
        let stmt = tx
            .prepare_cached("DELETE FROM contacts WHERE id = $1")
            .await?;
        deleted.contacts = tx.execute(&stmt, &[&contact.id]).await? as usize;
    }
    let stmt = tx
        .prepare_cached("DELETE FROM identify_events WHERE workspace_id = $1 AND user_id = $2")
        .await?;
    deleted.events = tx.execute(&stmt, &[&ws.id, &user_id]).await? as usize;
    // The per-user rollups name the user too; the hourly counts do not.
    for table in ["identify_users", "identify_failures_hourly"] {
        let stmt = tx
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE workspace_id = $1 AND user_id = $2"
            ))
            .await?;
        tx.execute(&stmt, &[&ws.id, &user_id]).await?;
    }
    Ok(deleted)
}

/// Deletes, in every workspace with a retention, the conversations idle longer than it, with
/// their messages and sessions. Returns how many conversations went.
/// (The idle conversations are locked and listed first, so the three deletes act on the same
/// set: a message arriving meanwhile waits, or, if it came first, makes its conversation no
/// longer idle and keeps it.)
pub async fn retention_sweep(tx: &Transaction<'_>, now: i64) -> Result<usize, StoreError> {
    // `retention_days` is an INTEGER: widened before the product, which overflows 32 bits.
    let stmt = tx
        .prepare_cached(
            "SELECT c.id FROM conversations c JOIN workspaces w ON w.id = c.workspace_id
             WHERE w.retention_days IS NOT NULL
               AND c.last_activity_at < $1 - w.retention_days::BIGINT * 86400000
             FOR UPDATE OF c",
        )
        .await?;
    let idle: Vec<i64> = tx
        .query(&stmt, &[&now])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    if idle.is_empty() {
        return Ok(0);
    }
    let stmt = tx
        .prepare_cached("DELETE FROM messages WHERE conversation_id = ANY($1)")
        .await?;
    tx.execute(&stmt, &[&idle]).await?;
    // Their sessions are locked (no stream ticket is issued for them meanwhile); their tickets
    // go with them (ON DELETE CASCADE) and their streams end everywhere.
    let stmt = tx
        .prepare_cached("SELECT id FROM sessions WHERE conversation_id = ANY($1) FOR UPDATE")
        .await?;
    let sessions: Vec<i64> = tx
        .query(&stmt, &[&idle])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    for id in &sessions {
        super::notify(Notice::VisitorSessionEnded(*id));
    }
    let stmt = tx
        .prepare_cached("DELETE FROM sessions WHERE conversation_id = ANY($1)")
        .await?;
    tx.execute(&stmt, &[&idle]).await?;
    let stmt = tx
        .prepare_cached("DELETE FROM conversations WHERE id = ANY($1)")
        .await?;
    Ok(tx.execute(&stmt, &[&idle]).await? as usize)
}
