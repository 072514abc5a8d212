//! The widget API's behaviour, between the HTTP handlers and the store: sessions, identify
//! (the core decision, the claim rules, the activity record), reset, messages, agent replies and
//! live events. Handlers parse and answer; this module decides and writes.

use std::time::Duration;

use replybubble_core::decision::{may_send, Hint, Reason, SendRefusal};
use replybubble_core::identify::{decide, CurrentSecret, Outcome};
use replybubble_core::limits::{EVENTS_TICKET_TTL_SECS, ID_MAX, MESSAGES_PAGE};
use replybubble_core::wire::{
    self, Author, EventsTicket, IdentifyResponse, IdentifyStatus, MessagePage, MessagePosted,
    Prefill, SessionResponse,
};
use replybubble_core::{FieldError, IdentifyUser, MessageBody, Problem, Value};

use crate::crypto;
use crate::error::ApiError;
use crate::hub::StreamTarget;
use crate::startup::AppState;
use crate::store::events::{self, IdentifyEvent};
use crate::store::messages::{self, MessageRow};
use crate::store::sessions::{self, SessionCtx};
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
        if let Some(ctx) = state
            .store
            .read(move |c| sessions::resume(c, &hash, workspace_id))
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
        .write(move |c| sessions::create(c, workspace_id, &hash, &label, None, now))
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

