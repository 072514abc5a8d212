//! The identify activity: the raw calls (kept 30 days) and the rollups the verification panel
//! reads (hourly counts by outcome, kept 400 days; per user id, the latest checked, unready and
//! failed call; failing calls per user id and hour), written in the same transaction as the raw
//! row. Never holds a signature. In the rollups "" stands for a missing code, hint or user id.

use rusqlite::{params, Connection};

use super::{parse_enum, StoreError};
use crate::store::model::*;
use crate::store::shared::{hour, none_if_empty};

/// Records one outcome and counts it in the rollups.
pub fn record(conn: &Connection, e: &IdentifyEvent) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO identify_events (workspace_id, at, user_id, result, code, hint) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![e.workspace_id, e.at, e.user_id, e.result.as_str(), e.code, e.hint])?;
    let (code, hint) = (e.code.unwrap_or(""), e.hint.as_deref().unwrap_or(""));
    let user = e.user_id.as_deref().unwrap_or("");
    conn.prepare_cached(
        "INSERT INTO identify_hourly (workspace_id, hour, result, code, hint, calls) VALUES (?1, ?2, ?3, ?4, ?5, 1)
         ON CONFLICT DO UPDATE SET calls = calls + 1",
    )?
    .execute(params![e.workspace_id, hour(e.at), e.result.as_str(), code, hint])?;
    let result = e.result;
    if result.was_checked() || result.is_failure() {
        // Only a later hour (or a later failure) writes: a user's repeated calls within an hour
        // leave the row, and its indexes, as they are.
        conn.prepare_cached(
            "INSERT INTO identify_users (workspace_id, user_id, last_checked_hour, last_unready_hour, last_failed_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO UPDATE SET
               last_checked_hour = max(coalesce(last_checked_hour, excluded.last_checked_hour), coalesce(excluded.last_checked_hour, last_checked_hour)),
               last_unready_hour = max(coalesce(last_unready_hour, excluded.last_unready_hour), coalesce(excluded.last_unready_hour, last_unready_hour)),
               last_failed_at = max(coalesce(last_failed_at, excluded.last_failed_at), coalesce(excluded.last_failed_at, last_failed_at))
             WHERE excluded.last_checked_hour > coalesce(last_checked_hour, -1)
                OR excluded.last_unready_hour > coalesce(last_unready_hour, -1)
                OR excluded.last_failed_at > coalesce(last_failed_at, -1)",
        )?
        .execute(params![
            e.workspace_id,
            user,
            result.was_checked().then_some(hour(e.at)),
            result.fails_required().then_some(hour(e.at)),
            result.is_failure().then_some(e.at)
        ])?;
    }
    if result.is_failure() {
        conn.prepare_cached(
            "INSERT INTO identify_failures_hourly (workspace_id, user_id, code, hint, hour, calls, last_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)
             ON CONFLICT DO UPDATE SET calls = calls + 1, last_at = max(last_at, excluded.last_at)",
        )?
        .execute(params![e.workspace_id, user, code, hint, hour(e.at), e.at])?;
    }
    Ok(())
}

