//! The email outbox: conversations whose agent replies may need emailing to their verified
//! contact, and the visitor streams' last sign of life that decides it.

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;
use crate::store::model::{EmailJob, EmailReply};

/// Queues a conversation for the reply at `seq`, due now (a queued one keeps its due time and
/// learns the newer reply).
pub fn queue(
    conn: &Connection,
    conversation_id: i64,
    seq: i64,
    now: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO email_outbox (conversation_id, due_at, queued_seq, created_at)
         VALUES (?1, ?3, ?2, ?3)
         ON CONFLICT (conversation_id) DO UPDATE SET queued_seq = max(queued_seq, excluded.queued_seq)",
    )?
    .execute(params![conversation_id, seq, now])?;
    Ok(())
}

/// Claims the due conversations (their due time moves to `lease_until`) with what an email
/// needs.
pub fn claim(
    conn: &Connection,
    now: i64,
    lease_until: i64,
    limit: usize,
) -> Result<Vec<EmailJob>, StoreError> {
    let claimed: Vec<(i64, i64, u32)> = conn
        .prepare_cached(
            "UPDATE email_outbox SET due_at = ?2
             WHERE conversation_id IN (SELECT conversation_id FROM email_outbox WHERE due_at <= ?1
                                       ORDER BY due_at LIMIT ?3)
             RETURNING conversation_id, queued_seq, attempts",
        )?
        .query_map(params![now, lease_until, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut jobs = Vec::with_capacity(claimed.len());
    let mut stmt = conn.prepare_cached(
        "SELECT w.name, k.email, k.name, coalesce(c.start_page_url, c.page_url), c.emailed_at,
                c.emailed_seq, (SELECT max(stream_seen_at) FROM sessions WHERE conversation_id = c.id),
                w.trust_unsigned_email, w.id
         FROM conversations c JOIN workspaces w ON w.id = c.workspace_id
         LEFT JOIN contacts k ON k.id = c.contact_id
         WHERE c.id = ?1",
    )?;
    for (conversation_id, queued_seq, attempts) in claimed {
        let job = stmt
            .query_row([conversation_id], |r| {
                let workspace_id: i64 = r.get(8)?;
                Ok((
                    workspace_id,
                    EmailJob {
                        conversation_id,
                        queued_seq,
                        attempts,
                        workspace_name: r.get(0)?,
                        to: r.get(1)?,
                        contact_name: r.get(2)?,
                        page_url: r.get(3)?,
                        emailed_at: r.get(4)?,
                        emailed_seq: r.get(5)?,
                        stream_seen_at: r.get(6)?,
                        trust_unsigned_email: r.get(7)?,
                        origins: Vec::new(),
                    },
                ))
            })
            .optional()?;
        if let Some((workspace_id, mut job)) = job {
            job.origins = super::workspaces::origins(conn, workspace_id)?;
            jobs.push(job);
        }
    }
    Ok(jobs)
}

/// Agent replies after position `after` sent after `since` (ms), oldest first.
pub fn replies(
    conn: &Connection,
    conversation_id: i64,
    after: i64,
    since: i64,
    limit: usize,
) -> Result<Vec<EmailReply>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT m.seq, m.body, a.email, m.created_at
             FROM messages m LEFT JOIN agents a ON a.id = m.agent_id
             WHERE m.conversation_id = ?1 AND m.seq > ?2 AND m.author = 'agent' AND m.created_at > ?3
             ORDER BY m.seq LIMIT ?4",
        )?
        .query_map(params![conversation_id, after, since, limit as i64], |r| {
            Ok(EmailReply {
                seq: r.get(0)?,
                body: r.get(1)?,
                agent_email: r.get(2)?,
                created_at: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Puts a claimed conversation back; an error counts as a failed attempt.
pub fn reschedule(
    conn: &Connection,
    conversation_id: i64,
    due_at: i64,
    error: Option<&str>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE email_outbox SET due_at = ?2,
                attempts = attempts + (?3 IS NOT NULL), last_error = coalesce(?3, last_error)
         WHERE conversation_id = ?1",
    )?
    .execute(params![conversation_id, due_at, error])?;
    Ok(())
}

/// Takes a conversation off the queue unless a newer reply was queued meanwhile (then it is due
/// again now), and records what this round covered and whether an email went out.
pub fn finish(
    conn: &Connection,
    conversation_id: i64,
    queued_seq: i64,
    covered: i64,
    emailed_at: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let gone = conn
        .prepare_cached("DELETE FROM email_outbox WHERE conversation_id = ?1 AND queued_seq <= ?2")?
        .execute(params![conversation_id, queued_seq])?;
    if gone == 0 {
        conn.prepare_cached("UPDATE email_outbox SET due_at = ?2 WHERE conversation_id = ?1")?
            .execute(params![conversation_id, now])?;
    }
    conn.prepare_cached(
        "UPDATE conversations SET emailed_at = coalesce(?2, emailed_at),
                emailed_seq = max(emailed_seq, ?3)
         WHERE id = ?1",
    )?
    .execute(params![conversation_id, emailed_at, covered])?;
    Ok(())
}

/// A visitor stream of the session is open (or just closed) at `now`.
pub fn stream_seen(conn: &Connection, session_id: i64, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sessions SET stream_seen_at = ?2 WHERE id = ?1")?
        .execute(params![session_id, now])?;
    Ok(())
}
