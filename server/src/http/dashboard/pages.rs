//! Home and conversations (list, view, reply, close/reopen, live events).

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::contacts::{card, ContactCard};
use super::{check_csrf, percent, render, see_other, snippet, state, when, Agent, Nav, DAY_MS};
use crate::http::error::PageError;
use crate::policy as limits;
use crate::store::{now_ms, ContactRow, ConversationRow, ConversationStatus, HomeStats};

/// "66.7%" with "(2 of 3 conversations …)", or "—" when there are none.
pub fn identified_rate(stats: &HomeStats) -> (String, String) {
    let (identified, total) = (stats.identified_30d, stats.conversations_30d);
    if total == 0 {
        return ("—".into(), "No conversations in the last 30 days.".into());
    }
    let rate = percent(identified, total);
    let detail = format!(
        "{identified} of {total} conversations in the last 30 days came from verified users."
    );
    (rate, detail)
}

#[derive(Template)]
#[template(path = "dashboard/home.html")]
struct Home {
    nav: Nav,
    stats: HomeStats,
    rate: String,
    rate_detail: String,
    snippet: String,
}

pub async fn home(req: HttpRequest, Agent(agent): Agent) -> Result<HttpResponse, PageError> {
    let state = state(&req);
    let ws = agent.workspace_id;
    let since = now_ms() - crate::policy::IDENTIFIED_RATE_DAYS * DAY_MS;
    let stats = state.services.store.home(ws, since).await?;
    let (rate, rate_detail) = identified_rate(&stats);
    render(&Home {
        snippet: snippet(&state, &agent.app_id),
        nav: Nav::new(&agent, "home"),
        stats,
        rate,
        rate_detail,
    })
}

/// A conversation as the list shows it.
pub struct Row {
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub verified: bool,
    pub preview: String,
    pub when: String,
    pub iso: String,
    pub closed: bool,
    /// Its last message is the visitor's.
    pub waiting: bool,
    /// Has messages this agent has not opened (set by the list page).
    pub unread: bool,
    /// The user id the site's server signed (a verified conversation): shown with the badge.
    pub user_id: Option<String>,
    /// The title and subtitle show what the visitor's browser sent (name, email, company),
    /// not signed values.
    pub unsigned: bool,
    /// Another verified contact has the same email.
    pub email_shared: bool,
    /// The last message was sent without a verified session: marked, never under the badge.
    pub last_unverified: bool,
}

pub(super) fn contact_title(c: &ContactRow) -> String {
    c.name
        .clone()
        .or_else(|| c.email.clone())
        .unwrap_or_else(|| c.user_id.clone())
}

pub(super) fn row(r: &ConversationRow) -> Row {
    let (when, iso) = when(r.last_activity_at);
    let (title, subtitle) = match &r.contact {
        Some(c) => {
            let parts: Vec<&str> = [c.email.as_deref(), c.company.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            (contact_title(c), parts.join(" · "))
        }
        None => (r.visitor_label.clone(), "Anonymous visitor".into()),
    };
    Row {
        id: r.id,
        title,
        subtitle,
        verified: r.contact.is_some(),
        preview: r
            .last_message
            .clone()
            .unwrap_or_else(|| "No messages yet".into()),
        when,
        iso,
        closed: r.status == ConversationStatus::Closed,
        waiting: r.waiting && r.status == ConversationStatus::Open,
        unread: false,
        user_id: r.contact.as_ref().map(|c| c.user_id.clone()),
        unsigned: r
            .contact
            .as_ref()
            .is_some_and(|c| c.name.is_some() || c.email.is_some() || c.company.is_some()),
        email_shared: r.email_shared,
        last_unverified: r.last_unverified,
    }
}

/// Parses a `before=<ms>.<id>` cursor.
pub(super) fn cursor(s: Option<&str>) -> Result<Option<(i64, i64)>, PageError> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad =
        || PageError::BadRequest("before must be a page cursor from a \"next page\" link".into());
    let (a, b) = s.split_once('.').ok_or_else(bad)?;
    Ok(Some((
        a.parse().map_err(|_| bad())?,
        b.parse().map_err(|_| bad())?,
    )))
}

