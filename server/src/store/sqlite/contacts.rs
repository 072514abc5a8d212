//! Contacts: keyed by (workspace, user id) and nothing else.

use rusqlite::{params, Connection, OptionalExtension, Row};

use replybubble_core::user::IdentifyUser;

use super::StoreError;
use crate::store::model::*;
use crate::store::shared::traits_json;

/// Rows per page of the contact list.
pub const PAGE: usize = crate::policy::DASHBOARD_PAGE;

/// The columns [`from_row`] reads, in order.
pub const COLUMNS: &str = "id, user_id, email, name, company, phone, traits";

/// Reads a row selected with [`COLUMNS`].
pub fn from_row(r: &Row) -> rusqlite::Result<ContactRow> {
    Ok(ContactRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        email: r.get(2)?,
        name: r.get(3)?,
        company: r.get(4)?,
        phone: r.get(5)?,
        traits: r.get(6)?,
    })
}

/// Inserts or updates the contact of (workspace, user id). Fields that were sent take the
/// latest values; fields that were not sent keep theirs. Never looks at the email. A repeated
/// identify that changes nothing writes nothing (one indexed read), unless the contact's
/// `updated_at` (the contact list's order) is older than
/// [`crate::policy::VISITOR_SESSION_TOUCH_MINUTES`].
pub fn upsert(
    conn: &Connection,
    workspace_id: i64,
    user: &IdentifyUser,
    now: i64,
) -> Result<ContactRow, StoreError> {
    let email: Option<String> = user.email.as_ref().map(|v| v.as_ref().to_owned());
    let name: Option<String> = user.name.as_ref().map(|v| v.as_ref().to_owned());
    let company: Option<String> = user.company.as_ref().map(|v| v.as_ref().to_owned());
    let phone: Option<String> = user.phone.as_ref().map(|v| v.as_ref().to_owned());
    let traits = traits_json(user);
    let current = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, updated_at FROM contacts WHERE workspace_id = ?1 AND user_id = ?2"
        ))?
        .query_row(params![workspace_id, user.id.as_ref()], |r| {
            Ok((from_row(r)?, r.get::<_, i64>(7)?))
        })
        .optional()?;
    if let Some((row, updated_at)) = current {
        // A field that was not sent keeps its value, so only sent fields can change it.
        let kept = |sent: &Option<String>, stored: Option<&str>| {
            sent.as_deref().is_none_or(|v| stored == Some(v))
        };
        let unchanged = kept(&email, row.email.as_deref())
            && kept(&name, row.name.as_deref())
            && kept(&company, row.company.as_deref())
            && kept(&phone, row.phone.as_deref())
            && kept(&traits, Some(row.traits.as_str()));
        let fresh = updated_at > now - crate::policy::VISITOR_SESSION_TOUCH_MINUTES * 60_000;
        if unchanged && fresh {
            return Ok(row);
        }
    }
    Ok(conn
        .prepare_cached(&format!(
            "INSERT INTO contacts (workspace_id, user_id, email, name, company, phone, traits, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, '{{}}'), ?8, ?8)
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET
                 email = coalesce(excluded.email, email),
                 name = coalesce(excluded.name, name),
                 company = coalesce(excluded.company, company),
                 phone = coalesce(excluded.phone, phone),
                 traits = coalesce(?7, traits),
                 updated_at = excluded.updated_at
             RETURNING {COLUMNS}"
        ))?
        .query_row(
            params![
                workspace_id,
                user.id.as_ref(),
                email,
                name,
                company,
                phone,
                traits,
                now
            ],
            from_row,
        )?)
}

/// One page of contacts, most recently updated first; `before` is (updated_at, id).
pub fn list(
    conn: &Connection,
    workspace_id: i64,
    before: Option<(i64, i64)>,
) -> Result<(Vec<(ContactRow, i64)>, bool), StoreError> {
    let (at, id) = before.unwrap_or((i64::MAX, i64::MAX));
    let mut stmt = conn.prepare_cached(
        "SELECT id, user_id, email, name, company, phone, traits, updated_at FROM contacts
         WHERE workspace_id = ?1 AND (updated_at, id) < (?2, ?3)
         ORDER BY updated_at DESC, id DESC LIMIT ?4",
    )?;
    let rows: Vec<(ContactRow, i64)> = stmt
        .query_map(params![workspace_id, at, id, (PAGE + 1) as i64], |r| {
            Ok((from_row(r)?, r.get(7)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(crate::store::shared::full_page(rows, PAGE))
}

/// One contact of the workspace.
pub fn one(
    conn: &Connection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<ContactRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {} FROM contacts WHERE workspace_id = ?1 AND id = ?2",
            COLUMNS
        ))?
        .query_row(params![workspace_id, id], from_row)
        .optional()?)
}
