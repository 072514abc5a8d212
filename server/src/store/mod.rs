//! The store: one interface, [`Store`], of concern-level operations (workspaces, agents,
//! sessions and identify, messages, conversations, contacts, identify events), and its engines.
//! [`sqlite`] is the embedded default and the only place that holds SQL today.
//!
//! Every operation is atomic: the ones that must decide and write together (the claim rule of
//! an identify, a message only into a live session's conversation, a secret with its one-time
//! flash) take everything they need as arguments and run in one transaction of the engine. No
//! database type crosses the interface: arguments and results are the plain values of [`model`].
//! Time is an argument (`now`, milliseconds since the epoch): the store never reads a clock.

pub mod model;
pub mod pg;
pub(crate) mod shared;
pub mod sqlite;

use std::path::Path;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use replybubble_core::{IdentifyUser, Mode, Plan};

pub use model::*;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist (in this workspace), or a session is no longer live.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state; the text says what to do.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be used as it is; the text says why.
    #[error("{0}")]
    Invalid(String),
    /// The engine failed (the cause is kept).
    #[error("database error")]
    Engine(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The transaction's commit failed, so nothing of the job was kept.
    #[error("database commit failed: {0}")]
    Commit(String),
    /// The engine's writer is gone (the server is shutting down).
    #[error("the database writer has stopped")]
    WriterGone,
}

/// What a store operation returns: a future that owns its arguments.
pub type Op<T> = BoxFuture<'static, Result<T, StoreError>>;

/// The new session an identify starts when the claim rule applies, made before the call (the
/// token stays with the caller; the store keeps its hash).
#[derive(Debug, Clone)]
pub struct FreshSession {
    /// SHA-256 of the new visitor token.
    pub token_hash: Vec<u8>,
    /// Its `Visitor #xxxxx`.
    pub visitor_label: String,
}

/// One identify call to apply.
#[derive(Debug, Clone)]
pub struct IdentifyWrite {
    /// The calling session.
    pub session_id: i64,
    /// The `id` the call sent, exactly (None: none, or not a string).
    pub sent_id: Option<String>,
    /// The user and secret version, when the decision was "verified".
    pub verified: Option<(IdentifyUser, u32)>,
    /// The session to continue on if the claim rule replaces the calling one; its token is
    /// also the calling session's new token when a verified identify binds it (no session
    /// fixation: whoever knew the anonymous token does not become the verified user).
    pub fresh: FreshSession,
    /// The activity record.
    pub event: IdentifyEvent,
    /// Now.
    pub now: i64,
}

/// What an identify did.
#[derive(Debug, Clone)]
pub struct IdentifyApplied {
    /// The session the call continued on, when the claim rule replaced the calling one.
    pub switched: Option<NewSession>,
    /// The contact and conversation, when verified.
    pub claimed: Option<Claimed>,
    /// The calling session was bound to its user now and carries the fresh token from here on
    /// (the old one no longer authenticates, its tickets are gone).
    pub rotated: bool,
}

/// The demo workspace as seeded.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// A new app id, used when the demo does not exist yet.
    pub app_id: String,
    /// A new secret, likewise.
    pub secret: String,
    /// The owner's login email.
    pub owner_email: String,
    /// The owner's new password hash (set at every start).
    pub password_hash: String,
    /// Now.
    pub now: i64,
}

/// The interface every engine implements. Each method is one atomic operation.
pub trait Store: Send + Sync {
    /// Answers when the database answers (the health check).
    fn ping(&self) -> Op<()>;

    // Workspaces and agents.