#[derive(Deserialize)]
pub struct ListQuery {
    identified: Option<String>,
    pub(super) before: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/conversations.html")]
struct Conversations {
    nav: Nav,
    rows: Vec<Row>,
    identified: bool,
    toggle_href: String,
    next_href: Option<String>,
    /// Open conversations waiting for a reply (the tab title's count).
    waiting: i64,
    /// An older page (`?before=`): new conversations are not added to it live.
    before_page: bool,
}

pub async fn conversations(
    req: HttpRequest,
    Agent(agent): Agent,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let state = state(&req);
    let identified = q.identified.as_deref() == Some("1");
    let before = cursor(q.before.as_deref())?;
    let ws = agent.workspace_id;
    let (rows, more) = state
        .services
        .store
        .conversations(ws, identified, before)
        .await?;
    let filter = if identified { "identified=1&" } else { "" };
    let next_href = more.then(|| {
        let last = rows.last().expect("a full page has a last row");
        format!(
            "/dashboard/conversations?{filter}before={}.{}",
            last.last_activity_at, last.id
        )
    });
    let read: HashMap<i64, i64> = state
        .services
        .store
        .read_positions(agent.agent_id, rows.iter().map(|r| r.id).collect())
        .await?
        .into_iter()
        .collect();
    let waiting = state.services.store.waiting_count(ws).await?;
    render(&Conversations {
        nav: Nav::new(&agent, "conversations"),
        waiting,
        before_page: before.is_some(),
        rows: rows
            .iter()
            .map(|r| Row {
                unread: super::inbox::unread(r, read.get(&r.id).copied().unwrap_or(0)),
                ..row(r)
            })
            .collect(),
        identified,
        toggle_href: if identified {
            "/dashboard/conversations".into()
        } else {
            "/dashboard/conversations?identified=1".into()
        },
        next_href,
    })
}

/// A message as the conversation view shows it.
pub struct MessageView {
    pub id: i64,
    /// Its position in the conversation (the live stream and the pages count in it).
    pub seq: i64,
    pub author: &'static str,
    pub who: &'static str,
    /// A visitor message sent without verification inside a Verified conversation (before the
    /// visitor identified, or after the secret was regenerated).
    pub unverified: bool,
    pub body: String,
    pub when: String,
    pub iso: String,
}

/// A contact card.
#[derive(Template)]
#[template(path = "dashboard/conversation.html")]
struct ConversationPage {
    nav: Nav,
    id: i64,
    title: String,
    label: String,
    verified: bool,
    /// The signed user id, shown with the badge.
    user_id: Option<String>,
    /// Another verified contact has the same email.
    email_shared: bool,
    closed: bool,
    messages: Vec<MessageView>,
    last_seq: i64,
    /// `?before=` of the page of older messages, when there are some.
    older_href: Option<String>,
    /// Showing an older page: no live stream, a link back to the latest messages.
    older_page: bool,
    contact: Option<ContactCard>,
    others: Vec<Row>,
    visitor_details: Option<String>,
    /// The page the visitor was last on: (url, title or the url, when).
    page: Option<(String, String, String)>,
    /// The page the conversation started on, when it is another one.
    start_page: Option<String>,
}

#[derive(Deserialize)]
pub struct ConversationQuery {
    before: Option<String>,
}

/// The conversation view: the latest [`limits::DASHBOARD_PAGE`] messages, or with `?before=SEQ`
/// the ones before that position, and a link to older ones.
pub async fn conversation(
    req: HttpRequest,
    Agent(agent): Agent,
    id: web::Path<i64>,
    q: web::Query<ConversationQuery>,
) -> Result<HttpResponse, PageError> {
    let before = match q.before.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| {
            PageError::BadRequest(
                "before must be a message position (seq) from an \"older messages\" link".into(),
            )
        })?),
    };
    let state = state(&req);
    let (ws, id) = (agent.workspace_id, id.into_inner());
    let store = &state.services.store;
    let conv = store
        .conversation(ws, id)
        .await?
        .ok_or(PageError::NotFound("conversation"))?;
    let mut messages = store
        .messages_before(id, before.unwrap_or(i64::MAX), limits::DASHBOARD_PAGE + 1)
        .await?;
    let older = messages.len() > limits::DASHBOARD_PAGE;
    if older {
        messages.remove(0);
    }
    let older_href = older.then(|| {
        format!(
            "/dashboard/conversations/{id}?before={}",
            messages.first().map_or(0, |m| m.seq)
        )
    });
    // Opening the conversation reads it (the live view reports what arrives later).
    if before.is_none() {
        store.mark_read(agent.agent_id, id, conv.last_seq).await?;
    }
    let others = match &conv.contact {
        Some(k) => store.contact_conversations(ws, k.id).await?,
        None => Vec::new(),
    };
    let views: Vec<MessageView> = messages
        .iter()
        .map(|m| {
            let (when, iso) = when(m.created_at);
            let agent = m.author == replybubble_core::wire::Author::Agent;
            MessageView {
                id: m.id,
                seq: m.seq,
                author: if agent { "agent" } else { "visitor" },
                who: if agent { "Agent" } else { "Visitor" },
                unverified: !agent && !m.verified && conv.contact.is_some(),
                body: m.body.clone(),
                when,
                iso,
            }
        })
        .collect();
    let details: Vec<&str> = [conv.visitor_name.as_deref(), conv.visitor_email.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let listed = row(&conv);
    render(&ConversationPage {
        nav: Nav::new(&agent, "conversations"),
        id,
        title: listed.title,
        label: conv.visitor_label.clone(),
        verified: conv.contact.is_some(),
        user_id: listed.user_id,
        email_shared: listed.email_shared,
        closed: conv.status == ConversationStatus::Closed,
        last_seq: views.last().map(|m| m.seq).unwrap_or(0),
        older_href,
        older_page: before.is_some(),
        messages: views,
        contact: conv.contact.as_ref().map(card),
        others: others.iter().filter(|o| o.id != id).map(row).collect(),
        visitor_details: (!details.is_empty()).then(|| details.join(" · ")),
        page: conv.page.as_ref().map(|p| {
            let title = if p.title.is_empty() { &p.url } else { &p.title };
            (p.url.clone(), title.clone(), when(p.at).0)
        }),
        start_page: conv
            .start_page_url
            .clone()
            .filter(|s| conv.page.as_ref().is_none_or(|p| &p.url != s)),
    })
}

