//! The widget API's behaviour, between the HTTP handlers and the store: sessions, identify
//! (the core decision, the claim rules, the activity record), reset, messages, agent replies and
//! live events. Handlers parse and answer; this module decides and writes.

use std::time::Duration;

use replybubble_core::decision::{may_send, Hint, Reason, SendRefusal};
use replybubble_core::identify::{decide, CurrentSecret, Outcome};
use replybubble_core::limits::{
    EVENTS_TICKET_TTL_SECS, ID_MAX, MESSAGES_PAGE, VISITOR_SESSION_TOUCH_MINUTES,
};
use replybubble_core::wire::{
    self, EventsTicket, IdentifyResponse, IdentifyStatus, MessagePage, MessagePosted, Prefill,
    SessionResponse,
};
use replybubble_core::{FieldError, IdentifyUser, MessageBody, Problem, Value};

use crate::crypto;
use crate::error::ApiError;
use crate::hub::{StreamOwner, StreamTarget};
use crate::startup::AppState;
use crate::store::events::{self, IdentifyEvent};
use crate::store::messages::{self, MessageRow};
use crate::store::sessions::{self, NewSession, SessionCtx};
use crate::store::{self, conversations, now_ms, StoreError};

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

/// A message on the wire.
pub fn wire_message(m: &MessageRow) -> wire::Message {
    wire::Message {
        id: m.id,
        author: m.author,
        body: m.body.clone(),
        created_at: rfc3339(m.created_at),
    }
}

/// 403 unless `origin` may call this workspace's widget API. No `Origin` header (a server, curl)
/// passes: CORS protects browsers, and browsers always send it cross-origin.
pub fn check_origin(allowed: &[String], origin: Option<&str>) -> Result<(), ApiError> {
    match origin {
        Some(o) if !allowed.is_empty() && !allowed.iter().any(|a| a.eq_ignore_ascii_case(o)) => {
            Err(ApiError::OriginNotAllowed)
        }
        _ => Ok(()),
    }
}

fn session_lost(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound("session") => ApiError::Unauthorized(crate::error::TOKEN_REVOKED),
        other => other.into(),
    }
}