    /// A workspace by app id (with its origins), or None.
    fn workspace(&self, app_id: String) -> Op<Option<Workspace>>;
    /// All workspaces, oldest first.
    fn workspaces(&self) -> Op<Vec<Workspace>>;
    /// Creates a workspace on `plan`, mode Off, no secret.
    fn create_workspace(
        &self,
        app_id: String,
        name: String,
        plan: Plan,
        origins: Vec<String>,
        now: i64,
    ) -> Op<Workspace>;
    /// Sets the plan.
    fn set_plan(&self, app_id: String, plan: Plan) -> Op<Workspace>;
    /// Sets the verification mode.
    fn set_mode(&self, app_id: String, mode: Mode) -> Op<Workspace>;
    /// Sets (None: removes) the retention of idle conversations, in days.
    fn set_retention(&self, app_id: String, days: Option<u32>) -> Op<Workspace>;
    /// Whether the email fallback may write to a verified contact's unsigned email.
    fn set_email_trust(&self, app_id: String, trust: bool) -> Op<Workspace>;
    /// Sets the business hours (`(time zone, week text)`; None: none) and whether the launcher
    /// hides while nobody is available.
    fn set_hours(
        &self,
        app_id: String,
        hours: Option<(String, String)>,
        hide_when_offline: bool,
    ) -> Op<Workspace>;
    /// Queues the email check of a conversation for the agent reply at `seq` (a queued one keeps
    /// its due time and learns the newer reply).
    fn queue_email(&self, conversation_id: i64, seq: i64, now: i64) -> Op<()>;
    /// Claims up to `limit` queued conversations due at `now`, moving their due time to
    /// `lease_until` (so another server, or this one after a crash, takes them up after it).
    fn claim_emails(&self, now: i64, lease_until: i64, limit: usize) -> Op<Vec<EmailJob>>;
    /// Agent replies of a conversation after position `after` sent after `since` (ms), oldest
    /// first.
    fn email_replies(
        &self,
        conversation_id: i64,
        after: i64,
        since: i64,
        limit: usize,
    ) -> Op<Vec<EmailReply>>;
    /// Puts a claimed conversation back for `due_at`; with an error, counts a failed attempt.
    fn reschedule_email(&self, conversation_id: i64, due_at: i64, error: Option<String>) -> Op<()>;
    /// Takes a conversation off the queue unless a reply after `queued_seq` was queued meanwhile
    /// (then it is due again at `now`). `covered` is the last position this round dealt with;
    /// `emailed_at` is when an email went out (None: none did).
    fn finish_email(
        &self,
        conversation_id: i64,
        queued_seq: i64,
        covered: i64,
        emailed_at: Option<i64>,
        now: i64,
    ) -> Op<()>;
    /// Notes that a visitor event stream of the session is open (or just closed) at `now`.
    fn visitor_stream_seen(&self, session_id: i64, now: i64) -> Op<()>;
    /// Sets an agent's opt-in notifications (sound, browser notification).
    fn set_notifications(&self, agent_id: i64, sound: bool, browser: bool) -> Op<()>;
    /// The agent has read the conversation up to position `seq`.
    fn mark_read(&self, agent_id: i64, conversation_id: i64, seq: i64) -> Op<()>;
    /// How far the agent has read each of `conversations`: (conversation, position) for those
    /// it opened.
    fn read_positions(&self, agent_id: i64, conversations: Vec<i64>) -> Op<Vec<(i64, i64)>>;
    /// How many open conversations of the workspace wait for a reply.
    fn waiting_count(&self, workspace_id: i64) -> Op<i64>;
    /// Sets an agent's chosen presence.
    fn set_presence(&self, agent_id: i64, presence: Presence) -> Op<()>;
    /// Notes that an open dashboard of the agent was heard from (at most one write a minute).
    fn agent_seen(&self, agent_id: i64, now: i64) -> Op<()>;
    /// The agent logged out: no open dashboard of theirs is heard from until their next request.
    fn agent_left(&self, agent_id: i64) -> Op<()>;
    /// Agents of the workspace who chose online and were seen since `since`.
    fn agents_online(&self, workspace_id: i64, since: i64) -> Op<u32>;
    /// Sets how the workspace's widget looks and speaks.
    fn set_appearance(
        &self,
        app_id: String,
        appearance: replybubble_core::appearance::Appearance,
    ) -> Op<Workspace>;
    /// Everything kept about the contact `user_id` (None: no such contact).
    fn export_contact(&self, app_id: String, user_id: String) -> Op<Option<ContactExport>>;
    /// Deletes the contact `user_id` with its conversations, messages, sessions and identify
    /// events, in one transaction.
    fn delete_contact(&self, app_id: String, user_id: String) -> Op<Deleted>;
    /// Deletes the conversations idle longer than their workspace's retention.
    fn retention_sweep(&self, now: i64) -> Op<usize>;
    /// The current secret (for the demo shop's own signing), if any.
    fn verification(&self, app_id: String) -> Op<VerificationSettings>;
    /// Replaces the (sealed) secret if its version is still `expected_version` (else
    /// `Conflict`), and keeps `flash` (a dashboard session and the sealed secret for its one page
    /// view) when given. Returns the new version.
    fn replace_secret(
        &self,
        app_id: String,
        sealed: String,
        expected_version: u32,
        flash: Option<(i64, String)>,
    ) -> Op<u32>;
    /// Every stored secret as stored: (app id, sealed value, or the clear text an older release
    /// stored).
    fn stored_secrets(&self) -> Op<Vec<(String, String)>>;
    /// Replaces a clear-text secret by its sealed form (false when it changed meanwhile), drops
    /// clear-text one-time flashes, and lets the engine overwrite the freed clear text.
    fn seal_secret(&self, app_id: String, plain: String, sealed: String) -> Op<bool>;
    /// Moves every committed write into the main database file (SQLite: a WAL checkpoint), so
    /// content replaced in place no longer lingers in a log.
    fn flush_to_file(&self) -> Op<()>;
    /// Creates an agent login; returns its id.
    fn create_agent(
        &self,
        app_id: String,
        email: String,
        role: Role,
        password_hash: String,
        now: i64,
    ) -> Op<i64>;
    /// Creates the demo workspace and owner on first use; at every call gives the owner
    /// `password_hash` and ends its dashboard sessions. Returns (app id, owner email).
    fn seed_demo(&self, seed: DemoSeed) -> Op<(String, String)>;
    /// Gives the demo owner (if there is one) a password hash no password matches and ends its
    /// dashboard sessions.
    fn lock_demo(&self, locked_hash: String) -> Op<()>;

