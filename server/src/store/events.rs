//! The identify activity log and what the verification panel reads of it: counts by outcome,
//! failures by user id, Required readiness. Never holds a signature.

use rusqlite::{params, Connection};

use replybubble_core::identify::IdentifyResult;

use super::{parse_enum, StoreError};

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

/// Identify outcomes counted by (result, code, hint) since a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeCount {
    /// verified, unverified, rejected, disabled, plan_upgrade_required, invalid.
    pub result: IdentifyResult,
    /// The code, if any.
    pub code: Option<String>,
    /// The hint (or the field of an invalid_field), if any.
    pub hint: Option<String>,
    /// How many.
    pub count: i64,
}

/// Outcome counts since `since`, most frequent first.
pub fn outcome_counts(
    conn: &Connection,
    workspace_id: i64,
    since: i64,
) -> Result<Vec<OutcomeCount>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT result, code, hint, count(*) AS n FROM identify_events WHERE workspace_id = ?1 AND at >= ?2
         GROUP BY result, code, hint ORDER BY n DESC, result, code, hint",
    )?;
    let rows = stmt
        .query_map(params![workspace_id, since], |r| {
            Ok(OutcomeCount {
                result: parse_enum(r, 0)?,
                code: r.get(1)?,
                hint: r.get(2)?,
                count: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The failures of one user id (as sent) with one code and hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The latest such call.
    pub at: i64,
    /// The user id as sent (None: the call had no usable id).
    pub user_id: Option<String>,
    /// The error code.
    pub code: Option<String>,
    /// The hint or the field.
    pub hint: Option<String>,
    /// How many calls failed this way.
    pub calls: i64,
}

/// The failures since `since`, one row per user id, code and hint with its call count, latest
/// first: a flood of calls for one id is one row, so it cannot push the others off the list.
pub fn failures(
    conn: &Connection,
    workspace_id: i64,
    since: i64,
    limit: usize,
) -> Result<Vec<Failure>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT max(at) AS last, user_id, code, hint, count(*) FROM identify_events
         WHERE workspace_id = ?1 AND at >= ?2 AND result IN ('unverified', 'rejected', 'invalid')
         GROUP BY user_id, code, hint ORDER BY last DESC LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![workspace_id, since, limit as i64], |r| {
            Ok(Failure {
                at: r.get(0)?,
                user_id: r.get(1)?,
                code: r.get(2)?,
                hint: r.get(3)?,
                calls: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Checked identify calls (verified, unverified, rejected) since a time, by distinct user id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Distinct user ids whose signature was checked.
    pub users: i64,
    /// Of those, the ids with at least one call Required mode would reject.
    pub failing_users: i64,
    /// Checked calls.
    pub calls: i64,
    /// Of those, the calls Required mode would reject.
    pub failing_calls: i64,
}

/// Required readiness counted by distinct user id, so one visitor repeating a bad call weighs
/// as one user, however many calls it makes.
pub fn readiness(
    conn: &Connection,
    workspace_id: i64,
    since: i64,
) -> Result<Readiness, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*), coalesce(sum(failing > 0), 0), coalesce(sum(calls), 0), coalesce(sum(failing), 0) FROM (
           SELECT user_id, count(*) AS calls, sum(result <> 'verified') AS failing FROM identify_events
           WHERE workspace_id = ?1 AND at >= ?2 AND result IN ('verified', 'unverified', 'rejected')
           GROUP BY user_id)",
        params![workspace_id, since],
        |r| {
            Ok(Readiness {
                users: r.get(0)?,
                failing_users: r.get(1)?,
                calls: r.get(2)?,
                failing_calls: r.get(3)?,
            })
        },
    )?)
}
