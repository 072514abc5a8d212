//! What a visitor writes and reads: messages (with the Required rule), the contact form, the
//! message pages, and the tickets that open a live stream.

use std::time::Duration;

use replybubble_core::decision::{may_send, SendRefusal};
use replybubble_core::identify::IdentifyResult;
use replybubble_core::limits::MESSAGES_PAGE;
use replybubble_core::wire::{self, EventsTicket, MessagePage, MessagePosted};
use replybubble_core::{MessageBody, Value};

use super::{ServiceError, Services};
use crate::crypto;
use crate::policy::EVENTS_TICKET_TTL_SECS;
use crate::store::StreamTarget;
use crate::store::{IdentifyEvent, MessageRow, SessionCtx};

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

/// A message on the wire.
pub fn wire_message(m: &MessageRow) -> wire::Message {
    wire::Message {
        id: m.id,
        seq: m.seq,
        author: m.author,
        body: m.body.clone(),
        created_at: rfc3339(m.created_at),
    }
}

async fn record(s: &Services, event: IdentifyEvent) -> Result<(), ServiceError> {
    s.store.record_event(event).await?;
    Ok(())
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
    s.publish(&row);
    Ok(MessagePosted {
        id: row.id,
        seq: row.seq,
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

/// `POST page`: the page the visitor is on, shown to agents in the conversation (a session that
/// ended is a 401, as for every visitor call).
pub async fn record_page(s: &Services, ctx: &SessionCtx, raw: &Value) -> Result<(), ServiceError> {
    let page = replybubble_core::page::Page::parse(raw)?;
    s.store
        .set_page(ctx.session_id, page.url, page.title, s.clock.now_ms())
        .await?;
    Ok(())
}

/// `GET messages?after=SEQ`: the next page of the session's conversation, oldest first.
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

/// `POST events/ticket`: a single-use ticket that opens this session's stream within 60 s. It
/// is kept in the database, so any server of it may redeem it.
pub async fn events_ticket(s: &Services, ctx: &SessionCtx) -> Result<EventsTicket, ServiceError> {
    let ticket = crypto::new_token("rbt");
    let expires_at = s.clock.now_ms() + EVENTS_TICKET_TTL_SECS as i64 * 1000;
    s.store
        .issue_ticket(crypto::token_hash(&ticket), ctx.session_id, expires_at)
        .await?;
    Ok(EventsTicket {
        ticket,
        expires_in: EVENTS_TICKET_TTL_SECS,
    })
}

/// Redeems a ticket for a live session's stream target.
pub async fn redeem_ticket(s: &Services, ticket: &str) -> Result<StreamTarget, ServiceError> {
    let now = s.clock.now_ms();
    let target = s
        .store
        .redeem_ticket(crypto::token_hash(ticket), now)
        .await?
        .ok_or(ServiceError::TicketInvalid)?;
    let session_id = target.session_id;
    if !s.store.is_live(session_id, now).await? {
        return Err(ServiceError::SessionEnded);
    }
    Ok(target)
}
