//! Visitor sessions: opening or resuming one, the bearer token's session and its 30-day
//! expiry, reset, and the sweep of ended sessions.

use replybubble_core::wire::SessionResponse;
use replybubble_core::{FieldError, Problem, Value};

use super::{ServiceError, Services};
use crate::crypto;
use crate::hub::StreamOwner;
use crate::policy::{self, VISITOR_SESSION_TOUCH_MINUTES};
use crate::store::{FreshSession, SessionCtx, Swept};

/// 403 unless `origin` may call this workspace's widget API. No `Origin` header (a server, curl)
/// passes: CORS protects browsers, and browsers always send it cross-origin.
pub fn check_origin(allowed: &[String], origin: Option<&str>) -> Result<(), ServiceError> {
    match origin {
        Some(o) if !allowed.is_empty() && !allowed.iter().any(|a| a.eq_ignore_ascii_case(o)) => {
            Err(ServiceError::OriginNotAllowed)
        }
        _ => Ok(()),
    }
}

fn required_string(raw: &Value, field: &'static str) -> Result<String, ServiceError> {
    match raw.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            Err(FieldError::new(field, Problem::Required).into())
        }
        Some(other) => Err(FieldError::new(
            field,
            Problem::WrongType {
                expected: "a string",
                got: other.kind(),
            },
        )
        .into()),
    }
}

/// The session of a bearer token: live, used within 30 days. Its last use is written down at
/// most hourly, so a session in use never expires and reads stay reads.
pub async fn authenticate(s: &Services, token: &str) -> Result<SessionCtx, ServiceError> {
    let (hash, now) = (crypto::token_hash(token), s.clock.now_ms());
    let found = s.store.authenticate(hash, now).await?;
    authenticated(s, found)
        .await?
        .ok_or(ServiceError::SessionEnded)
}

async fn authenticated(
    s: &Services,
    found: Option<SessionCtx>,
) -> Result<Option<SessionCtx>, ServiceError> {
    let Some(ctx) = found else { return Ok(None) };
    let now = s.clock.now_ms();
    if now - ctx.last_seen_at >= VISITOR_SESSION_TOUCH_MINUTES * 60_000 {
        s.store.touch(ctx.session_id, now).await?;
    }
    Ok(Some(ctx))
}

/// Deletes ended sessions, the conversations that never started, conversations past their
/// workspace's retention and identify activity past its keep (run on a timer).
pub async fn sweep(s: &Services) -> Result<Swept, ServiceError> {
    let now = s.clock.now_ms();
    let mut swept = s.store.sweep(now).await?;
    swept.retained_out = s.store.retention_sweep(now).await?;
    let day = 86_400_000;
    let (raw, counts) = (
        now - policy::RAW_EVENTS_DAYS * day,
        now - policy::HOURLY_COUNTS_DAYS * day,
    );
    loop {
        let n = s
            .store
            .prune_events(raw, counts, policy::PRUNE_BATCH)
            .await?;
        swept.events += n;
        if n < policy::PRUNE_BATCH {
            break;
        }
    }
    Ok(swept)
}

/// `POST session`: resumes the caller's live session of this workspace (when a valid bearer
/// token comes along) or starts a new anonymous one.
pub async fn open_session(
    s: &Services,
    raw: &Value,
    bearer: Option<String>,
    origin: Option<&str>,
) -> Result<SessionResponse, ServiceError> {
    let app_id = required_string(raw, "app_id")?;
    let ws = s
        .store
        .workspace(app_id)
        .await?
        .ok_or(ServiceError::UnknownApp)?;
    check_origin(&ws.origins, origin)?;
    let browser = replybubble_core::appearance::browser_locale(raw)?;
    let appearance = Some(ws.appearance.for_visitor(browser));
    let (workspace_id, plan, mode) = (ws.id, ws.plan, ws.mode);
    if let Some(token) = bearer {
        let (hash, now) = (crypto::token_hash(&token), s.clock.now_ms());
        let resumed = s
            .store
            .authenticate(hash, now)
            .await?
            .filter(|ctx| ctx.workspace_id == workspace_id);
        if let Some(ctx) = authenticated(s, resumed).await? {
            return Ok(SessionResponse {
                visitor_token: token,
                conversation_id: ctx.conversation_id,
                visitor_label: ctx.visitor_label.clone(),
                mode: ctx.mode,
                plan: ctx.plan,
                verified: ctx.verified_now(),
                appearance,
            });
        }
    }
    let token = crypto::new_token("rbv");
    let hash = crypto::token_hash(&token);
    let label = crypto::new_visitor_label();
    let now = s.clock.now_ms();
    let new = s
        .store
        .create_session(workspace_id, hash, label, now)
        .await?;
    Ok(SessionResponse {
        visitor_token: token,
        conversation_id: new.conversation_id,
        visitor_label: new.visitor_label,
        mode,
        plan,
        verified: false,
        appearance,
    })
}

/// A new visitor token and what the store keeps of it.
pub(super) fn fresh_session() -> (String, FreshSession) {
    let token = crypto::new_token("rbv");
    let fresh = FreshSession {
        token_hash: crypto::token_hash(&token),
        visitor_label: crypto::new_visitor_label(),
    };
    (token, fresh)
}

/// `POST reset`: revokes this session now and starts a fresh anonymous one.
pub async fn reset(s: &Services, ctx: &SessionCtx) -> Result<SessionResponse, ServiceError> {
    let (session_id, now) = (ctx.session_id, s.clock.now_ms());
    let (token, fresh) = fresh_session();
    let new = s.store.replace_session(session_id, fresh, now).await?;
    s.end_streams(StreamOwner::Visitor(session_id));
    Ok(SessionResponse {
        visitor_token: token,
        conversation_id: new.conversation_id,
        visitor_label: new.visitor_label,
        mode: ctx.mode,
        plan: ctx.plan,
        verified: false,
        appearance: None,
    })
}

/// Ends a session without a new one (a reset or an identify that could not be served): its
/// token stops working and its streams end. The caller starts a new session when it can.
pub async fn end_session(s: &Services, ctx: &SessionCtx) -> Result<(), ServiceError> {
    s.store
        .end_session(ctx.session_id, s.clock.now_ms())
        .await?;
    s.end_streams(StreamOwner::Visitor(ctx.session_id));
    Ok(())
}
