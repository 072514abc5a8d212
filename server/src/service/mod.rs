//! The domain behaviour, independent of HTTP: visitor sessions, identify and the claim rule,
//! reset, messages, tickets, agent replies and the housekeeping sweep. Every operation takes a
//! [`Services`] handle (store, hub, clock) and returns a domain result or a [`ServiceError`];
//! the HTTP layer decides the status codes and the bodies.

mod agent;
mod identify;
mod live;
mod messages;
mod session;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use replybubble_core::decision::{Hint, PlanUpgradeRequired, Reason, SendRefusal};
use replybubble_core::FieldError;

use crate::crypto::{SecretBox, WrongKey};
use crate::hub::Hub;
use crate::store::{Store, StoreError};

pub mod demo;
pub mod email;
pub mod hours;
pub mod presence;
pub mod privacy;
pub mod workspace;

pub use agent::post_agent_reply;
pub use identify::{end_unless_owner, identify};
pub use live::{follow, follow_notices, note_visitor_presence, stream_floor};
pub use messages::{
    events_ticket, messages_after, post_visitor_message, record_page, redeem_ticket, rfc3339,
    visitor_details, wire_message,
};
pub use session::{authenticate, check_origin, end_session, open_session, reset, sweep};

/// What every operation works with. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    /// The database, whichever engine.
    pub store: Arc<dyn Store>,
    /// Live events on this server (tell it through [`Services::publish`] and
    /// [`Services::end_streams`], which know whether other servers must hear too).
    pub hub: Arc<Hub>,
    /// The time.
    pub clock: Clock,
    /// Seals verification secrets at rest.
    pub secrets: Arc<SecretBox>,
    /// On a shared database, how often an open stream checks what it may have missed
    /// ([`live::follow`]).
    pub safety_poll: std::time::Duration,
    /// The email fallback's SMTP transport (`serve --smtp-url`; None: no emails).
    pub mailer: Option<Arc<crate::mailer::Mailer>>,
}

impl Services {
    /// Services on `store` with a new hub and the system clock.
    pub fn new(store: Arc<dyn Store>, secrets: SecretBox) -> Services {
        Services {
            store,
            hub: Arc::new(Hub::default()),
            clock: Clock::system(),
            secrets: Arc::new(secrets),
            safety_poll: std::time::Duration::from_secs(crate::policy::STREAM_SAFETY_POLL_SECS),
            mailer: None,
        }
    }

    /// Opens the store a `--db` value names with its master key (`REPLYBUBBLE_MASTER_KEY` or the
    /// key file beside the database), seals any secret an older release stored in clear, and
    /// refuses a key that does not open the stored secrets. A SQLite database whose key file is
    /// missing gets a new one only while it holds no sealed secret: otherwise nothing is
    /// written and the error names the file to restore, or the command that replaces a secret.
    pub async fn open(db: &std::path::Path) -> anyhow::Result<Services> {
        Services::open_with(db, false).await
    }

    /// [`Services::open`] for `verification regenerate-secret`, the fix for a lost key: a key
    /// file is made when none exists, and secrets that do not open are allowed (this command
    /// replaces one; the server starts once every workspace's secret opens again).
    pub async fn open_to_replace_a_secret(db: &std::path::Path) -> anyhow::Result<Services> {
        Services::open_with(db, true).await
    }

    async fn open_with(db: &std::path::Path, replacing: bool) -> anyhow::Result<Services> {
        let store = crate::store::open(db).await?;
        let stored = store.stored_secrets().await?;
        let key = if db.to_str().is_some_and(crate::store::pg::is_url) {
            // Every instance on one PostgreSQL database must seal with the same key.
            crate::crypto::key_from_env()?.ok_or(crate::crypto::KeyError::NoKeyForPostgres)?
        } else if let Some(key) = crate::crypto::key_from_env()? {
            key
        } else if let Some(key) = crate::crypto::key_in_file(db)? {
            key
        } else if !replacing && stored.iter().any(|(_, s)| SecretBox::is_sealed(s)) {
            return Err(crate::crypto::KeyError::Missing {
                path: crate::crypto::key_file(db).display().to_string(),
                db: crate::store::describe(db),
            }
            .into());
        } else {
            crate::crypto::new_key_file(db)?
        };
        let services = Services::new(store, SecretBox::new(key));
        services.seal_and_check(stored, db, replacing).await?;
        Ok(services)
    }

