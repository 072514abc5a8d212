//! What the store hands out and takes in, whatever the engine: plain values, no database type.

use replybubble_core::identify::IdentifyResult;
use replybubble_core::wire::Author;
use replybubble_core::{Mode, Plan};

/// An agent who may log in.
#[derive(Debug, Clone)]
pub struct Login {
    /// Agent id.
    pub agent_id: i64,
    /// The argon2 PHC hash.
    pub password_hash: String,
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
    /// A newly generated secret waits for this session's next view of the panel.
    pub flash_waiting: bool,
    /// The agent's chosen presence.
    pub presence: Presence,
    /// Play a sound on a new visitor message (opt-in).
    pub notify_sound: bool,
    /// Show a browser notification on a new visitor message (opt-in).
    pub notify_browser: bool,
}

impl AgentCtx {
    /// Owners manage Integrations.
    pub fn is_owner(&self) -> bool {
        self.role == Role::Owner
    }
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRow {
    /// Internal id.
    pub id: i64,
    /// The site's user id.
    pub user_id: String,
    /// Email.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Traits as a JSON object.
    pub traits: String,
}

/// Whether agents still have to look at a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationStatus {
    /// Waiting or in progress (a new message reopens a closed one).
    Open,
    /// Done.
    Closed,
}

impl ConversationStatus {
    /// The database and form spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Closed => "closed",
        }
    }
}

impl std::str::FromStr for ConversationStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<ConversationStatus, String> {
        match s {
            "open" => Ok(ConversationStatus::Open),
            "closed" => Ok(ConversationStatus::Closed),
            other => Err(format!("unknown status {other:?}: use open or closed")),
        }
    }
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
    /// The page the visitor was last seen on.
    pub page: Option<PageSeen>,
    /// The page the conversation started on.
    pub start_page_url: Option<String>,
    /// Its last message is the visitor's: it waits for a reply.
    pub waiting: bool,
    /// The position of its last message.
    pub last_seq: i64,
    /// It has a verified contact and its last message is the visitor's, sent without a verified
    /// session (before identify, after the secret changed, while the workspace did not verify):
    /// agents see it marked, not under the Verified badge.
    pub last_unverified: bool,
    /// Another contact of the workspace has the same email (compared case-blind): only the user
    /// id is signed, so agents are told.
    pub email_shared: bool,
}

/// A page a visitor was on, as the widget reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSeen {
    /// Its address (http or https, no query or fragment).
    pub url: String,
    /// Its title (may be empty).
    pub title: String,
    /// When it was reported, ms.
    pub at: i64,
}

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

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    /// Message id.
    pub id: i64,
    /// Its position in its conversation (1, 2, 3 …), given in the insert's transaction.
    pub seq: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// Visitor or agent.
    pub author: Author,
    /// The text.
    pub body: String,
    /// When it was stored (ms).
    pub created_at: i64,
    /// A visitor message sent by a session verified under the then current secret.
    pub verified: bool,
}

/// Everything a widget request needs to know about its session and workspace, read at once.
#[derive(Clone)]
pub struct SessionCtx {
    /// Session id.
    pub session_id: i64,
    /// Workspace id.
    pub workspace_id: i64,
    /// The workspace's app id.
    pub app_id: String,
    /// The session's conversation.
    pub conversation_id: i64,
    /// Its visitor label.
    pub visitor_label: String,
    /// The verified contact of the session, if any.
    pub contact_id: Option<i64>,
    /// That contact's user id: the session is bound to it (the claim rule).
    pub bound_user_id: Option<String>,
    /// When the session was last used (ms).
    pub last_seen_at: i64,
    /// The secret version the session was verified under.
    pub verified_secret_version: Option<u32>,
    /// Workspace plan.
    pub plan: Plan,
    /// Workspace mode.
    pub mode: Mode,
    /// The workspace's current secret, sealed (none until one is generated).
    pub secret: Option<Secret>,
    /// Allowed origins (empty: any).
    pub origins: Vec<String>,
}

impl std::fmt::Debug for SessionCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCtx")
            .field("session_id", &self.session_id)
            .field("workspace_id", &self.workspace_id)
            .field("conversation_id", &self.conversation_id)
            .field("contact_id", &self.contact_id)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A workspace's current verification secret and its version.