/// `POST identify`: the decision table, the claim rules and the activity record.
pub async fn identify(
    state: &AppState,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<IdentifyResponse, ApiError> {
    let now = now_ms();
    let sent_id = match raw.get("id") {
        Some(Value::String(s)) => Some(s.chars().take(ID_MAX).collect::<String>()),
        _ => None,
    };
    let mut event = IdentifyEvent {
        workspace_id: ctx.workspace_id,
        at: now,
        user_id: sent_id,
        result: "invalid",
        code: Some(FieldError::CODE),
        hint: None,
    };
    let user = match IdentifyUser::parse(raw) {
        Ok(parsed) => parsed.user,
        Err(e) => {
            event.hint = Some(e.field().to_owned());
            record(state, event).await?;
            return Err(e.into());
        }
    };
    let secret = ctx.secret.as_deref().map(|value| CurrentSecret {
        value,
        version: ctx.secret_version,
    });
    let outcome = decide(ctx.plan, ctx.mode, secret, &user);
    event.result = outcome.result();
    event.code = outcome.code();
    event.hint = outcome.hint().map(|h| h.as_str().to_owned());
    match outcome {
        Outcome::Verified { secret_version } => {
            let session_id = ctx.session_id;
            // A new token is made only when the session belongs to someone else.
            let (claimed, token) = state
                .store
                .write(move |c| {
                    let mut token = None;
                    let fresh = || {
                        let t = crypto::new_token("rbv");
                        let hash = crypto::token_hash(&t);
                        token = Some(t);
                        (hash, crypto::new_visitor_label())
                    };
                    let claimed =
                        sessions::claim(c, session_id, &user, secret_version, fresh, now)?;
                    events::record(c, &event)?;
                    Ok((claimed, token))
                })
                .await
                .map_err(session_lost)?;
            if claimed.new_session.is_some() {
                state.hub.close_session(session_id);
            }
            let c = claimed.contact;
            Ok(IdentifyResponse {
                status: IdentifyStatus::Verified,
                verified: Some(true),
                contact: Some(wire::Contact {
                    id: c.user_id,
                    email: c.email,
                    name: c.name,
                    company: c.company,
                    phone: c.phone,
                }),
                conversation_id: Some(claimed.conversation_id),
                visitor_token: token,
                reason: None,
                hint: None,
                prefill: None,
            })
        }
        Outcome::PlanUpgradeRequired => {
            record(state, event).await?;
            Err(replybubble_core::decision::PlanUpgradeRequired.into())
        }
        Outcome::Disabled => {
            record(state, event).await?;
            Ok(IdentifyResponse {
                status: IdentifyStatus::Disabled,
                verified: None,
                contact: None,
                conversation_id: None,
                visitor_token: None,
                reason: None,
                hint: None,
                prefill: None,
            })
        }
        Outcome::Unverified { reason, hint } => {
            record(state, event).await?;
            let text = |o: Option<&str>| o.map(str::to_owned);
            Ok(IdentifyResponse {
                status: IdentifyStatus::Unverified,
                verified: Some(false),
                contact: None,
                conversation_id: None,
                visitor_token: None,
                reason: Some(reason),
                hint,
                prefill: Some(Prefill {
                    email: text(user.email.as_ref().map(AsRef::as_ref)),
                    name: text(user.name.as_ref().map(AsRef::as_ref)),
                    company: text(user.company.as_ref().map(AsRef::as_ref)),
                    phone: text(user.phone.as_ref().map(AsRef::as_ref)),
                }),
            })
        }
        Outcome::Rejected { reason, hint } => {
            record(state, event).await?;
            Err(ApiError::SignatureRejected {
                reason,
                hint,
                message: rejection_message(reason, hint),
            })
        }
    }
}

/// `POST reset`: revokes this session now and starts a fresh anonymous one.
pub async fn reset(state: &AppState, ctx: &SessionCtx) -> Result<SessionResponse, ApiError> {
    let token = crypto::new_token("rbv");
    let hash = crypto::token_hash(&token);
    let label = crypto::new_visitor_label();
    let now = now_ms();
    let (session_id, workspace_id) = (ctx.session_id, ctx.workspace_id);
    let new = state
        .store
        .write(move |c| {
            if !sessions::revoke(c, session_id, now)? {
                return Err(StoreError::NotFound("session"));
            }
            sessions::create(c, workspace_id, &hash, &label, None, now)
        })
        .await
        .map_err(session_lost)?;
    state.hub.close_session(session_id);
    Ok(SessionResponse {
        visitor_token: token,
        conversation_id: new.conversation_id,
        visitor_label: new.visitor_label,
        mode: ctx.mode,
        plan: ctx.plan,
        verified: false,
    })
}

/// `POST messages`: Required mode lets only sessions verified under the current secret write.
pub async fn post_visitor_message(
    state: &AppState,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<MessagePosted, ApiError> {
    let body = MessageBody::parse_value(raw.get("body"))?;
    let verified_under = ctx
        .verified_secret_version
        .filter(|_| ctx.contact_id.is_some());
    let current = (ctx.secret_version > 0).then_some(ctx.secret_version);
    if let Err(refusal) = may_send(ctx.plan, ctx.mode, verified_under, current) {
        if refusal == SendRefusal::SignatureExpired {
            record(
                state,
                IdentifyEvent {
                    workspace_id: ctx.workspace_id,
                    at: now_ms(),
                    user_id: None,
                    result: "rejected",
                    code: Some(refusal.code()),
                    hint: None,
                },
            )
            .await?;
        }
        return Err(refusal.into());
    }
    let (conversation_id, now) = (ctx.conversation_id, now_ms());
    let row = state
        .store
        .write(move |c| {
            messages::insert(
                c,
                conversation_id,
                Author::Visitor,
                None,
                body.as_ref(),
                now,
            )
        })
        .await?;
    state.hub.publish(&row);
    Ok(MessagePosted {
        id: row.id,
        created_at: rfc3339(row.created_at),
    })
}

/// `POST visitor`: what an anonymous visitor typed into the contact form, kept on the
/// conversation as unverified details. Never creates or changes a contact.
pub async fn visitor_details(
    state: &AppState,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<(), ApiError> {
    let details = replybubble_core::user::VisitorDetails::parse(raw)?;
    let conversation_id = ctx.conversation_id;
    state
        .store
        .write(move |c| {
            let name = details.name.as_ref().map(AsRef::as_ref);
            let email = details.email.as_ref().map(AsRef::as_ref);
            conversations::set_visitor_details(c, conversation_id, name, email)
        })
        .await?;
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
        .read(move |c| sessions::is_live(c, session_id))
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
            messages::insert(
                c,
                conversation_id,
                Author::Agent,
                agent_id,
                body.as_ref(),
                now,
            )
        })
        .await?;
    state.hub.publish(&row);
    Ok(row)
}
