//! What the agent dashboard reads and writes: logins, the home metrics, conversation and contact
//! lists (keyset-paged), a conversation with its messages, and the verification activity.
//! Every query is scoped to one workspace: another workspace's ids are simply not found.

use rusqlite::{params, Connection, OptionalExtension, Row};

use replybubble_core::identify::IdentifyResult;
use replybubble_core::{Mode, Plan};

use super::contacts::{self, ContactRow};
use super::conversations::ConversationStatus;
use super::messages::MessageRow;
use super::workspaces::Role;
use super::{parse_enum, StoreError};

/// Rows per page of the conversation and contact lists.
pub const PAGE: usize = crate::policy::DASHBOARD_PAGE;

/// An agent who may log in.
#[derive(Debug, Clone)]
pub struct Login {
    /// Agent id.
    pub agent_id: i64,
    /// The argon2 PHC hash.
    pub password_hash: String,
}

/// Every agent login with this email (one per workspace), oldest first.
pub fn logins(conn: &Connection, email: &str) -> Result<Vec<Login>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, password_hash FROM agents WHERE email = ?1 ORDER BY id")?;
    let rows = stmt
        .query_map([email], |r| {
            Ok(Login {
                agent_id: r.get(0)?,
                password_hash: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Starts a dashboard session.
pub fn create_session(
    conn: &Connection,
    agent_id: i64,
    token_hash: &[u8],
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.execute("DELETE FROM agent_sessions WHERE expires_at <= ?1", [now])?;
    conn.execute(
        "INSERT INTO agent_sessions (token_hash, agent_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash, agent_id, csrf, now, expires_at],
    )?;
    Ok(())
}

/// Ends a dashboard session.
pub fn delete_session(conn: &Connection, token_hash: &[u8]) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM agent_sessions WHERE token_hash = ?1",
        [token_hash],
    )?;
    Ok(())
}

/// The logged-in agent and their workspace.
#[derive(Debug, Clone)]
pub struct AgentCtx {
    /// The dashboard session (agent_sessions.id).
    pub session_id: i64,
    /// When it expires (ms).
    pub expires_at: i64,
    /// Agent id.
    pub agent_id: i64,
    /// Login email.
    pub email: String,
    /// owner or agent.
    pub role: Role,
    /// The session's CSRF token.
    pub csrf: String,
    /// Workspace id.
    pub workspace_id: i64,
    /// Workspace app id.
    pub app_id: String,
    /// Workspace name.
    pub workspace_name: String,
    /// Plan.
    pub plan: Plan,
    /// Verification mode.
    pub mode: Mode,
    /// Current secret version (0: none).
    pub secret_version: u32,
}

impl AgentCtx {
    /// Owners manage Integrations.
    pub fn is_owner(&self) -> bool {
        self.role == Role::Owner
    }
}

/// The agent behind a live session token.
pub fn agent_by_session(
    conn: &Connection,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<AgentCtx>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT a.id, a.email, a.role, s.csrf, w.id, w.app_id, w.name, w.plan, w.mode, w.secret_version,
                    s.id, s.expires_at
             FROM agent_sessions s JOIN agents a ON a.id = s.agent_id JOIN workspaces w ON w.id = a.workspace_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        )?
        .query_row(params![token_hash, now], |r| {
            Ok(AgentCtx {
                agent_id: r.get(0)?,
                email: r.get(1)?,
                role: parse_enum(r, 2)?,
                csrf: r.get(3)?,
                workspace_id: r.get(4)?,
                app_id: r.get(5)?,
                workspace_name: r.get(6)?,
                plan: parse_enum(r, 7)?,
                mode: parse_enum(r, 8)?,
                secret_version: r.get(9)?,
                session_id: r.get(10)?,
                expires_at: r.get(11)?,
            })
        })
        .optional()?)
}

/// Keeps a newly generated secret for the one page view that shows it (post/redirect/get).
pub fn set_flash_secret(
    conn: &Connection,
    session_id: i64,
    secret: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE agent_sessions SET flash_secret = ?2 WHERE id = ?1",
        params![session_id, secret],
    )?;
    Ok(())
}