#[derive(Clone)]
pub struct Secret {
    /// The secret, sealed (`crypto::SecretBox`): open it with `service::secret_context`.
    pub value: String,
    /// How many times a secret was generated for the workspace (1 for the first).
    pub version: u32,
}

impl SessionCtx {
    /// The secret version the session's identity was verified under (None: not verified).
    pub fn verified_under(&self) -> Option<u32> {
        self.verified_secret_version
            .filter(|_| self.contact_id.is_some())
    }

    /// The current secret's version (None: no secret yet).
    pub fn current_version(&self) -> Option<u32> {
        self.secret.as_ref().map(|s| s.version)
    }

    /// Whether the session carries an identity verified under the current secret, in a
    /// workspace that verifies now (with mode Off or on Free nobody counts as verified).
    pub fn verified_now(&self) -> bool {
        replybubble_core::decision::verifies(self.plan, self.mode)
            && self.verified_under().is_some()
            && self.verified_under() == self.current_version()
    }
}

/// A newly created session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Session id.
    pub session_id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// `Visitor #xxxxx`.
    pub visitor_label: String,
}

/// What the database tells every server that shares it (PostgreSQL `NOTIFY`), ids only: what
/// their open event streams must hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A message was committed at this position of this conversation.
    Message {
        /// The conversation.
        conversation_id: i64,
        /// The message's position in it.
        seq: i64,
    },
    /// A visitor session ended (reset, replaced by the claim rule, deleted): its streams end.
    VisitorSessionEnded(i64),
    /// A dashboard session ended (logout): its streams end.
    AgentSessionEnded(i64),
    /// The listening connection was lost and is back: notices may have been missed.
    Reconnected,
}

impl Notice {
    /// The `NOTIFY` payload: `m CONVERSATION SEQ`, `v SESSION`, `a SESSION`.
    pub fn payload(&self) -> String {
        match self {
            Notice::Message {
                conversation_id,
                seq,
            } => format!("m {conversation_id} {seq}"),
            Notice::VisitorSessionEnded(id) => format!("v {id}"),
            Notice::AgentSessionEnded(id) => format!("a {id}"),
            Notice::Reconnected => "r".into(),
        }
    }

    /// Reads a payload written by [`Notice::payload`].
    pub fn parse(payload: &str) -> Option<Notice> {
        let mut parts = payload.split(' ');
        let kind = parts.next()?;
        let mut num = || parts.next()?.parse::<i64>().ok();
        Some(match kind {
            "m" => Notice::Message {
                conversation_id: num()?,
                seq: num()?,
            },
            "v" => Notice::VisitorSessionEnded(num()?),
            "a" => Notice::AgentSessionEnded(num()?),
            "r" => Notice::Reconnected,
            _ => return None,
        })
    }
}

/// What a redeemed stream ticket opens: a live session's conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTarget {
    /// The session.
    pub session_id: i64,
    /// Its conversation.
    pub conversation_id: i64,
}

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Revoked or expired sessions deleted.
    pub sessions: usize,
    /// Conversations that never started (no message, no contact-form details) deleted.
    pub conversations: usize,
    /// Conversations deleted because they were idle longer than their workspace's retention.
    pub retained_out: usize,
    /// Raw identify calls deleted because they were older than their keep.
    pub events: usize,
}

/// The result of a verified identify.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The upserted contact.
    pub contact: ContactRow,
    /// The conversation now linked to it.
    pub conversation_id: i64,
}

/// A dashboard role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, including Integrations > User Verification.
    Owner,
    /// Conversations and contacts.
    Agent,
}

impl Role {
    /// The database and command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Agent => "agent",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "owner" => Ok(Role::Owner),
            "agent" => Ok(Role::Agent),
            other => Err(format!("unknown role {other:?}: use owner or agent")),
        }
    }
}

/// A workspace as operators see it (never its secret).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Workspace {
    /// Internal id.
    #[serde(skip)]
    pub id: i64,
    /// Public id used by the snippet.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Plan.
    pub plan: Plan,
    /// Verification mode.
    pub mode: Mode,
    /// 0 when no secret was generated yet.
    pub secret_version: u32,
    /// Allowed origins for the widget (empty: any).
    pub origins: Vec<String>,
    /// Conversations idle longer than this many days are deleted (None: kept).
    pub retention_days: Option<u32>,
    /// How its widget looks and speaks.
    #[serde(skip)]
    pub appearance: replybubble_core::appearance::Appearance,
    /// Business hours' IANA time zone (None: no hours).
    pub time_zone: Option<String>,
    /// The week, `mon=09:00-17:00,…,sun=closed` (None: no hours).
    pub hours: Option<String>,
    /// Hide the launcher while nobody is available.
    pub hide_when_offline: bool,
    /// The email fallback may write to the email a verified contact's browser sent (only the
    /// user id is signed): off unless the owner turns it on.
    pub trust_unsigned_email: bool,
}

