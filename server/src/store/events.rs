//! The identify activity log behind the verification panel. Never holds a signature.

use rusqlite::{params, Connection};

use replybubble_core::identify::IdentifyResult;

use super::StoreError;

/// One outcome to record.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentifyEvent {
    /// Workspace id.
    pub workspace_id: i64,
    /// Milliseconds since the epoch.
    pub at: i64,
    /// The user id as sent (None when it was not a string).
    pub user_id: Option<String>,
    /// verified, unverified, rejected, disabled, plan_upgrade_required, invalid.
    pub result: IdentifyResult,
    /// The code (signature_missing, signature_invalid, signature_expired, invalid_field, ...).
    pub code: Option<&'static str>,
    /// The hint, or for invalid_field the field.
    pub hint: Option<String>,
}

/// Records one outcome.
pub fn record(conn: &Connection, e: &IdentifyEvent) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO identify_events (workspace_id, at, user_id, result, code, hint) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![e.workspace_id, e.at, e.user_id, e.result.as_str(), e.code, e.hint])?;
    Ok(())
}
