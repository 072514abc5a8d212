//! The PostgreSQL port of `sqlite/events.rs`: the identify activity.
//!
//! The raw calls (kept 30 days) and the rollups the verification panel reads (hourly counts by
//! outcome, kept 400 days; per user id, the latest checked, unready and failed call; failing
//! calls per user id and hour), written in the same transaction as the raw row. Never holds a
//! signature. In the rollups "" stands for a missing code, hint or user id.

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::{parse_enum, StoreError};
use crate::store::model::*;
use crate::store::shared::{hour, none_if_empty};

/// Records one outcome and counts it in the rollups.
pub async fn record(tx: &Transaction<'_>, e: &IdentifyEvent) -> Result<(), StoreError> {
    let result_str = e.result.as_str();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO identify_events (workspace_id, at, user_id, result, code, hint) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &e.workspace_id,
            &e.at,
            &e.user_id,
            &result_str,
            &e.code,
            &e.hint,
        ],
    )
    .await?;
    let (code, hint) = (e.code.unwrap_or(""), e.hint.as_deref().unwrap_or(""));
    let user = e.user_id.as_deref().unwrap_or("");
    let at_hour = hour(e.at);
    let stmt = tx
        .prepare_cached(
            "INSERT INTO identify_hourly (workspace_id, hour, result, code, hint, shard, calls)
             VALUES ($1, $2, $3, $4, $5, pg_backend_pid() % 16, 1)
             ON CONFLICT (workspace_id, hour, result, code, hint, shard) DO UPDATE SET calls = identify_hourly.calls + 1",
        )
        .await?;
    tx.execute(
        &stmt,
        &[&e.workspace_id, &at_hour, &result_str, &code, &hint],
    )
    .await?;
    let result = e.result;
    if result.was_checked() || result.is_failure() {
        // Only a later hour (or a later failure) writes: a user's repeated calls within an hour
        // leave the row, and its indexes, as they are. (GREATEST ignores NULLs: the larger of
        // the stored and the new value, or whichever is not NULL.)
        let checked: Option<i64> = result.was_checked().then_some(at_hour);
        let unready: Option<i64> = result.fails_required().then_some(at_hour);
        let failed: Option<i64> = result.is_failure().then_some(e.at);
        let stmt = tx
            .prepare_cached(
                "INSERT INTO identify_users (workspace_id, user_id, last_checked_hour, last_unready_hour, last_failed_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (workspace_id, user_id) DO UPDATE SET
                   last_checked_hour = GREATEST(identify_users.last_checked_hour, EXCLUDED.last_checked_hour),
                   last_unready_hour = GREATEST(identify_users.last_unready_hour, EXCLUDED.last_unready_hour),
                   last_failed_at = GREATEST(identify_users.last_failed_at, EXCLUDED.last_failed_at)
                 WHERE EXCLUDED.last_checked_hour > coalesce(identify_users.last_checked_hour, -1)
                    OR EXCLUDED.last_unready_hour > coalesce(identify_users.last_unready_hour, -1)
                    OR EXCLUDED.last_failed_at > coalesce(identify_users.last_failed_at, -1)",
            )
            .await?;
        tx.execute(
            &stmt,
            &[&e.workspace_id, &user, &checked, &unready, &failed],
        )
        .await?;
    }
    if result.is_failure() {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO identify_failures_hourly (workspace_id, user_id, code, hint, hour, calls, last_at)
                 VALUES ($1, $2, $3, $4, $5, 1, $6)
                 ON CONFLICT (workspace_id, user_id, code, hint, hour) DO UPDATE SET
                   calls = identify_failures_hourly.calls + 1,
                   last_at = GREATEST(identify_failures_hourly.last_at, EXCLUDED.last_at)",
            )
            .await?;
        tx.execute(
            &stmt,
            &[&e.workspace_id, &user, &code, &hint, &at_hour, &e.at],
        )
        .await?;
    }
    Ok(())
}

fn outcome_count(r: &Row) -> Result<OutcomeCount, StoreError> {
    Ok(OutcomeCount {
        result: parse_enum(r, 0)?,
        code: none_if_empty(r.try_get(1)?),
        hint: none_if_empty(r.try_get(2)?),
        count: r.try_get(3)?,
    })
}

/// Outcome counts of the hours from the one that holds `since`, most frequent first (ties in
/// byte order of result, code and hint, as SQLite's BINARY collation).
pub async fn outcome_counts(
    tx: &Transaction<'_>,
    workspace_id: i64,
    since: i64,
) -> Result<Vec<OutcomeCount>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT result, code, hint, sum(calls)::BIGINT AS n FROM identify_hourly WHERE workspace_id = $1 AND hour >= $2
             GROUP BY result, code, hint ORDER BY n DESC, result COLLATE \"C\", code COLLATE \"C\", hint COLLATE \"C\"",
        )
        .await?;
    let rows = tx.query(&stmt, &[&workspace_id, &hour(since)]).await?;
    rows.iter().map(outcome_count).collect()
}