/// A conversation whose agent replies may need emailing, as the outbox worker claimed it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailJob {
    /// The conversation.
    pub conversation_id: i64,
    /// The latest agent reply queued when it was claimed.
    pub queued_seq: i64,
    /// Failed sends so far.
    pub attempts: u32,
    /// The workspace's name (the email's sender name and subject).
    pub workspace_name: String,
    /// The verified contact's email (None: no verified contact, or one without an email).
    pub to: Option<String>,
    /// The verified contact's name.
    pub contact_name: Option<String>,
    /// The page the chat started on (else the latest one), for the link back.
    pub page_url: Option<String>,
    /// When an email last went out for it.
    pub emailed_at: Option<i64>,
    /// The last message position an email covered.
    pub emailed_seq: i64,
    /// When a visitor stream of the conversation was last open.
    pub stream_seen_at: Option<i64>,
    /// The workspace trusts the unsigned email of a verified contact for the email fallback.
    pub trust_unsigned_email: bool,
    /// The workspace's allowed origins: the only pages an email links to.
    pub origins: Vec<String>,
}

/// An agent reply to put in an email.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailReply {
    /// Its position in the conversation.
    pub seq: i64,
    /// The text.
    pub body: String,
    /// The replying agent's login email (None: a reply without an agent, e.g. the demo's).
    pub agent_email: Option<String>,
    /// When it was sent (ms).
    pub created_at: i64,
}

/// What an agent chose in the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// Available (while a dashboard of theirs is open).
    Online,
    /// Not available.
    Away,
}

impl Presence {
    /// The spelling of the database, the forms and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Away => "away",
        }
    }
}

impl std::str::FromStr for Presence {
    type Err = String;
    fn from_str(s: &str) -> Result<Presence, String> {
        match s {
            "online" => Ok(Presence::Online),
            "away" => Ok(Presence::Away),
            other => Err(format!("unknown presence {other:?}: use online or away")),
        }
    }
}

/// One conversation of a contact with all its messages (a data-subject export).
#[derive(Debug, Clone)]
pub struct ConversationExport {
    /// The conversation.
    pub conversation: ConversationRow,
    /// Its messages, oldest first.
    pub messages: Vec<MessageRow>,
}

/// One recorded identify call of a user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// When (ms).
    pub at: i64,
    /// Its result.
    pub result: IdentifyResult,
    /// Its code.
    pub code: Option<String>,
    /// Its hint or field.
    pub hint: Option<String>,
}

/// Everything kept about one contact.
#[derive(Debug, Clone)]
pub struct ContactExport {
    /// The contact.
    pub contact: ContactRow,
    /// Its conversations with their messages.
    pub conversations: Vec<ConversationExport>,
    /// The identify calls made with its user id.
    pub events: Vec<EventRow>,
}

/// What deleting a contact removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deleted {
    /// Contacts (0 or 1).
    pub contacts: usize,
    /// Conversations.
    pub conversations: usize,
    /// Messages.
    pub messages: usize,
    /// Visitor sessions.
    pub sessions: usize,
    /// Identify events.
    pub events: usize,
    /// The ids of the deleted sessions (their streams are to be closed).
    pub session_ids: Vec<i64>,
}

/// What the identify decision needs to know about a workspace, secret included. Never leaves
/// the server.
#[derive(Clone)]
pub struct VerificationSettings {
    /// Internal id.
    pub workspace_id: i64,
    /// Plan.
    pub plan: Plan,
    /// Mode.
    pub mode: Mode,
    /// The current secret, sealed, if any.
    pub secret: Option<String>,
    /// Its version (0 when none).
    pub secret_version: u32,
}

impl std::fmt::Debug for VerificationSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationSettings")
            .field("workspace_id", &self.workspace_id)
            .field("plan", &self.plan)
            .field("mode", &self.mode)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("secret_version", &self.secret_version)
            .finish()
    }
}