/// Takes (and erases) the secret waiting for this dashboard session, if any.
pub fn take_flash_secret(conn: &Connection, session_id: i64) -> Result<Option<String>, StoreError> {
    let secret: Option<String> = conn
        .query_row(
            "SELECT flash_secret FROM agent_sessions WHERE id = ?1",
            [session_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if secret.is_some() {
        conn.execute(
            "UPDATE agent_sessions SET flash_secret = NULL WHERE id = ?1",
            [session_id],
        )?;
    }
    Ok(secret)
}

/// The numbers on the home page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeStats {
    /// Conversations started in the last 30 days.
    pub conversations_30d: i64,
    /// Of those, the ones linked to a verified contact.
    pub identified_30d: i64,
    /// Open conversations.
    pub open: i64,
    /// Verified contacts.
    pub contacts: i64,
}

/// Home page numbers; `since` is 30 days ago in milliseconds.
pub fn home(conn: &Connection, workspace_id: i64, since: i64) -> Result<HomeStats, StoreError> {
    let (total, identified): (i64, i64) = conn.query_row(
        "SELECT count(*), count(contact_id) FROM conversations
         WHERE workspace_id = ?1 AND started_at IS NOT NULL AND started_at >= ?2",
        params![workspace_id, since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let open: i64 = conn.query_row(
        "SELECT count(*) FROM conversations
         WHERE workspace_id = ?1 AND status = 'open' AND started_at IS NOT NULL",
        [workspace_id],
        |r| r.get(0),
    )?;
    let contacts: i64 = conn.query_row(
        "SELECT count(*) FROM contacts WHERE workspace_id = ?1",
        [workspace_id],
        |r| r.get(0),
    )?;
    Ok(HomeStats {
        conversations_30d: total,
        identified_30d: identified,
        open,
        contacts,
    })
}

/// A row of the conversation list.
#[derive(Debug, Clone)]
pub struct ConversationRow {
    /// Id.
    pub id: i64,
    /// `Visitor #xxxxx`.
    pub visitor_label: String,
    /// open or closed.
    pub status: ConversationStatus,
    /// Last activity, ms.
    pub last_activity_at: i64,
    /// Preview of the last message.
    pub last_message: Option<String>,
    /// The verified contact, if any.
    pub contact: Option<ContactRow>,
    /// What an anonymous visitor typed into the contact form (unverified).
    pub visitor_name: Option<String>,
    /// Same, email.
    pub visitor_email: Option<String>,
}

const CONVERSATION_COLUMNS: &str = "c.id, c.visitor_label, c.status, c.last_activity_at, c.last_message, c.visitor_name, c.visitor_email,
     k.id, k.user_id, k.email, k.name, k.company, k.phone, k.traits";

fn conversation_row(r: &Row) -> rusqlite::Result<ConversationRow> {
    let contact_id: Option<i64> = r.get(7)?;
    let contact = match contact_id {
        Some(id) => Some(ContactRow {
            id,
            user_id: r.get(8)?,
            email: r.get(9)?,
            name: r.get(10)?,
            company: r.get(11)?,
            phone: r.get(12)?,
            traits: r.get(13)?,
        }),
        None => None,
    };
    Ok(ConversationRow {
        id: r.get(0)?,
        visitor_label: r.get(1)?,
        status: parse_enum(r, 2)?,
        last_activity_at: r.get(3)?,
        last_message: r.get(4)?,
        visitor_name: r.get(5)?,
        visitor_email: r.get(6)?,
        contact,
    })
}

/// One page of conversations, newest activity first. `before` is the (activity, id) of the last
/// row of the previous page. Returns the rows and whether there are more.
pub fn conversations(
    conn: &Connection,
    workspace_id: i64,
    identified_only: bool,
    before: Option<(i64, i64)>,
) -> Result<(Vec<ConversationRow>, bool), StoreError> {
    let (at, id) = before.unwrap_or((i64::MAX, i64::MAX));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONVERSATION_COLUMNS}
         FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
         WHERE c.workspace_id = ?1 AND c.started_at IS NOT NULL
           AND (?2 = 0 OR c.contact_id IS NOT NULL)
           AND (c.last_activity_at, c.id) < (?3, ?4)
         ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?5"
    ))?;
    let mut rows: Vec<ConversationRow> = stmt
        .query_map(
            params![
                workspace_id,
                identified_only as i64,
                at,
                id,
                (PAGE + 1) as i64
            ],
            conversation_row,
        )?
        .collect::<Result<_, _>>()?;
    let more = rows.len() > PAGE;
    rows.truncate(PAGE);
    Ok((rows, more))
}

/// One conversation of the workspace.
pub fn conversation(
    conn: &Connection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<ConversationRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
             WHERE c.workspace_id = ?1 AND c.id = ?2 AND c.started_at IS NOT NULL"
        ))?
        .query_row(params![workspace_id, id], conversation_row)
        .optional()?)
}

/// Every message of a conversation, oldest first.
pub fn messages(conn: &Connection, conversation_id: i64) -> Result<Vec<MessageRow>, StoreError> {
    super::messages::after(conn, conversation_id, 0, usize::MAX >> 1)
}

/// Opens or closes a conversation of the workspace; false when there is none.
pub fn set_status(
    conn: &Connection,
    workspace_id: i64,
    id: i64,
    status: ConversationStatus,
) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE conversations SET status = ?3 WHERE workspace_id = ?1 AND id = ?2 AND started_at IS NOT NULL",
        params![workspace_id, id, status.as_str()],
    )?;
    Ok(n == 1)
}

/// The conversations of a contact, newest activity first.
pub fn contact_conversations(
    conn: &Connection,
    workspace_id: i64,
    contact_id: i64,
) -> Result<Vec<ConversationRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id
         WHERE c.workspace_id = ?1 AND c.contact_id = ?2 AND c.started_at IS NOT NULL
         ORDER BY c.last_activity_at DESC, c.id DESC"
    ))?;
    let rows = stmt
        .query_map(params![workspace_id, contact_id], conversation_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// One page of contacts, most recently updated first; `before` is (updated_at, id).
pub fn contacts(
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
    let mut rows: Vec<(ContactRow, i64)> = stmt
        .query_map(params![workspace_id, at, id, (PAGE + 1) as i64], |r| {
            Ok((contacts::from_row(r)?, r.get(7)?))
        })?
        .collect::<Result<_, _>>()?;
    let more = rows.len() > PAGE;
    rows.truncate(PAGE);
    Ok((rows, more))
}

/// One contact of the workspace.
pub fn contact(
    conn: &Connection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<ContactRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {} FROM contacts WHERE workspace_id = ?1 AND id = ?2",
            contacts::COLUMNS
        ))?
        .query_row(params![workspace_id, id], contacts::from_row)
        .optional()?)
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