    /// Seals the secrets an older release stored in clear, and checks that every sealed one
    /// opens with this key (a wrong or lost key fails here, at start, not at the first
    /// identify), unless a secret is being replaced.
    async fn seal_and_check(
        &self,
        stored: Vec<(String, String)>,
        db: &std::path::Path,
        replacing: bool,
    ) -> anyhow::Result<()> {
        let (sealed, plain): (Vec<_>, Vec<_>) = stored
            .into_iter()
            .partition(|(_, secret)| SecretBox::is_sealed(secret));
        let sealed_any = !plain.is_empty();
        for (app_id, plain) in plain {
            let sealed = self.secrets.seal(&plain, &secret_context(&app_id));
            self.store.seal_secret(app_id, plain, sealed).await?;
        }
        if sealed_any {
            self.store.flush_to_file().await?;
            tracing::info!("sealed the verification secrets an older release stored in clear");
        }
        if replacing {
            return Ok(());
        }
        let unreadable: Vec<String> = sealed
            .into_iter()
            .filter(|(app_id, sealed)| self.secrets.open(sealed, &secret_context(app_id)).is_err())
            .map(|(app_id, _)| app_id)
            .collect();
        if !unreadable.is_empty() {
            return Err(crate::crypto::KeyError::Unreadable {
                app_ids: unreadable,
                db: crate::store::describe(db),
            }
            .into());
        }
        Ok(())
    }
}

/// What a workspace's sealed secret is bound to.
pub fn secret_context(app_id: &str) -> String {
    format!("verification secret of {app_id}")
}

/// What a dashboard session's one-time secret is bound to.
pub fn flash_context(session_id: i64) -> String {
    format!("one-time secret of dashboard session {session_id}")
}

/// Milliseconds since the Unix epoch: the system's, or a fixed time that tests move.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock stopped at `ms` until [`Clock::advance`] moves it.
    pub fn fixed(ms: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(ms))))
    }

    /// Moves a fixed clock forward (no effect on the system clock).
    pub fn advance(&self, ms: i64) {
        if let Some(t) = &self.0 {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }

    /// Now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(t) => t.load(Ordering::SeqCst),
            None => crate::store::now_ms(),
        }
    }
}

/// Why an operation failed, in domain terms.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A field breaks a limit or has the wrong type.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// No workspace has this app id.
    #[error("no workspace has this app id: copy the snippet from the dashboard")]
    UnknownApp,
    /// The page's origin is not among the workspace's allowed origins.
    #[error("this site's origin is not allowed to use this workspace's widget: add it with --origin or in the dashboard")]
    OriginNotAllowed,
    /// The visitor session is unknown, ended (reset, replaced) or expired.
    #[error("the visitor token is unknown, expired or was revoked: start a new session with POST /api/v1/widget/session")]
    SessionEnded,
    /// The stream ticket is unknown, used or expired.
    #[error("the event ticket is unknown, used or expired: take a new one with POST /api/v1/widget/events/ticket")]
    TicketInvalid,
    /// Verification needs Pro or Enterprise.
    #[error(transparent)]
    PlanUpgradeRequired(#[from] PlanUpgradeRequired),
    /// Required mode refused an identify.
    #[error("{}", rejection_message(*reason, *hint))]
    SignatureRejected {
        /// Missing or invalid.
        reason: Reason,
        /// The likely mistake.
        hint: Option<Hint>,
    },
    /// Required mode refused a message or contact-form details.
    #[error(transparent)]
    SendRefused(#[from] SendRefusal),
    /// A thing that does not exist, or not in this workspace.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state; the text says what to do.
    #[error("{0}")]
    Conflict(String),
    /// The store failed (the cause is kept and logged; the caller sees an internal error).
    #[error("the database failed")]
    Store(#[source] StoreError),
    /// A sealed secret does not open with this server's master key.
    #[error(transparent)]
    Key(#[from] WrongKey),
    /// `error`, answered on a fresh anonymous session that the call started (the claim rule).
    #[error("{error}")]
    InNewSession {
        /// What went wrong.
        error: Box<ServiceError>,
        /// The new session's token.
        visitor_token: String,
        /// The new session's conversation.
        conversation_id: i64,
    },
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound("session") => ServiceError::SessionEnded,
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            other => ServiceError::Store(other),
        }
    }
}

/// What a Required-mode rejection tells the developer to fix.
pub fn rejection_message(reason: Reason, hint: Option<Hint>) -> String {
    match (reason, hint) {
        (Reason::SignatureMissing, _) => {
            "this workspace requires verified users: pass the signature your server computed (hex HMAC-SHA256 of the id)".into()
        }
        (Reason::SignatureInvalid, Some(h)) => format!("the signature is invalid: {}", h.advice()),
        (Reason::SignatureInvalid, None) => {
            "the signature is invalid: check that your server signs exactly this id with the current secret".into()
        }
    }
}
