//! Conversations: the visitor's contact-form details, and what agents see (only started
//! conversations: the home counts, the keyset-paged list, one conversation, a contact's). Every
//! agent query is scoped to one workspace: another workspace's ids are simply not found.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{parse_enum, StoreError};
use crate::store::model::*;

/// Rows per page of the conversation list.
pub const PAGE: usize = crate::policy::DASHBOARD_PAGE;

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

/// Records the page a live session's visitor is on (`NotFound("session")` when it ended). The
/// start page follows it until the conversation starts, then stays.
pub fn set_page(
    conn: &Connection,
    session_id: i64,
    url: &str,
    title: &str,
    now: i64,
) -> Result<(), StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE conversations SET page_url = ?2, page_title = ?3, page_at = ?4,
                    start_page_url = CASE WHEN started_at IS NULL THEN ?2 ELSE coalesce(start_page_url, ?2) END
             WHERE id = (SELECT conversation_id FROM sessions WHERE id = ?1 AND revoked_at IS NULL)",
        )?
        .execute(params![session_id, url, title, now])?;
    if n == 0 {
        return Err(StoreError::NotFound("session"));
    }
    Ok(())
}

/// How many open, started conversations of the workspace wait for a reply.
pub fn waiting_count(conn: &Connection, workspace_id: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT waiting_conversations FROM workspace_counts WHERE workspace_id = ?1",
        )?
        .query_row([workspace_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Home page numbers; `since` is 30 days ago in milliseconds.
pub fn home(conn: &Connection, workspace_id: i64, since: i64) -> Result<HomeStats, StoreError> {
    let (total, identified): (i64, i64) = conn.query_row(
        "SELECT count(*), count(contact_id) FROM conversations
         WHERE workspace_id = ?1 AND started_at IS NOT NULL AND started_at >= ?2",
        params![workspace_id, since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // Kept by triggers (migration 0006) as conversations and contacts change.
    let (open, contacts): (i64, i64) = conn
        .prepare_cached(
            "SELECT open_conversations, contacts FROM workspace_counts WHERE workspace_id = ?1",
        )?
        .query_row([workspace_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0));
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

fn conversation_row(r: &Row) -> rusqlite::Result<ConversationRow> {
    let contact_id: Option<i64> = r.get(7)?;
    let contact = match contact_id {
        Some(id) => Some(ContactRow {
            id,
            user_id: r.get(8)?,
            email: r.get(9)?,
            name: r.get(10)?,
            company: r.get(11)?,
            phone: r.get(12)?,
            traits: r.get(13)?,
        }),
        None => None,
    };
    Ok(ConversationRow {
        id: r.get(0)?,
        visitor_label: r.get(1)?,
        status: parse_enum(r, 2)?,
        last_activity_at: r.get(3)?,
        last_message: r.get(4)?,
        visitor_name: r.get(5)?,
        visitor_email: r.get(6)?,
        contact,
        page: match r.get::<_, Option<String>>(14)? {
            Some(url) => Some(PageSeen {
                url,
                title: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
                at: r.get::<_, Option<i64>>(16)?.unwrap_or(0),
            }),
            None => None,
        },
        start_page_url: r.get(17)?,
        waiting: r.get(18)?,
        last_seq: r.get(19)?,
        last_unverified: r.get(20)?,
        email_shared: r.get(21)?,
    })
}

/// One page of conversations, newest activity first. `before` is the (activity, id) of the last
/// row of the previous page. Returns the rows and whether there are more.
pub fn list(
    conn: &Connection,
    workspace_id: i64,
    identified_only: bool,
    before: Option<(i64, i64)>,
) -> Result<(Vec<ConversationRow>, bool), StoreError> {
    let (at, id) = before.unwrap_or((i64::MAX, i64::MAX));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONVERSATION_COLUMNS}
         FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
         WHERE c.workspace_id = ?1 AND c.started_at IS NOT NULL
           AND (?2 = 0 OR c.contact_id IS NOT NULL)
           AND (c.last_activity_at, c.id) < (?3, ?4)
         ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?5"
    ))?;
    let rows: Vec<ConversationRow> = stmt
        .query_map(
            params![
                workspace_id,
                identified_only as i64,
                at,
                id,
                (PAGE + 1) as i64
            ],
            conversation_row,
        )?
        .collect::<Result<_, _>>()?;
    Ok(crate::store::shared::full_page(rows, PAGE))
}

/// One conversation of the workspace.
pub fn one(
    conn: &Connection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<ConversationRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
             WHERE c.workspace_id = ?1 AND c.id = ?2 AND c.started_at IS NOT NULL"
        ))?
        .query_row(params![workspace_id, id], conversation_row)
        .optional()?)
}

/// A conversation of the workspace, started or not (exports).
pub fn any(
    conn: &Connection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<ConversationRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
             WHERE c.workspace_id = ?1 AND c.id = ?2"
        ))?
        .query_row(params![workspace_id, id], conversation_row)
        .optional()?)
}

/// Every message of a conversation, oldest first.
pub fn messages(conn: &Connection, conversation_id: i64) -> Result<Vec<MessageRow>, StoreError> {
    super::messages::after(conn, conversation_id, 0, usize::MAX >> 1)
}

/// Opens or closes a conversation of the workspace; false when there is none.
pub fn set_status(
    conn: &Connection,
    workspace_id: i64,
    id: i64,
    status: ConversationStatus,
) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE conversations SET status = ?3 WHERE workspace_id = ?1 AND id = ?2 AND started_at IS NOT NULL",
        params![workspace_id, id, status.as_str()],
    )?;
    Ok(n == 1)
}

/// The conversations of a contact, newest activity first.
/// (`+c.workspace_id` keeps SQLite on the contact's index: without statistics it would walk the
/// workspace's list index to skip a sort, 18 ms at 100k conversations instead of 0.1.)
pub fn of_contact(
    conn: &Connection,
    workspace_id: i64,
    contact_id: i64,
) -> Result<Vec<ConversationRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
         WHERE +c.workspace_id = ?1 AND c.contact_id = ?2 AND c.started_at IS NOT NULL
         ORDER BY c.last_activity_at DESC, c.id DESC"
    ))?;
    let rows = stmt
        .query_map(params![workspace_id, contact_id], conversation_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