fn failure(r: &Row) -> Result<Failure, StoreError> {
    Ok(Failure {
        at: r.try_get(0)?,
        user_id: none_if_empty(r.try_get(1)?),
        code: none_if_empty(r.try_get(2)?),
        hint: none_if_empty(r.try_get(3)?),
        calls: r.try_get(4)?,
    })
}

/// The failures since `since` (counted from the hour that holds it), one row per user id, code
/// and hint with its call count, latest first: a flood of calls for one id is one row, so it
/// cannot push the others off the list. The `limit` latest rows belong to the `limit` user ids
/// that failed last, so only their hourly rows are read (the subquery picks those ids first).
pub async fn failures(
    tx: &Transaction<'_>,
    workspace_id: i64,
    since: i64,
    limit: usize,
) -> Result<Vec<Failure>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT max(f.last_at) AS latest, f.user_id, f.code, f.hint, sum(f.calls)::BIGINT
             FROM (SELECT user_id FROM identify_users WHERE workspace_id = $1 AND last_failed_at >= $2
                   ORDER BY last_failed_at DESC LIMIT $3) u
             JOIN identify_failures_hourly f
               ON f.workspace_id = $1 AND f.user_id = u.user_id AND f.hour >= $4
             GROUP BY f.user_id, f.code, f.hint ORDER BY latest DESC LIMIT $3",
        )
        .await?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = tx
        .query(&stmt, &[&workspace_id, &since, &limit, &hour(since)])
        .await?;
    rows.iter().map(failure).collect()
}

/// How many user ids of the workspace have `column` (an hour) from the hour that holds `since`.
async fn users_since(
    tx: &Transaction<'_>,
    column: &str,
    workspace_id: i64,
    since: i64,
) -> Result<i64, StoreError> {
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT count(*) FROM identify_users WHERE workspace_id = $1 AND {column} >= $2"
        ))
        .await?;
    Ok(tx
        .query_one(&stmt, &[&workspace_id, &hour(since)])
        .await?
        .try_get(0)?)
}

/// Required readiness counted by distinct user id, so one visitor repeating a bad call weighs
/// as one user, however many calls it makes: user ids checked from the hour that holds `since`
/// and those with a call Required would reject, and their calls, all counted by the hour.
pub async fn readiness(
    tx: &Transaction<'_>,
    workspace_id: i64,
    since: i64,
) -> Result<Readiness, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT coalesce(sum(calls), 0)::BIGINT, coalesce(sum(CASE WHEN result <> 'verified' THEN calls END), 0)::BIGINT
             FROM identify_hourly WHERE workspace_id = $1 AND hour >= $2
               AND result IN ('verified', 'unverified', 'rejected')",
        )
        .await?;
    let row = tx.query_one(&stmt, &[&workspace_id, &hour(since)]).await?;
    let (calls, failing_calls): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    Ok(Readiness {
        users: users_since(tx, "last_checked_hour", workspace_id, since).await?,
        failing_users: users_since(tx, "last_unready_hour", workspace_id, since).await?,
        calls,
        failing_calls,
    })
}

/// Deletes at most `batch` raw calls older than `raw_before` and rollup rows past their keep
/// (per-user rows older than `raw_before`, hourly counts older than `counts_before`); returns
/// how many raw calls went, so a caller can repeat while it equals `batch` without holding
/// locks long.
pub async fn prune(
    tx: &Transaction<'_>,
    raw_before: i64,
    counts_before: i64,
    batch: usize,
) -> Result<usize, StoreError> {
    // Per workspace along (workspace_id, at): no index of its own to maintain on every call.
    let stmt = tx
        .prepare_cached(
            "DELETE FROM identify_events WHERE id IN
               (SELECT e.id FROM workspaces w JOIN identify_events e
                  ON e.workspace_id = w.id AND e.at < $1 LIMIT $2)",
        )
        .await?;
    let batch = i64::try_from(batch).unwrap_or(i64::MAX);
    let raw = tx.execute(&stmt, &[&raw_before, &batch]).await?;
    let stmt = tx
        .prepare_cached("DELETE FROM identify_failures_hourly WHERE hour < $1")
        .await?;
    tx.execute(&stmt, &[&hour(raw_before)]).await?;
    // GREATEST ignores NULLs: the later of the two, or whichever is set (neither: kept).
    let stmt = tx
        .prepare_cached(
            "DELETE FROM identify_users WHERE GREATEST(last_checked_hour, last_failed_at) < $1",
        )
        .await?;
    tx.execute(&stmt, &[&raw_before]).await?;
    let stmt = tx
        .prepare_cached("DELETE FROM identify_hourly WHERE hour < $1")
        .await?;
    tx.execute(&stmt, &[&hour(counts_before)]).await?;
    Ok(raw as usize)
}
