//! Contacts: keyed by (workspace, user id) and nothing else.

use rusqlite::{params, Connection, OptionalExtension, Row};

use replybubble_core::user::{IdentifyUser, TraitValue};

use super::StoreError;
use crate::store::model::*;

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

fn traits_json(user: &IdentifyUser) -> Option<String> {
    if user.traits.is_empty() {
        return None;
    }
    let map: serde_json::Map<String, serde_json::Value> = user
        .traits
        .iter()
        .map(|(k, v)| {
            let v = match v {
                TraitValue::String(s) => serde_json::Value::String(s.clone()),
                TraitValue::Number(n) => serde_json::Number::from_f64(*n)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null),
                TraitValue::Bool(b) => serde_json::Value::Bool(*b),
            };
            (k.clone(), v)
        })
        .collect();
    Some(serde_json::Value::Object(map).to_string())
}

/// Inserts or updates the contact of (workspace, user id). Fields that were sent take the
/// latest values; fields that were not sent keep theirs. Never looks at the email. A repeated
/// identify that changes nothing writes nothing, unless the contact's `updated_at` (the
/// contact list's order) is older than [`crate::policy::VISITOR_SESSION_TOUCH_MINUTES`].
pub fn upsert(
    conn: &Connection,
    workspace_id: i64,
    user: &IdentifyUser,
    now: i64,
) -> Result<ContactRow, StoreError> {
    let s = |o: Option<&str>| o.map(str::to_owned);
    let row = conn
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
             WHERE email IS NOT coalesce(excluded.email, email)
                OR name IS NOT coalesce(excluded.name, name)
                OR company IS NOT coalesce(excluded.company, company)
                OR phone IS NOT coalesce(excluded.phone, phone)
                OR traits IS NOT coalesce(?7, traits)
                OR updated_at <= ?9
             RETURNING {COLUMNS}"
        ))?
        .query_row(
            params![
                workspace_id,
                user.id.as_ref(),
                s(user.email.as_ref().map(AsRef::as_ref)),
                s(user.name.as_ref().map(AsRef::as_ref)),
                s(user.company.as_ref().map(AsRef::as_ref)),
                s(user.phone.as_ref().map(AsRef::as_ref)),
                traits_json(user),
                now,
                now - crate::policy::VISITOR_SESSION_TOUCH_MINUTES * 60_000
            ],
            from_row,
        )
        .optional()?;
    match row {
        Some(row) => Ok(row),
        // Nothing changed: the row as it is.
        None => Ok(conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM contacts WHERE workspace_id = ?1 AND user_id = ?2"
            ))?
            .query_row(params![workspace_id, user.id.as_ref()], from_row)?),
    }
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
    Ok(super::full_page(rows, PAGE))
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
