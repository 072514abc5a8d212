//! What both engines share of their work: plain Rust, no SQL and no driver types.

use replybubble_core::user::{IdentifyUser, TraitValue};

use super::StoreError;

/// A lookup whose `NotFound` means "none".
pub(crate) fn found<T>(r: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Keyset paging: the query asked for one row more than `page`; that row, when it came, says
/// there are more pages and is not shown.
pub(crate) fn full_page<T>(mut rows: Vec<T>, page: usize) -> (Vec<T>, bool) {
    let more = rows.len() > page;
    rows.truncate(page);
    (rows, more)
}

/// A database written by a newer release: refused, never downgraded.
pub(crate) fn newer_schema(current: i64, latest: i64) -> StoreError {
    StoreError::Invalid(format!(
        "the database is at schema version {current} but this replybubble knows only up to {latest}: \
         run a newer replybubble (downgrades are not supported)"
    ))
}

/// A contact's traits as stored: a JSON object, or None when none were sent.
pub(crate) fn traits_json(user: &IdentifyUser) -> Option<String> {
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

pub(crate) const HOUR_MS: i64 = 3_600_000;

/// The start of the hour that holds `at` (the identify rollups count by the hour).
pub(crate) fn hour(at: i64) -> i64 {
    at - at.rem_euclid(HOUR_MS)
}

/// The rollups store a missing code, hint or user id as "".
pub(crate) fn none_if_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// A live session as the writing transaction sees it, read once per write.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    /// Its workspace.
    pub workspace_id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// The contact the conversation belongs to, if any.
    pub owner: Option<i64>,
    /// The contact the session is verified as, if any.
    pub contact_id: Option<i64>,
    /// That contact's user id: who the session is bound to (the claim rule).
    pub bound_user: Option<String>,
    /// The secret version it was verified with.
    pub version: Option<u32>,
}

impl Live {
    /// A session just created: anonymous, its conversation new.
    pub(crate) fn fresh(workspace_id: i64, conversation_id: i64) -> Live {
        Live {
            workspace_id,
            conversation_id,
            owner: None,
            contact_id: None,
            bound_user: None,
            version: None,
        }
    }
}

/// A workspace's appearance from its stored columns (the schema's CHECKs and the setters keep
/// them valid; a value edited by hand that breaks a rule is named, not guessed).
pub(crate) fn appearance(
    color: String,
    position: String,
    offset_x: i64,
    offset_y: i64,
    z_index: i64,
    [title, subtitle, launcher_label]: [Option<String>; 3],
    locale: String,
) -> Result<replybubble_core::appearance::Appearance, String> {
    use replybubble_core::appearance as a;
    let stored = |e: replybubble_core::FieldError| format!("stored widget appearance: {e}");
    Ok(a::Appearance {
        color: a::Color::parse(&color).map_err(stored)?,
        position: position.parse().map_err(stored)?,
        offset_x: a::parse_offset("offset_x", offset_x).map_err(stored)?,
        offset_y: a::parse_offset("offset_y", offset_y).map_err(stored)?,
        z_index: a::parse_z_index(z_index).map_err(stored)?,
        title,
        subtitle,
        launcher_label,
        locale: locale.parse().map_err(stored)?,
    })
}
