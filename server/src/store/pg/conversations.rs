//! The PostgreSQL port of `sqlite/conversations.rs`: the visitor's contact-form details, and
//! what agents see (only started conversations: the home counts, the keyset-paged list, one
//! conversation, a contact's). Every agent query is scoped to one workspace: another
//! workspace's ids are simply not found.

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::{parse_enum, StoreError};
use crate::store::model::*;

/// Rows per page of the conversation list.
pub const PAGE: usize = crate::policy::DASHBOARD_PAGE;

/// Whether `conversation_id` belongs to `workspace_id` (another workspace's id is "not found").
pub async fn in_workspace(
    tx: &Transaction<'_>,
    workspace_id: i64,
    conversation_id: i64,
) -> Result<bool, StoreError> {
    let stmt = tx
        .prepare_cached("SELECT 1 FROM conversations WHERE id = $1 AND workspace_id = $2")
        .await?;
    Ok(tx
        .query_opt(&stmt, &[&conversation_id, &workspace_id])
        .await?
        .is_some())
}

/// Stores what the visitor typed into the contact form on their live session's conversation
/// (`NotFound("session")` when it ended), which starts the conversation. The session row is
/// locked while it is read live, so details racing a reset never land in the old conversation.
pub async fn set_visitor_details(
    tx: &Transaction<'_>,
    session_id: i64,
    name: Option<&str>,
    email: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE conversations SET visitor_name = coalesce($2, visitor_name), visitor_email = coalesce($3, visitor_email),
                    started_at = coalesce(started_at, $4), last_activity_at = $4
             WHERE id = (SELECT conversation_id FROM sessions WHERE id = $1 AND revoked_at IS NULL FOR UPDATE)",
        )
        .await?;
    let n = tx
        .execute(&stmt, &[&session_id, &name, &email, &now])
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("session"));
    }
    Ok(())
}

/// Records the page a live session's visitor is on (`NotFound("session")` when it ended). The
/// start page follows it until the conversation starts, then stays. The session row is locked
/// while it is read live, as for the contact form.
pub async fn set_page(
    tx: &Transaction<'_>,
    session_id: i64,
    url: &str,
    title: &str,
    now: i64,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE conversations SET page_url = $2, page_title = $3, page_at = $4,
                    start_page_url = CASE WHEN started_at IS NULL THEN $2 ELSE coalesce(start_page_url, $2) END
             WHERE id = (SELECT conversation_id FROM sessions WHERE id = $1 AND revoked_at IS NULL FOR UPDATE)",
        )
        .await?;
    let n = tx
        .execute(&stmt, &[&session_id, &url, &title, &now])
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("session"));
    }
    Ok(())
}

/// How many open, started conversations of the workspace wait for a reply.
pub async fn waiting_count(tx: &Transaction<'_>, workspace_id: i64) -> Result<i64, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT waiting_conversations FROM workspace_counts WHERE workspace_id = $1",
        )
        .await?;
    Ok(match tx.query_opt(&stmt, &[&workspace_id]).await? {
        Some(r) => r.try_get(0)?,
        None => 0,
    })
}

/// Home page numbers; `since` is 30 days ago in milliseconds.
pub async fn home(
    tx: &Transaction<'_>,
    workspace_id: i64,
    since: i64,
) -> Result<HomeStats, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT count(*), count(contact_id) FROM conversations
             WHERE workspace_id = $1 AND started_at IS NOT NULL AND started_at >= $2",
        )
        .await?;
    let row = tx.query_one(&stmt, &[&workspace_id, &since]).await?;
    let (total, identified): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    // Kept by triggers (`0001_init.sql`) as conversations and contacts change.
    let stmt = tx
        .prepare_cached(
            "SELECT open_conversations, contacts FROM workspace_counts WHERE workspace_id = $1",
        )
        .await?;
    let (open, contacts): (i64, i64) = match tx.query_opt(&stmt, &[&workspace_id]).await? {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (0, 0),
    };
    Ok(HomeStats {
        conversations_30d: total,
        identified_30d: identified,
        open,
        contacts,
    })
}

const CONVERSATION_COLUMNS: &str = "c.id, c.visitor_label, c.status, c.last_activity_at, c.last_message, c.visitor_name, c.visitor_email,
     k.id, k.user_id, k.email, k.name, k.company, k.phone, k.traits, c.page_url, c.page_title, c.page_at, c.start_page_url,
     c.waiting, c.last_seq,
     c.contact_id IS NOT NULL AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
             AND m.seq = c.last_seq AND m.author = 'visitor' AND NOT m.verified),
     k.email IS NOT NULL AND EXISTS (SELECT 1 FROM contacts k2 WHERE k2.workspace_id = k.workspace_id
             AND k2.email IS NOT NULL AND lower(k2.email) = lower(k.email) AND k2.id <> k.id)";