/// Outcome counts of the hours from the one that holds `since`, most frequent first.
pub fn outcome_counts(
    conn: &Connection,
    workspace_id: i64,
    since: i64,
) -> Result<Vec<OutcomeCount>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT result, code, hint, sum(calls) AS n FROM identify_hourly WHERE workspace_id = ?1 AND hour >= ?2
         GROUP BY result, code, hint ORDER BY n DESC, result, code, hint",
    )?;
    let rows = stmt
        .query_map(params![workspace_id, hour(since)], |r| {
            Ok(OutcomeCount {
                result: parse_enum(r, 0)?,
                code: none_if_empty(r.get(1)?),
                hint: none_if_empty(r.get(2)?),
                count: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The failures since `since` (counted from the hour that holds it), one row per user id, code
/// and hint with its call count, latest first: a flood of calls for one id is one row, so it
/// cannot push the others off the list. The `limit` latest rows belong to the `limit` user ids
/// that failed last, so only their hourly rows are read (CROSS JOIN keeps that order: SQLite
/// 3.50 otherwise scans the workspace's hourly rows, 12 ms at 100k calls instead of 0.2).
pub fn failures(
    conn: &Connection,
    workspace_id: i64,
    since: i64,
    limit: usize,
) -> Result<Vec<Failure>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT max(f.last_at) AS last, f.user_id, f.code, f.hint, sum(f.calls)
         FROM (SELECT user_id FROM identify_users WHERE workspace_id = ?1 AND last_failed_at >= ?2
               ORDER BY last_failed_at DESC LIMIT ?3) u
         CROSS JOIN identify_failures_hourly f
           ON f.workspace_id = ?1 AND f.user_id = u.user_id AND f.hour >= ?4
         GROUP BY f.user_id, f.code, f.hint ORDER BY last DESC LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(
            params![workspace_id, since, limit as i64, hour(since)],
            |r| {
                Ok(Failure {
                    at: r.get(0)?,
                    user_id: none_if_empty(r.get(1)?),
                    code: none_if_empty(r.get(2)?),
                    hint: none_if_empty(r.get(3)?),
                    calls: r.get(4)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Required readiness counted by distinct user id, so one visitor repeating a bad call weighs
/// as one user, however many calls it makes: user ids checked from the hour that holds `since`
/// and those with a call Required would reject, and their calls, all counted by the hour.
pub fn readiness(
    conn: &Connection,
    workspace_id: i64,
    since: i64,
) -> Result<Readiness, StoreError> {
    let count = |column: &str| -> Result<i64, StoreError> {
        Ok(conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM identify_users WHERE workspace_id = ?1 AND {column} >= ?2"
            ))?
            .query_row(params![workspace_id, hour(since)], |r| r.get(0))?)
    };
    let (calls, failing_calls) = conn
        .prepare_cached(
            "SELECT coalesce(sum(calls), 0), coalesce(sum(CASE WHEN result <> 'verified' THEN calls END), 0)
             FROM identify_hourly WHERE workspace_id = ?1 AND hour >= ?2
               AND result IN ('verified', 'unverified', 'rejected')",
        )?
        .query_row(params![workspace_id, hour(since)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(Readiness {
        users: count("last_checked_hour")?,
        failing_users: count("last_unready_hour")?,
        calls,
        failing_calls,
    })
}

/// Deletes at most `batch` raw calls older than `raw_before` and rollup rows past their keep
/// (per-user rows older than `raw_before`, hourly counts older than `counts_before`); returns
/// how many raw calls went, so a caller can repeat while it equals `batch` without holding the
/// writer long.
pub fn prune(
    conn: &Connection,
    raw_before: i64,
    counts_before: i64,
    batch: usize,
) -> Result<usize, StoreError> {
    // Per workspace along (workspace_id, at): no index of its own to maintain on every call.
    let raw = conn
        .prepare_cached(
            "DELETE FROM identify_events WHERE id IN
               (SELECT e.id FROM workspaces w CROSS JOIN identify_events e
                  ON e.workspace_id = w.id AND e.at < ?1 LIMIT ?2)",
        )?
        .execute(params![raw_before, batch as i64])?;
    conn.prepare_cached("DELETE FROM identify_failures_hourly WHERE hour < ?1")?
        .execute([hour(raw_before)])?;
    conn.prepare_cached(
        "DELETE FROM identify_users WHERE coalesce(max(last_checked_hour, last_failed_at), last_checked_hour, last_failed_at) < ?1",
    )?
    .execute([raw_before])?;
    conn.prepare_cached("DELETE FROM identify_hourly WHERE hour < ?1")?
        .execute([hour(counts_before)])?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use replybubble_core::identify::IdentifyResult as R;

    use super::*;

    const DAY: i64 = 24 * crate::store::shared::HOUR_MS;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO workspaces (id, app_id, name, plan, mode, created_at) VALUES (1, 'a', 'A', 'pro', 'optional', 0)",
            [],
        )
        .unwrap();
        conn
    }

    fn event(at: i64, user: Option<&str>, result: R, code: Option<&'static str>) -> IdentifyEvent {
        IdentifyEvent {
            workspace_id: 1,
            at,
            user_id: user.map(str::to_owned),
            result,
            code,
            hint: (result == R::Invalid).then(|| "email".to_owned()),
        }
    }

    /// What the panel showed when it read the raw calls (the queries before the rollups).
    fn raw_readiness(conn: &Connection, since: i64) -> Readiness {
        conn.query_row(
            "SELECT count(*), coalesce(sum(failing > 0), 0), coalesce(sum(calls), 0), coalesce(sum(failing), 0) FROM (
               SELECT user_id, count(*) AS calls, sum(result <> 'verified') AS failing FROM identify_events
               WHERE workspace_id = 1 AND at >= ?1 AND result IN ('verified', 'unverified', 'rejected')
               GROUP BY user_id)",
            [since],
            |r| {
                Ok(Readiness {
                    users: r.get(0)?,
                    failing_users: r.get(1)?,
                    calls: r.get(2)?,
                    failing_calls: r.get(3)?,
                })
            },
        )
        .unwrap()
    }

    #[test]
    fn the_rollups_answer_what_the_raw_calls_answer_on_hour_boundaries() {
        let conn = db();
        let now = 1_000 * DAY;
        let results = [
            R::Verified,
            R::Unverified,
            R::Rejected,
            R::Invalid,
            R::Disabled,
        ];
        // 9 days of calls from 13 user ids, every 37 minutes; "u0" floods verified calls.
        let mut at = now - 9 * DAY;
        let mut i = 0usize;
        while at < now {
            let user = format!("u{}", i % 13);
            let result = results[i % results.len()];
            let code = match result {
                R::Unverified | R::Rejected => Some("signature_invalid"),
                R::Invalid => Some("invalid_field"),
                _ => None,
            };
            let id = (!i.is_multiple_of(17)).then_some(user.as_str());
            record(&conn, &event(at, id, result, code)).unwrap();
            record(&conn, &event(at, Some("u0"), R::Verified, None)).unwrap();
            at += 37 * 60_000;
            i += 1;
        }
        let week_ago = hour(now - 7 * DAY);
        assert_eq!(
            readiness(&conn, 1, week_ago).unwrap(),
            raw_readiness(&conn, week_ago)
        );
        let r = readiness(&conn, 1, week_ago).unwrap();
        assert!(
            r.users > 5 && r.failing_users > 3 && r.failing_calls > 100,
            "{r:?}"
        );

        let counts = outcome_counts(&conn, 1, week_ago).unwrap();
        let total: i64 = counts.iter().map(|c| c.count).sum();
        let raw: i64 = conn
            .query_row(
                "SELECT count(*) FROM identify_events WHERE at >= ?1",
                [week_ago],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(total, raw);
        assert_eq!(
            counts[0].result,
            R::Verified,
            "the flood is the largest row"
        );
        assert!(counts.iter().any(|c| c.hint.as_deref() == Some("email")));

        let list = failures(&conn, 1, week_ago, 4).unwrap();
        assert_eq!(list.len(), 4);
        assert!(list.windows(2).all(|w| w[0].at >= w[1].at), "latest first");
        for f in &list {
            let (calls, last): (i64, i64) = conn
                .query_row(
                    "SELECT count(*), max(at) FROM identify_events WHERE at >= ?1 AND user_id IS ?2
                     AND code IS ?3 AND hint IS ?4 AND result IN ('unverified', 'rejected', 'invalid')",
                    params![week_ago, f.user_id, f.code, f.hint],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!((f.calls, f.at), (calls, last), "{f:?}");
        }
        assert!(list.iter().all(|f| f.user_id.as_deref() != Some("u0")));
    }

    #[test]
    fn pruning_keeps_raw_calls_30_days_and_hourly_counts_400_days() {
        let conn = db();
        let now = 1_000 * DAY;
        for days in [500, 399, 31, 29, 1] {
            record(
                &conn,
                &event(
                    now - days * DAY,
                    Some("old"),
                    R::Rejected,
                    Some("signature_missing"),
                ),
            )
            .unwrap();
        }
        let raw_before = now - 30 * DAY;
        // Batches of 1: the caller repeats while a batch comes back full.
        assert_eq!(prune(&conn, raw_before, now - 400 * DAY, 1).unwrap(), 1);
        assert_eq!(prune(&conn, raw_before, now - 400 * DAY, 1).unwrap(), 1);
        assert_eq!(prune(&conn, raw_before, now - 400 * DAY, 1).unwrap(), 1);
        assert_eq!(prune(&conn, raw_before, now - 400 * DAY, 1).unwrap(), 0);
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM identify_events"), 2);
        assert_eq!(
            count("SELECT sum(calls) FROM identify_hourly"),
            4,
            "399 days kept"
        );
        assert_eq!(count("SELECT sum(calls) FROM identify_failures_hourly"), 2);
        assert_eq!(count("SELECT count(*) FROM identify_users"), 1);
        let year = outcome_counts(&conn, 1, now - 400 * DAY).unwrap();
        assert_eq!(year[0].count, 4);
        // A user id whose last call is past the keep is gone from the per-user rows.
        prune(&conn, now, now - 400 * DAY, 10).unwrap();
        assert_eq!(count("SELECT count(*) FROM identify_users"), 0);
    }
}
