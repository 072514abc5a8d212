//! What visitors do through the widget: sessions and their expiry, identify (the core decision,
//! the claim rule, the activity record), reset, messages, the contact form, stream tickets, and
//! the sweep of ended sessions.

use std::time::Duration;

use replybubble_core::decision::{may_send, SendRefusal};
use replybubble_core::identify::{decide, CurrentSecret, IdentifyResult, Outcome};
use replybubble_core::limits::{ID_MAX, MESSAGES_PAGE};
use replybubble_core::wire::{
    self, EventsTicket, IdentifyResponse, IdentifyStatus, MessagePage, MessagePosted, Prefill,
    SessionResponse,
};
use replybubble_core::{FieldError, IdentifyUser, MessageBody, Problem, Value};

use super::{ServiceError, Services};
use crate::crypto;
use crate::hub::{StreamOwner, StreamTarget};
use crate::policy::{EVENTS_TICKET_TTL_SECS, VISITOR_SESSION_TOUCH_MINUTES};
use crate::store::{FreshSession, IdentifyEvent, IdentifyWrite, MessageRow, SessionCtx, Swept};

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

/// Deletes ended sessions and the conversations that never started (run on a timer).
pub async fn sweep(s: &Services) -> Result<Swept, ServiceError> {
    Ok(s.store.sweep(s.clock.now_ms()).await?)
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
    })
}

async fn record(s: &Services, event: IdentifyEvent) -> Result<(), ServiceError> {
    s.store.record_event(event).await?;
    Ok(())
}

/// A new visitor token and what the store keeps of it.
fn fresh_session() -> (String, FreshSession) {
    let token = crypto::new_token("rbv");
    let fresh = FreshSession {
        token_hash: crypto::token_hash(&token),
        visitor_label: crypto::new_visitor_label(),
    };
    (token, fresh)
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
    s: &Services,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<IdentifyResponse, ServiceError> {
    let now = s.clock.now_ms();
    let sent_id: Option<String> = match raw.get("id") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let parsed = IdentifyUser::parse(raw).map(|p| p.user);
    let outcome = parsed.as_ref().ok().map(|user| {
        let secret = ctx.secret.as_ref().map(|s| CurrentSecret {
            value: &s.value,
            version: s.version,
        });
        decide(ctx.plan, ctx.mode, secret, user)
    });
    let event = IdentifyEvent {
        workspace_id: ctx.workspace_id,
        at: now,
        user_id: sent_id.as_ref().map(|s| s.chars().take(ID_MAX).collect()),
        result: outcome.map_or(IdentifyResult::Invalid, |o| o.result()),
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
    let (token, fresh) = fresh_session();
    let applied = s
        .store
        .identify(IdentifyWrite {
            session_id,
            sent_id,
            verified: verified_user,
            fresh,
            event,
            now,
        })
        .await?;
    if applied.switched.is_some() {
        s.hub.close(StreamOwner::Visitor(session_id));
    }
    let switched = applied.switched.map(|n| (token, n.conversation_id));
    // Every answer, success or error, carries the new session when there is one.
    let in_new_session = |error: ServiceError| match &switched {
        Some((token, conversation_id)) => ServiceError::InNewSession {
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
        Outcome::Rejected { reason, hint } => {
            Err(in_new_session(ServiceError::SignatureRejected {
                reason,
                hint,
            }))
        }
    }
}

/// `POST reset`: revokes this session now and starts a fresh anonymous one.
pub async fn reset(s: &Services, ctx: &SessionCtx) -> Result<SessionResponse, ServiceError> {
    let (session_id, now) = (ctx.session_id, s.clock.now_ms());
    let (token, fresh) = fresh_session();
    let new = s.store.replace_session(session_id, fresh, now).await?;
    s.hub.close(StreamOwner::Visitor(session_id));
    Ok(SessionResponse {
        visitor_token: token,
        conversation_id: new.conversation_id,
        visitor_label: new.visitor_label,
        mode: ctx.mode,
        plan: ctx.plan,
        verified: false,
    })
}

/// 403 unless this session may write in its workspace's mode: Required mode lets only sessions
/// verified under the current secret send messages or contact-form details. A session verified
/// under an older secret is recorded as a `signature_expired` rejection on the panel.
async fn check_may_send(s: &Services, ctx: &SessionCtx) -> Result<(), ServiceError> {
    match may_send(
        ctx.plan,
        ctx.mode,
        ctx.verified_under(),
        ctx.current_version(),
    ) {
        Ok(()) => Ok(()),
        Err(refusal) => {
            if refusal == SendRefusal::SignatureExpired {
                record(
                    s,
                    IdentifyEvent {
                        workspace_id: ctx.workspace_id,
                        at: s.clock.now_ms(),
                        user_id: ctx.bound_user_id.clone(),
                        result: IdentifyResult::Rejected,
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
    s: &Services,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<MessagePosted, ServiceError> {
    let body = MessageBody::parse_value(raw.get("body"))?;
    check_may_send(s, ctx).await?;
    let (session_id, now) = (ctx.session_id, s.clock.now_ms());
    let row = s
        .store
        .insert_visitor_message(session_id, body.as_ref().to_owned(), now)
        .await?;
    s.hub.publish(&row);
    Ok(MessagePosted {
        id: row.id,
        created_at: rfc3339(row.created_at),
    })
}

/// `POST visitor`: what an anonymous visitor typed into the contact form, kept on the
/// conversation as unverified details. Never creates or changes a contact; refused in Required
/// mode like a message.
pub async fn visitor_details(
    s: &Services,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<(), ServiceError> {
    let details = replybubble_core::user::VisitorDetails::parse(raw)?;
    check_may_send(s, ctx).await?;
    let (session_id, now) = (ctx.session_id, s.clock.now_ms());
    let text = |v: Option<&str>| v.map(str::to_owned);
    s.store
        .set_visitor_details(
            session_id,
            text(details.name.as_ref().map(AsRef::as_ref)),
            text(details.email.as_ref().map(AsRef::as_ref)),
            now,
        )
        .await?;
    Ok(())
}

/// `GET messages?after=ID`: the next page of the session's conversation, oldest first.
pub async fn messages_after(
    s: &Services,
    ctx: &SessionCtx,
    after: i64,
) -> Result<MessagePage, ServiceError> {
    let rows = s
        .store
        .messages_after(ctx.conversation_id, after, MESSAGES_PAGE)
        .await?;
    Ok(MessagePage {
        messages: rows.iter().map(wire_message).collect(),
    })
}

/// `POST events/ticket`: a single-use ticket that opens this session's stream within 60 s.
pub fn events_ticket(s: &Services, ctx: &SessionCtx) -> EventsTicket {
    let ticket = crypto::new_token("rbt");
    s.hub.issue_ticket(
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
pub async fn redeem_ticket(s: &Services, ticket: &str) -> Result<StreamTarget, ServiceError> {
    let target = s
        .hub
        .redeem_ticket(&crypto::token_hash(ticket))
        .ok_or(ServiceError::TicketInvalid)?;
    let (session_id, now) = (target.session_id, s.clock.now_ms());
    if !s.store.is_live(session_id, now).await? {
        return Err(ServiceError::SessionEnded);
    }
    Ok(target)
}