#[derive(Deserialize)]
pub struct ReplyForm {
    csrf: String,
    body: String,
}

/// An agent's reply: stored and sent live to the visitor's widget.
pub async fn reply(
    req: HttpRequest,
    Agent(agent): Agent,
    id: web::Path<i64>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&agent, &form.csrf)?;
    let state = state(&req);
    let id = id.into_inner();
    let row = crate::service::post_agent_reply(
        &state.services,
        agent.workspace_id,
        id,
        Some(agent.agent_id),
        &form.body,
    )
    .await?;
    // Answering is having read it.
    state
        .services
        .store
        .mark_read(agent.agent_id, id, row.seq)
        .await?;
    Ok(see_other(&format!("/dashboard/conversations/{id}")))
}

#[derive(Deserialize)]
pub struct StatusForm {
    csrf: String,
    status: String,
}

pub async fn set_status(
    req: HttpRequest,
    Agent(agent): Agent,
    id: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&agent, &form.csrf)?;
    let status: ConversationStatus = form.status.parse().map_err(PageError::BadRequest)?;
    let (ws, id) = (agent.workspace_id, id.into_inner());
    let found = state(&req)
        .services
        .store
        .set_conversation_status(ws, id, status)
        .await?;
    if !found {
        return Err(PageError::NotFound("conversation"));
    }
    Ok(see_other(&format!("/dashboard/conversations/{id}")))
}

/// The live stream of a conversation's new messages for the conversation view (same-origin,
/// authenticated by the session cookie, so nothing secret goes in the URL). When the browser
/// reconnects it sends `Last-Event-ID`, and what was missed is sent first.
pub async fn events(
    req: HttpRequest,
    Agent(agent): Agent,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let state = state(&req);
    let (ws, id) = (agent.workspace_id, id.into_inner());
    let exists = state.services.store.conversation(ws, id).await?.is_some();
    if !exists {
        return Err(PageError::NotFound("conversation"));
    }
    // The page asks for what came after its last rendered message (`?after=`); a reconnecting
    // browser sends `Last-Event-ID`. Either way nothing written in between is lost.
    #[derive(Deserialize)]
    struct After {
        after: Option<i64>,
    }
    let from_query = web::Query::<After>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.after);
    let from_header = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let last_seen = from_header.into_iter().chain(from_query).max();
    let floor = crate::service::stream_floor(&state.services, id, last_seen).await?;
    // Subscribe before reading the backlog, so nothing falls between the two. The stream is the
    // dashboard session's: it ends at logout (the hub closes it) or when the session expires.
    let owner = crate::hub::StreamOwner::Agent(agent.session_id);
    let rx = state.services.hub.subscribe(id, owner);
    let backlog = match last_seen {
        Some(after) => {
            state
                .services
                .store
                .messages_after(id, after, crate::policy::STREAM_BACKLOG)
                .await?
        }
        None => Vec::new(),
    };
    let until =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(agent.expires_at.max(0) as u64);
    let floor = floor.map(|f| backlog.last().map_or(f, |m| m.seq.max(f)));
    Ok(crate::http::sse::respond(
        crate::service::follow(&state.services, id, owner, floor, rx),
        backlog,
        crate::http::sse::Audience::Agent,
        Some(until),
    ))
}

/// A contact as the list shows it.
#[cfg(test)]
mod tests {
    use super::*;

    fn stats(identified: i64, total: i64) -> HomeStats {
        HomeStats {
            conversations_30d: total,
            identified_30d: identified,
            open: 0,
            contacts: 0,
        }
    }

    #[test]
    fn the_identified_rate_rounds_to_a_tenth_and_shows_a_dash_when_empty() {
        assert_eq!(identified_rate(&stats(0, 0)).0, "—");
        assert_eq!(identified_rate(&stats(2, 3)).0, "66.7%");
        assert_eq!(identified_rate(&stats(1, 3)).0, "33.3%");
        assert_eq!(identified_rate(&stats(3, 3)).0, "100.0%");
        assert_eq!(identified_rate(&stats(0, 7)).0, "0.0%");
        assert_eq!(identified_rate(&stats(1, 8)).0, "12.5%");
        assert!(identified_rate(&stats(2, 3)).1.contains("2 of 3"));
    }
}
