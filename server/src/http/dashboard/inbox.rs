//! The live inbox (DESIGN.md "Agents' day"): every dashboard page follows the workspace's new
//! messages (`GET /dashboard/inbox/events`), so the conversation list moves without a reload, the
//! tab title carries how many conversations wait for a reply, and an agent who opted in hears a
//! sound or sees a browser notification on a new visitor message. Also: what an agent has read,
//! and their notification settings.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;

use replybubble_core::wire::Author;

use super::pages::row;
use super::{check_csrf, check_form_csrf, see_other, state, Agent};
use crate::http::error::PageError;
use crate::service::Services;
use crate::store::{AgentCtx, MessageRow};

/// Whether a conversation has visitor messages the agent has not opened: it waits for a reply
/// and its last message is past what they read (an agent's own reply never makes it unread).
pub fn unread(conv: &crate::store::ConversationRow, read: i64) -> bool {
    conv.waiting && conv.last_seq > read
}

/// One change of the list: the conversation's row as the list shows it, and the count.
async fn change(
    s: &Services,
    agent: &AgentCtx,
    m: &MessageRow,
) -> Result<Option<String>, PageError> {
    let Some(conv) = s
        .store
        .conversation(agent.workspace_id, m.conversation_id)
        .await?
    else {
        // Another workspace's conversation (the hub hears them all): not this agent's.
        return Ok(None);
    };
    let read = s
        .store
        .read_positions(agent.agent_id, vec![conv.id])
        .await?
        .first()
        .map_or(0, |r| r.1);
    let count = s.store.waiting_count(agent.workspace_id).await?;
    let r = row(&conv);
    let event = serde_json::json!({
        "id": r.id,
        "title": r.title,
        "subtitle": r.subtitle,
        "verified": r.verified,
        "preview": r.preview,
        "when": r.when,
        "iso": r.iso,
        "closed": r.closed,
        "user_id": r.user_id,
        "unsigned": r.unsigned,
        "email_shared": r.email_shared,
        "last_unverified": r.last_unverified,
        "waiting": conv.waiting,
        "unread": unread(&conv, read),
        "visitor": m.author == Author::Visitor,
        "seq": m.seq,
        "count": count,
    });
    Ok(Some(event.to_string()))
}

/// `GET /dashboard/inbox/events`: the workspace's conversation changes, live. The stream is the
/// dashboard session's: it ends at logout, like the conversation view's.
pub async fn events(req: HttpRequest, Agent(agent): Agent) -> Result<HttpResponse, PageError> {
    let state = state(&req);
    let services = state.services.clone();
    let owner = crate::hub::StreamOwner::Agent(agent.session_id);
    let rx = state.services.hub.subscribe_inbox(owner);
    let messages =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    let changes = messages
        .then(move |m| {
            let (services, agent) = (services.clone(), agent.clone());
            async move {
                match change(&services, &agent, &m).await {
                    Ok(Some(data)) => Some(("conversation", data)),
                    Ok(None) => None,
                    Err(e) => {
                        tracing::warn!(error = %e, "an inbox change could not be read");
                        None
                    }
                }
            }
        })
        .filter_map(|c| async move { c })
        .boxed();
    Ok(crate::http::sse::respond_json(changes))
}

#[derive(Deserialize)]
pub struct ReadForm {
    csrf: String,
    seq: i64,
}

/// `POST /dashboard/conversations/{id}/read`: the open conversation view saw up to `seq`.
pub async fn read(
    req: HttpRequest,
    Agent(agent): Agent,
    id: web::Path<i64>,
    form: web::Form<ReadForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&agent, &form.csrf)?;
    let state = state(&req);
    let id = id.into_inner();
    if state
        .services
        .store
        .conversation(agent.workspace_id, id)
        .await?
        .is_none()
    {
        return Err(PageError::NotFound("conversation"));
    }
    state
        .services
        .store
        .mark_read(agent.agent_id, id, form.seq.max(0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /dashboard/notifications`: this agent's opt-in sound and browser notification.
pub async fn notifications(
    req: HttpRequest,
    Agent(agent): Agent,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    check_form_csrf(&agent, &form)?;
    let on = |k: &str| form.get(k).is_some_and(|v| v == "on");
    state(&req)
        .services
        .store
        .set_notifications(agent.agent_id, on("sound"), on("browser"))
        .await?;
    Ok(see_other("/dashboard/conversations"))
}
