//! Workspace settings and their rules: verification (modes, secrets) needs Pro or Enterprise
//! (402), and a secret in use is replaced only by an explicit regenerate.

use replybubble_core::{Mode, Plan};

use super::{flash_context, secret_context, ServiceError, Services};
use crate::crypto;
use crate::store::{AgentCtx, Workspace};

async fn existing(s: &Services, app_id: &str) -> Result<Workspace, ServiceError> {
    s.store
        .workspace(app_id.to_owned())
        .await?
        .ok_or(ServiceError::NotFound("workspace"))
}

/// Changes the plan.
pub async fn set_plan(s: &Services, app_id: &str, plan: Plan) -> Result<Workspace, ServiceError> {
    Ok(s.store.set_plan(app_id.to_owned(), plan).await?)
}

/// Changes the widget's appearance: each `(field, value)` as the dashboard's form or the CLI's
/// flags give it ([`Appearance::FIELDS`](replybubble_core::appearance::Appearance::FIELDS)),
/// on top of the current one. Nothing is written when one is wrong; the error names it.
pub async fn set_appearance(
    s: &Services,
    app_id: &str,
    changes: &[(&str, &str)],
) -> Result<Workspace, ServiceError> {
    let mut appearance = existing(s, app_id).await?.appearance;
    for (field, value) in changes {
        appearance.set(field, value)?;
    }
    Ok(s.store
        .set_appearance(app_id.to_owned(), appearance)
        .await?)
}

/// Changes the verification mode (402 on the free plan).
pub async fn set_mode(s: &Services, app_id: &str, mode: Mode) -> Result<Workspace, ServiceError> {
    existing(s, app_id).await?.plan.check_verification()?;
    Ok(s.store.set_mode(app_id.to_owned(), mode).await?)
}

/// Whether the email fallback may write to a verified contact's unsigned email (402 on the
/// free plan: it is part of verification).
pub async fn set_email_trust(
    s: &Services,
    app_id: &str,
    trust: bool,
) -> Result<Workspace, ServiceError> {
    existing(s, app_id).await?.plan.check_verification()?;
    Ok(s.store.set_email_trust(app_id.to_owned(), trust).await?)
}

/// A secret just made, to be shown once.
#[derive(Clone)]
pub struct NewSecret {
    /// The secret.
    pub secret: String,
    /// Its version.
    pub version: u32,
}

impl std::fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSecret")
            .field("secret", &"<redacted>")
            .field("version", &self.version)
            .finish()
    }
}

/// Generates the first secret (`regenerate` false: refused when one exists, so a secret in use
/// is never replaced by accident) or replaces the current one (`regenerate` true: the old one
/// stops working at once). It is stored sealed. With `flash_for`, the dashboard session that
/// asked keeps it (sealed too) for the one page view that shows it. 402 on the free plan.
pub async fn new_secret(
    s: &Services,
    app_id: &str,
    regenerate: bool,
    flash_for: Option<i64>,
) -> Result<NewSecret, ServiceError> {
    let ws = existing(s, app_id).await?;
    ws.plan.check_verification()?;
    if ws.secret_version > 0 && !regenerate {
        return Err(ServiceError::Conflict(
            "this workspace already has a secret: use regenerate-secret to replace it (the old one stops working at once)".into(),
        ));
    }
    let secret = crypto::new_secret();
    let sealed = s.secrets.seal(&secret, &secret_context(app_id));
    let flash = flash_for.map(|id| (id, s.secrets.seal(&secret, &flash_context(id))));
    let version = s
        .store
        .replace_secret(app_id.to_owned(), sealed, ws.secret_version, flash)
        .await?;
    Ok(NewSecret { secret, version })
}

/// The secret a dashboard session is to show once (taken: a second call finds nothing).
pub async fn take_flash_secret(
    s: &Services,
    agent: &AgentCtx,
) -> Result<Option<String>, ServiceError> {
    // Most views have nothing waiting: no write (and no commit) for them.
    if !agent.flash_waiting {
        return Ok(None);
    }
    let session_id = agent.session_id;
    match s.store.take_flash_secret(session_id).await? {
        Some(sealed) => Ok(Some(s.secrets.open(&sealed, &flash_context(session_id))?)),
        None => Ok(None),
    }
}

/// The current secret of a workspace in clear (the demo shop signs its users with it), if any.
pub async fn current_secret(s: &Services, app_id: &str) -> Result<Option<String>, ServiceError> {
    match s.store.verification(app_id.to_owned()).await?.secret {
        Some(sealed) => Ok(Some(s.secrets.open(&sealed, &secret_context(app_id))?)),
        None => Ok(None),
    }
}