    // Dashboard logins.

    /// The agents with this login email (one per workspace).
    fn logins(&self, email: String) -> Op<Vec<Login>>;
    /// Starts a dashboard session.
    fn create_agent_session(
        &self,
        agent_id: i64,
        token_hash: Vec<u8>,
        csrf: String,
        now: i64,
        expires_at: i64,
    ) -> Op<()>;
    /// Ends a dashboard session.
    fn delete_agent_session(&self, token_hash: Vec<u8>) -> Op<()>;
    /// The agent of a live dashboard session.
    fn agent_by_session(&self, token_hash: Vec<u8>, now: i64) -> Op<Option<AgentCtx>>;
    /// Takes (and erases) the secret waiting for dashboard session `session_id`.
    fn take_flash_secret(&self, session_id: i64) -> Op<Option<String>>;

    // Visitor sessions and identify.

    /// Starts an anonymous session with a new conversation.
    fn create_session(
        &self,
        workspace_id: i64,
        token_hash: Vec<u8>,
        visitor_label: String,
        now: i64,
    ) -> Op<NewSession>;
    /// The live session of a token: not revoked, used within the last 30 days.
    fn authenticate(&self, token_hash: Vec<u8>, now: i64) -> Op<Option<SessionCtx>>;
    /// Records that a session was used at `now`.
    fn touch(&self, session_id: i64, now: i64) -> Op<()>;
    /// Whether a session is live at `now`.
    fn is_live(&self, session_id: i64, now: i64) -> Op<bool>;
    /// Ends a live session and starts a fresh anonymous one (`NotFound("session")` when it had
    /// ended already).
    fn replace_session(&self, session_id: i64, fresh: FreshSession, now: i64) -> Op<NewSession>;
    /// Ends a live session without a new one (the claim rule when an identify or a reset could
    /// not be served): its token and tickets stop working, its streams end. False when it had
    /// already ended.
    fn end_session(&self, session_id: i64, now: i64) -> Op<bool>;
    /// Applies an identify atomically: the claim rule (a session bound to another user id than
    /// `sent_id` is replaced by `fresh`), the verified link, and the activity record.
    fn identify(&self, write: IdentifyWrite) -> Op<IdentifyApplied>;
    /// Records one identify outcome on its own (a refused send after a regenerate).
    fn record_event(&self, event: IdentifyEvent) -> Op<()>;
    /// Deletes ended sessions and the conversations that never started.
    fn sweep(&self, now: i64) -> Op<Swept>;
    /// Whether several servers may share this database, so live events travel through it (its
    /// [`Store::notices`]) rather than from the writing server's memory.
    fn shared(&self) -> bool {
        false
    }
    /// The notices of every server of a shared database, for as long as the server runs
    /// (reconnecting when the connection drops, then [`Notice::Reconnected`]); none otherwise.
    fn notices(&self) -> futures_util::stream::BoxStream<'static, Notice> {
        Box::pin(futures_util::stream::empty())
    }
    /// Stores a stream ticket (its hash) for a session until `expires_at`.
    fn issue_ticket(&self, ticket_hash: Vec<u8>, session_id: i64, expires_at: i64) -> Op<()>;
    /// Redeems a ticket once (it is gone afterwards, valid or not), on any server of the
    /// database: what it opens when it had not expired (whether the session is still live is
    /// the caller's next question).
    fn redeem_ticket(&self, ticket_hash: Vec<u8>, now: i64) -> Op<Option<StreamTarget>>;
    /// Deletes at most `batch` raw identify calls older than `raw_before`, and the rollup rows
    /// past their keep (per-user rows older than `raw_before`, hourly counts older than
    /// `counts_before`); returns how many raw calls went.
    fn prune_events(&self, raw_before: i64, counts_before: i64, batch: usize) -> Op<usize>;

    // Messages and conversations.

    /// Stores a visitor message in a live session's conversation, marked verified when the
    /// session is verified under the current secret.
    fn insert_visitor_message(&self, session_id: i64, body: String, now: i64) -> Op<MessageRow>;
    /// Stores an agent's reply in a conversation of `workspace_id` (`NotFound` otherwise).
    fn insert_agent_reply(
        &self,
        workspace_id: i64,
        conversation_id: i64,
        agent_id: Option<i64>,
        body: String,
        now: i64,
        queue_email: bool,
    ) -> Op<MessageRow>;
    /// Messages of a conversation after `after`, oldest first, at most `limit`.
    fn messages_after(&self, conversation_id: i64, after: i64, limit: usize)
        -> Op<Vec<MessageRow>>;
    /// The latest `limit` messages of a conversation before position `before` (a `seq`), oldest first.
    fn messages_before(
        &self,
        conversation_id: i64,
        before: i64,
        limit: usize,
    ) -> Op<Vec<MessageRow>>;
    /// Stores the contact form's details on a live session's conversation.
    fn set_visitor_details(
        &self,
        session_id: i64,
        name: Option<String>,
        email: Option<String>,
        now: i64,
    ) -> Op<()>;
    /// Records the page a live session's visitor is on (`NotFound("session")` when it ended);
    /// until the conversation starts, that page is also the one it started on.
    fn set_page(&self, session_id: i64, url: String, title: String, now: i64) -> Op<()>;
    /// The home page's numbers.
    fn home(&self, workspace_id: i64, since: i64) -> Op<HomeStats>;
    /// One page of started conversations, newest activity first, and whether there are more.
    fn conversations(
        &self,
        workspace_id: i64,
        identified_only: bool,
        before: Option<(i64, i64)>,
    ) -> Op<(Vec<ConversationRow>, bool)>;
    /// A started conversation of the workspace.
    fn conversation(&self, workspace_id: i64, id: i64) -> Op<Option<ConversationRow>>;
    /// A contact's started conversations.
    fn contact_conversations(&self, workspace_id: i64, contact_id: i64)
        -> Op<Vec<ConversationRow>>;
    /// Opens or closes a started conversation; false when there is none.
    fn set_conversation_status(
        &self,
        workspace_id: i64,
        id: i64,
        status: ConversationStatus,
    ) -> Op<bool>;

    // Contacts and the verification panel.

    /// One page of contacts, most recently updated first, and whether there are more.
    fn contacts(
        &self,
        workspace_id: i64,
        before: Option<(i64, i64)>,
    ) -> Op<(Vec<(ContactRow, i64)>, bool)>;
    /// A contact of the workspace.
    fn contact(&self, workspace_id: i64, id: i64) -> Op<Option<ContactRow>>;
    /// Identify outcomes since a time, counted by result, code and hint.
    fn outcome_counts(&self, workspace_id: i64, since: i64) -> Op<Vec<OutcomeCount>>;
    /// Failures since a time, one row per user id, code and hint, latest first.
    fn failures(&self, workspace_id: i64, since: i64, limit: usize) -> Op<Vec<Failure>>;
    /// Required readiness since a time, by distinct user id.
    fn readiness(&self, workspace_id: i64, since: i64) -> Op<Readiness>;
}

