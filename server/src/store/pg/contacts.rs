//! The PostgreSQL port of `sqlite/contacts.rs`: contacts, keyed by (workspace, user id) and
//! nothing else.

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use replybubble_core::user::IdentifyUser;

use super::StoreError;
use crate::store::model::*;
use crate::store::shared::traits_json;

/// Rows per page of the contact list.
pub const PAGE: usize = crate::policy::DASHBOARD_PAGE;

/// The columns [`from_row`] reads, in order.
pub const COLUMNS: &str = "id, user_id, email, name, company, phone, traits";

/// Reads a row selected with [`COLUMNS`].
pub fn from_row(r: &Row) -> Result<ContactRow, StoreError> {
    Ok(ContactRow {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        email: r.try_get(2)?,
        name: r.try_get(3)?,
        company: r.try_get(4)?,
        phone: r.try_get(5)?,
        traits: r.try_get(6)?,
    })
}

/// Inserts or updates the contact of (workspace, user id). Fields that were sent take the
/// latest values; fields that were not sent keep theirs. Never looks at the email. A repeated
/// identify that changes nothing writes nothing (one indexed read), unless the contact's
/// `updated_at` (the contact list's order) is older than
/// [`crate::policy::VISITOR_SESSION_TOUCH_MINUTES`]. Concurrent upserts of one (workspace,
/// user id) are safe: `INSERT … ON CONFLICT DO UPDATE` is atomic.
pub async fn upsert(
    tx: &Transaction<'_>,
    workspace_id: i64,
    user: &IdentifyUser,
    now: i64,
) -> Result<ContactRow, StoreError> {
    let email: Option<String> = user.email.as_ref().map(|v| v.as_ref().to_owned());
    let name: Option<String> = user.name.as_ref().map(|v| v.as_ref().to_owned());
    let company: Option<String> = user.company.as_ref().map(|v| v.as_ref().to_owned());
    let phone: Option<String> = user.phone.as_ref().map(|v| v.as_ref().to_owned());
    let traits = traits_json(user);
    let user_id: &str = user.id.as_ref();
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, updated_at FROM contacts WHERE workspace_id = $1 AND user_id = $2"
        ))
        .await?;
    let current = match tx.query_opt(&stmt, &[&workspace_id, &user_id]).await? {
        Some(r) => Some((from_row(&r)?, r.try_get::<_, i64>(7)?)),
        None => None,
    };
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
    let stmt = tx
        .prepare_cached(&format!(
            "INSERT INTO contacts (workspace_id, user_id, email, name, company, phone, traits, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, coalesce($7::TEXT, '{{}}'), $8, $8)
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET
                 email = coalesce(EXCLUDED.email, contacts.email),
                 name = coalesce(EXCLUDED.name, contacts.name),
                 company = coalesce(EXCLUDED.company, contacts.company),
                 phone = coalesce(EXCLUDED.phone, contacts.phone),
                 traits = coalesce($7::TEXT, contacts.traits),
                 updated_at = EXCLUDED.updated_at
             RETURNING {COLUMNS}"
        ))
        .await?;
    let row = tx
        .query_one(
            &stmt,
            &[
                &workspace_id,
                &user_id,
                &email,
                &name,
                &company,
                &phone,
                &traits,
                &now,
            ],
        )
        .await?;
    from_row(&row)
}

/// One page of contacts, most recently updated first; `before` is (updated_at, id).
pub async fn list(
    tx: &Transaction<'_>,
    workspace_id: i64,
    before: Option<(i64, i64)>,
) -> Result<(Vec<(ContactRow, i64)>, bool), StoreError> {
    let (at, id) = before.unwrap_or((i64::MAX, i64::MAX));
    let limit = (PAGE + 1) as i64;
    let stmt = tx
        .prepare_cached(
            "SELECT id, user_id, email, name, company, phone, traits, updated_at FROM contacts
             WHERE workspace_id = $1 AND (updated_at, id) < ($2::BIGINT, $3::BIGINT)
             ORDER BY updated_at DESC, id DESC LIMIT $4",
        )
        .await?;
    let rows = tx
        .query(&stmt, &[&workspace_id, &at, &id, &limit])
        .await?
        .iter()
        .map(|r| -> Result<(ContactRow, i64), StoreError> {
            Ok((from_row(r)?, r.try_get::<_, i64>(7)?))
        })
        .collect::<Result<Vec<(ContactRow, i64)>, StoreError>>()?;
    Ok(crate::store::shared::full_page(rows, PAGE))
}

/// One contact of the workspace.
pub async fn one(
    tx: &Transaction<'_>,
    workspace_id: i64,
    id: i64,
) -> Result<Option<ContactRow>, StoreError> {
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {} FROM contacts WHERE workspace_id = $1 AND id = $2",
            COLUMNS
        ))
        .await?;
    match tx.query_opt(&stmt, &[&workspace_id, &id]).await? {
        Some(r) => Ok(Some(from_row(&r)?)),
        None => Ok(None),
    }
}