fn required_string(raw: &Value, field: &'static str) -> Result<String, ApiError> {
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
pub async fn authenticate(state: &AppState, token: &str) -> Result<SessionCtx, ApiError> {
    let hash = crypto::token_hash(token);
    let found = state
        .store
        .read(move |c| sessions::authenticate(c, &hash, now_ms()))
        .await?;
    authenticated(state, found)
        .await?
        .ok_or(ApiError::Unauthorized(crate::error::TOKEN_REVOKED))
}

async fn authenticated(
    state: &AppState,
    found: Option<SessionCtx>,
) -> Result<Option<SessionCtx>, ApiError> {
    let Some(ctx) = found else { return Ok(None) };
    let now = now_ms();
    if now - ctx.last_seen_at >= VISITOR_SESSION_TOUCH_MINUTES * 60_000 {
        let session_id = ctx.session_id;
        state
            .store
            .write(move |c| sessions::touch(c, session_id, now))
            .await?;
    }
    Ok(Some(ctx))
}

/// Deletes ended sessions and the conversations that never started (run on a timer).
pub async fn sweep(state: &AppState) -> Result<sessions::Swept, ApiError> {
    let now = now_ms();
    Ok(state.store.write(move |c| sessions::sweep(c, now)).await?)
}

/// `POST session`: resumes the caller's live session of this workspace (when a valid bearer
/// token comes along) or starts a new anonymous one.
pub async fn open_session(
    state: &AppState,
    raw: &Value,
    bearer: Option<String>,
    origin: Option<&str>,
) -> Result<SessionResponse, ApiError> {
    let app_id = required_string(raw, "app_id")?;
    let ws = state
        .store
        .read(move |c| store::find_workspace(c, &app_id))
        .await?
        .ok_or(ApiError::UnknownApp)?;
    check_origin(&ws.origins, origin)?;
    let (workspace_id, plan, mode) = (ws.id, ws.plan, ws.mode);
    if let Some(token) = bearer {
        let hash = crypto::token_hash(&token);
        if let Some(ctx) = authenticated(
            state,
            state
                .store
                .read(move |c| sessions::resume(c, &hash, workspace_id, now_ms()))
                .await?,
        )
        .await?
        {
            return Ok(SessionResponse {
                visitor_token: token,
                conversation_id: ctx.conversation_id,
                visitor_label: ctx.visitor_label.clone(),
                mode: ctx.mode,
                plan: ctx.plan,
                verified: ctx.verified_now(),
            });
        }
    }
    let token = crypto::new_token("rbv");
    let hash = crypto::token_hash(&token);
    let label = crypto::new_visitor_label();
    let now = now_ms();
    let new = state
        .store
        .write(move |c| sessions::create(c, workspace_id, &hash, &label, now))
        .await?;
    Ok(SessionResponse {
        visitor_token: token,
        conversation_id: new.conversation_id,
        visitor_label: new.visitor_label,
        mode,
        plan,
        verified: false,
    })
}

fn rejection_message(reason: Reason, hint: Option<Hint>) -> String {
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

async fn record(state: &AppState, event: IdentifyEvent) -> Result<(), ApiError> {
    state
        .store
        .write(move |c| events::record(c, &event))
        .await?;
    Ok(())
}

/// A fresh anonymous session made inside a write job: its token (only the hash is stored).
struct Fresh {
    token: String,
    session: NewSession,
}

fn fresh_session(
    conn: &rusqlite::Connection,
    session_id: i64,
    now: i64,
) -> Result<Fresh, StoreError> {
    let token = crypto::new_token("rbv");
    let session = sessions::replace(
        conn,
        session_id,
        &crypto::token_hash(&token),
        &crypto::new_visitor_label(),
        now,
    )?;
    Ok(Fresh { token, session })
}

/// What one identify did in the writer's transaction.
struct Applied {
    /// Set when the claim rule ended the session and started this one.
    switched: Option<Fresh>,
    /// Set when the identify was verified.
    claimed: Option<sessions::Claimed>,
}

/// `POST identify`: the decision table, the claim rule and the activity record.
///
/// The claim rule: a session bound to user A is never used by anyone else. An identify on it
/// whose `id` is not A's ends it and continues on a fresh anonymous session, whatever the
/// outcome (verified, unverified, disabled, 402, 403, 400), and the answer (success or error)
/// carries the new `visitor_token` and `conversation_id`. The check runs inside the writer's
/// transaction, so of concurrent identifies on one session exactly one gets a new session and
/// the others find it ended (401).
pub async fn identify(
    state: &AppState,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<IdentifyResponse, ApiError> {
    let now = now_ms();
    let sent_id: Option<String> = match raw.get("id") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let parsed = IdentifyUser::parse(raw).map(|p| p.user);
    let outcome = parsed.as_ref().ok().map(|user| {
        let secret = ctx.secret.as_deref().map(|value| CurrentSecret {
            value,
            version: ctx.secret_version,
        });
        decide(ctx.plan, ctx.mode, secret, user)
    });
    let event = IdentifyEvent {
        workspace_id: ctx.workspace_id,
        at: now,
        user_id: sent_id.as_ref().map(|s| s.chars().take(ID_MAX).collect()),
        result: outcome.map_or("invalid", |o| o.result()),
        code: match (&outcome, &parsed) {
            (Some(o), _) => o.code(),
            (None, _) => Some(FieldError::CODE),
        },
        hint: match (&outcome, &parsed) {
            (Some(o), _) => o.hint().map(|h| h.as_str().to_owned()),
            (None, Err(e)) => Some(e.field().to_owned()),
            (None, Ok(_)) => None,
        },
    };
    let session_id = ctx.session_id;
    let verified_user = match (outcome, &parsed) {
        (Some(Outcome::Verified { secret_version }), Ok(user)) => {
            Some((user.clone(), secret_version))
        }
        _ => None,
    };
    let applied = state
        .store
        .write(move |c| {
            let bound =
                sessions::bound_user(c, session_id)?.ok_or(StoreError::NotFound("session"))?;
            let switched = match bound {
                Some(owner) if sent_id.as_deref() != Some(owner.as_str()) => {
                    Some(fresh_session(c, session_id, now)?)
                }
                _ => None,
            };
            let target = switched
                .as_ref()
                .map_or(session_id, |f| f.session.session_id);
            let claimed = match verified_user {
                Some((user, version)) => Some(sessions::claim(c, target, &user, version, now)?),
                None => None,
            };
            events::record(c, &event)?;
            Ok(Applied { switched, claimed })
        })
        .await
        .map_err(session_lost)?;
    if applied.switched.is_some() {
        state.hub.close(StreamOwner::Visitor(session_id));
    }
    let switched = applied
        .switched
        .map(|f| (f.token, f.session.conversation_id));
    // Every answer, success or error, carries the new session when there is one.
    let in_new_session = |error: ApiError| match &switched {
        Some((token, conversation_id)) => ApiError::InNewSession {
            error: Box::new(error),
            visitor_token: token.clone(),
            conversation_id: *conversation_id,
        },
        None => error,
    };
    let user = match parsed {
        Ok(user) => user,
        Err(e) => return Err(in_new_session(e.into())),
    };
    let mut answer = IdentifyResponse {
        status: IdentifyStatus::Disabled,
        verified: None,
        contact: None,
        conversation_id: switched.as_ref().map(|s| s.1),
        visitor_token: switched.as_ref().map(|s| s.0.clone()),
        reason: None,
        hint: None,
        prefill: None,
    };
    match outcome.expect("a parsed user has an outcome") {
        Outcome::Verified { .. } => {
            let claimed = applied.claimed.expect("a verified identify claims");
            let c = claimed.contact;
            answer.status = IdentifyStatus::Verified;
            answer.verified = Some(true);
            answer.conversation_id = Some(claimed.conversation_id);
            answer.contact = Some(wire::Contact {
                id: c.user_id,
                email: c.email,
                name: c.name,
                company: c.company,
                phone: c.phone,
            });
            Ok(answer)
        }
        Outcome::PlanUpgradeRequired => Err(in_new_session(
            replybubble_core::decision::PlanUpgradeRequired.into(),
        )),
        Outcome::Disabled => Ok(answer),
        Outcome::Unverified { reason, hint } => {
            let text = |o: Option<&str>| o.map(str::to_owned);
            answer.status = IdentifyStatus::Unverified;
            answer.verified = Some(false);
            answer.reason = Some(reason);
            answer.hint = hint;
            answer.prefill = Some(Prefill {
                email: text(user.email.as_ref().map(AsRef::as_ref)),
                name: text(user.name.as_ref().map(AsRef::as_ref)),
                company: text(user.company.as_ref().map(AsRef::as_ref)),
                phone: text(user.phone.as_ref().map(AsRef::as_ref)),
            });
            Ok(answer)
        }
        Outcome::Rejected { reason, hint } => Err(in_new_session(ApiError::SignatureRejected {
            reason,
            hint,
            message: rejection_message(reason, hint),
        })),
    }
}

/// `POST reset`: revokes this session now and starts a fresh anonymous one.
pub async fn reset(state: &AppState, ctx: &SessionCtx) -> Result<SessionResponse, ApiError> {
    let (session_id, now) = (ctx.session_id, now_ms());
    let fresh = state
        .store
        .write(move |c| fresh_session(c, session_id, now))
        .await
        .map_err(session_lost)?;
    state.hub.close(StreamOwner::Visitor(session_id));
    Ok(SessionResponse {
        visitor_token: fresh.token,
        conversation_id: fresh.session.conversation_id,
        visitor_label: fresh.session.visitor_label,
        mode: ctx.mode,
        plan: ctx.plan,
        verified: false,
    })
}

/// 403 unless this session may write in its workspace's mode: Required mode lets only sessions
/// verified under the current secret send messages or contact-form details. A session verified
/// under an older secret is recorded as a `signature_expired` rejection on the panel.
async fn check_may_send(state: &AppState, ctx: &SessionCtx) -> Result<(), ApiError> {
    let verified_under = ctx
        .verified_secret_version
        .filter(|_| ctx.contact_id.is_some());
    let current = (ctx.secret_version > 0).then_some(ctx.secret_version);
    match may_send(ctx.plan, ctx.mode, verified_under, current) {
        Ok(()) => Ok(()),
        Err(refusal) => {
            if refusal == SendRefusal::SignatureExpired {
                record(
                    state,
                    IdentifyEvent {
                        workspace_id: ctx.workspace_id,
                        at: now_ms(),
                        user_id: ctx.bound_user_id.clone(),
                        result: "rejected",
                        code: Some(refusal.code()),
                        hint: None,
                    },
                )
                .await?;
            }
            Err(refusal.into())
        }
    }
}

/// `POST messages`: stored in the session's conversation if the session is still live, marked
/// verified only when the session is verified under the current secret at that moment.
pub async fn post_visitor_message(
    state: &AppState,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<MessagePosted, ApiError> {
    let body = MessageBody::parse_value(raw.get("body"))?;
    check_may_send(state, ctx).await?;
    let (session_id, now) = (ctx.session_id, now_ms());
    let row = state
        .store
        .write(move |c| messages::insert_visitor(c, session_id, body.as_ref(), now))
        .await
        .map_err(session_lost)?;
    state.hub.publish(&row);
    Ok(MessagePosted {
        id: row.id,
        created_at: rfc3339(row.created_at),
    })
}

/// `POST visitor`: what an anonymous visitor typed into the contact form, kept on the
/// conversation as unverified details. Never creates or changes a contact; refused in Required
/// mode like a message.
pub async fn visitor_details(
    state: &AppState,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<(), ApiError> {
    let details = replybubble_core::user::VisitorDetails::parse(raw)?;
    check_may_send(state, ctx).await?;
    let (session_id, now) = (ctx.session_id, now_ms());
    state
        .store
        .write(move |c| {
            let name = details.name.as_ref().map(AsRef::as_ref);
            let email = details.email.as_ref().map(AsRef::as_ref);
            conversations::set_visitor_details(c, session_id, name, email, now)
        })
        .await
        .map_err(session_lost)?;
    Ok(())
}

/// `GET messages?after=ID`: the next page of the session's conversation, oldest first.
pub async fn messages_after(
    state: &AppState,
    ctx: &SessionCtx,
    after: i64,
) -> Result<MessagePage, ApiError> {
    let conversation_id = ctx.conversation_id;
    let rows = state
        .store
        .read(move |c| messages::after(c, conversation_id, after, MESSAGES_PAGE))
        .await?;
    Ok(MessagePage {
        messages: rows.iter().map(wire_message).collect(),
    })
}

/// `POST events/ticket`: a single-use ticket that opens this session's stream within 60 s.
pub fn events_ticket(state: &AppState, ctx: &SessionCtx) -> EventsTicket {
    let ticket = crypto::new_token("rbt");
    state.hub.issue_ticket(
        crypto::token_hash(&ticket),
        StreamTarget {
            session_id: ctx.session_id,
            conversation_id: ctx.conversation_id,
        },
        Duration::from_secs(EVENTS_TICKET_TTL_SECS),
    );
    EventsTicket {
        ticket,
        expires_in: EVENTS_TICKET_TTL_SECS,
    }
}

/// Redeems a ticket for a live session's stream target.
pub async fn redeem_ticket(state: &AppState, ticket: &str) -> Result<StreamTarget, ApiError> {
    let target = state.hub.redeem_ticket(&crypto::token_hash(ticket)).ok_or(ApiError::Unauthorized(
        "the event ticket is unknown, used or expired: take a new one with POST /api/v1/widget/events/ticket",
    ))?;
    let session_id = target.session_id;
    if !state
        .store
        .read(move |c| sessions::is_live(c, session_id, now_ms()))
        .await?
    {
        return Err(ApiError::Unauthorized(crate::error::TOKEN_REVOKED));
    }
    Ok(target)
}

/// An agent's reply: stored through the same writer and sent live to the visitor's stream.
/// Another workspace's conversation is "not found".
pub async fn post_agent_reply(
    state: &AppState,
    workspace_id: i64,
    conversation_id: i64,
    agent_id: Option<i64>,
    body: &str,
) -> Result<MessageRow, ApiError> {
    let body = MessageBody::parse(body.to_owned())?;
    let now = now_ms();
    let row = state
        .store
        .write(move |c| {
            if !conversations::in_workspace(c, workspace_id, conversation_id)? {
                return Err(StoreError::NotFound("conversation"));
            }
            messages::insert_agent(c, conversation_id, agent_id, body.as_ref(), now)
        })
        .await?;
    state.hub.publish(&row);
    Ok(row)
}