/// A `--db` value fit for logs: a PostgreSQL URL without its user and password, and without
/// its query string, whose parameters can carry them too (`?password=`, `sslpassword=`,
/// `user=`): only the parameter names are kept.
pub fn describe(db: &Path) -> String {
    let text = db.display().to_string();
    match text.split_once("://") {
        Some((scheme, rest)) if pg::is_url(&text) => {
            let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
            let host_start = rest
                .split('/')
                .next()
                .and_then(|authority| authority.rfind('@'))
                .map_or(0, |at| at + 1);
            let names: Vec<&str> = query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').map_or(p, |(name, _)| name))
                .collect();
            let redacted: Vec<String> = names.iter().map(|n| format!("{n}=…")).collect();
            let query = if redacted.is_empty() {
                String::new()
            } else {
                format!("?{}", redacted.join("&"))
            };
            format!("{scheme}://{}{query}", &rest[host_start..])
        }
        _ => text,
    }
}

/// Opens the store a `--db` value names (a SQLite file path, or a `postgres://` URL), creating
/// and migrating it.
pub async fn open(db: &Path) -> Result<Arc<dyn Store>, StoreError> {
    match db.to_str().filter(|s| pg::is_url(s)) {
        Some(url) => Ok(Arc::new(pg::PgStore::open(url).await?)),
        None => Ok(Arc::new(sqlite::SqliteStore::open(db)?)),
    }
}

/// Milliseconds since the Unix epoch (for callers without a [`crate::service::Clock`]).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_logged_without_its_credentials() {
        let d = |s: &str| describe(Path::new(s));
        assert_eq!(
            d("postgres://rb:s3cret@db.internal:5432/replybubble"),
            "postgres://db.internal:5432/replybubble"
        );
        assert_eq!(d("postgresql://h/db"), "postgresql://h/db");
        assert_eq!(
            d("postgres://rb@h:5432/db?password=s3cret&sslmode=require"),
            "postgres://h:5432/db?password=…&sslmode=…"
        );
        assert_eq!(d("postgres://h/db?"), "postgres://h/db");
        assert_eq!(
            d("/var/lib/rb/replybubble.db"),
            "/var/lib/rb/replybubble.db"
        );
    }
}