fn conversation_row(r: &Row) -> Result<ConversationRow, StoreError> {
    let contact_id: Option<i64> = r.try_get(7)?;
    let contact = match contact_id {
        Some(id) => Some(ContactRow {
            id,
            user_id: r.try_get(8)?,
            email: r.try_get(9)?,
            name: r.try_get(10)?,
            company: r.try_get(11)?,
            phone: r.try_get(12)?,
            traits: r.try_get(13)?,
        }),
        None => None,
    };
    Ok(ConversationRow {
        id: r.try_get(0)?,
        visitor_label: r.try_get(1)?,
        status: parse_enum(r, 2)?,
        last_activity_at: r.try_get(3)?,
        last_message: r.try_get(4)?,
        visitor_name: r.try_get(5)?,
        visitor_email: r.try_get(6)?,
        contact,
        page: match r.try_get::<_, Option<String>>(14)? {
            Some(url) => Some(PageSeen {
                url,
                title: r.try_get::<_, Option<String>>(15)?.unwrap_or_default(),
                at: r.try_get::<_, Option<i64>>(16)?.unwrap_or(0),
            }),
            None => None,
        },
        start_page_url: r.try_get(17)?,
        waiting: r.try_get(18)?,
        last_seq: r.try_get(19)?,
        last_unverified: r.try_get(20)?,
        email_shared: r.try_get(21)?,
    })
}

/// One page of conversations, newest activity first. `before` is the (activity, id) of the last
/// row of the previous page. Returns the rows and whether there are more.
pub async fn list(
    tx: &Transaction<'_>,
    workspace_id: i64,
    identified_only: bool,
    before: Option<(i64, i64)>,
) -> Result<(Vec<ConversationRow>, bool), StoreError> {
    let (at, id) = before.unwrap_or((i64::MAX, i64::MAX));
    let limit = (PAGE + 1) as i64;
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS}
             FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
             WHERE c.workspace_id = $1 AND c.started_at IS NOT NULL
               AND (NOT $2::BOOLEAN OR c.contact_id IS NOT NULL)
               AND (c.last_activity_at, c.id) < ($3::BIGINT, $4::BIGINT)
             ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $5"
        ))
        .await?;
    let rows = tx
        .query(&stmt, &[&workspace_id, &identified_only, &at, &id, &limit])
        .await?;
    let rows = rows
        .iter()
        .map(conversation_row)
        .collect::<Result<Vec<ConversationRow>, StoreError>>()?;
    Ok(crate::store::shared::full_page(rows, PAGE))
}

/// One conversation of the workspace.
pub async fn one(
    tx: &Transaction<'_>,
    workspace_id: i64,
    id: i64,
) -> Result<Option<ConversationRow>, StoreError> {
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
             WHERE c.workspace_id = $1 AND c.id = $2 AND c.started_at IS NOT NULL"
        ))
        .await?;
    match tx.query_opt(&stmt, &[&workspace_id, &id]).await? {
        Some(r) => Ok(Some(conversation_row(&r)?)),
        None => Ok(None),
    }
}

/// A conversation of the workspace, started or not (exports).
pub async fn any(
    tx: &Transaction<'_>,
    workspace_id: i64,
    id: i64,
) -> Result<Option<ConversationRow>, StoreError> {
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
             WHERE c.workspace_id = $1 AND c.id = $2"
        ))
        .await?;
    match tx.query_opt(&stmt, &[&workspace_id, &id]).await? {
        Some(r) => Ok(Some(conversation_row(&r)?)),
        None => Ok(None),
    }
}

/// Opens or closes a conversation of the workspace; false when there is none.
pub async fn set_status(
    tx: &Transaction<'_>,
    workspace_id: i64,
    id: i64,
    status: ConversationStatus,
) -> Result<bool, StoreError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE conversations SET status = $3 WHERE workspace_id = $1 AND id = $2 AND started_at IS NOT NULL",
        )
        .await?;
    let n = tx
        .execute(&stmt, &[&workspace_id, &id, &status.as_str()])
        .await?;
    Ok(n == 1)
}

/// The conversations of a contact, newest activity first.
pub async fn of_contact(
    tx: &Transaction<'_>,
    workspace_id: i64,
    contact_id: i64,
) -> Result<Vec<ConversationRow>, StoreError> {
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
             WHERE c.workspace_id = $1 AND c.contact_id = $2 AND c.started_at IS NOT NULL
             ORDER BY c.last_activity_at DESC, c.id DESC"
        ))
        .await?;
    let rows = tx.query(&stmt, &[&workspace_id, &contact_id]).await?;
    rows.iter().map(conversation_row).collect()
}
