//! The identify activity log and what the verification panel reads of it: counts by outcome,
//! failures by user id, Required readiness. Never holds a signature.

use rusqlite::{params, Connection};

use super::{parse_enum, StoreError};
use crate::store::model::*;

/// Records one outcome.
pub fn record(conn: &Connection, e: &IdentifyEvent) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO identify_events (workspace_id, at, user_id, result, code, hint) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![e.workspace_id, e.at, e.user_id, e.result.as_str(), e.code, e.hint])?;
    Ok(())
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
