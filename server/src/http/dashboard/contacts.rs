//! Contacts: the list (keyset-paged) and one contact with its conversations, and the contact card
//! the conversation view shows too.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::pages::{contact_title, cursor, row, ListQuery, Row};
use super::{check_csrf, or_dash, render, see_other, state, when, Agent, Nav};
use crate::http::error::PageError;
use crate::service::privacy;
use crate::store::ContactRow;

pub struct ContactCard {
    pub id: i64,
    pub title: String,
    pub user_id: String,
    pub email: String,
    pub company: String,
    pub phone: String,
    pub traits: Vec<(String, String)>,
}

pub(super) fn card(c: &ContactRow) -> ContactCard {
    let traits = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&c.traits)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string()),
            )
        })
        .collect();
    ContactCard {
        id: c.id,
        title: contact_title(c),
        user_id: c.user_id.clone(),
        email: or_dash(&c.email),
        company: or_dash(&c.company),
        phone: or_dash(&c.phone),
        traits,
    }
}

pub struct ContactItem {
    pub id: i64,
    pub title: String,
    pub email: String,
    pub company: String,
    pub user_id: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "dashboard/contacts.html")]
struct Contacts {
    nav: Nav,
    rows: Vec<ContactItem>,
    next_href: Option<String>,
}

pub async fn contacts(
    req: HttpRequest,
    Agent(agent): Agent,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let state = state(&req);
    let before = cursor(q.before.as_deref())?;
    let ws = agent.workspace_id;
    let (rows, more) = state.services.store.contacts(ws, before).await?;
    let next_href = more.then(|| {
        let (c, at) = rows.last().expect("a full page has a last row");
        format!("/dashboard/contacts?before={at}.{}", c.id)
    });
    render(&Contacts {
        nav: Nav::new(&agent, "contacts"),
        rows: rows
            .iter()
            .map(|(c, at)| ContactItem {
                id: c.id,
                title: contact_title(c),
                email: or_dash(&c.email),
                company: or_dash(&c.company),
                user_id: c.user_id.clone(),
                when: when(*at).0,
            })
            .collect(),
        next_href,
    })
}

#[derive(Template)]
#[template(path = "dashboard/contact.html")]
struct ContactPage {
    nav: Nav,
    c: ContactCard,
    conversations: Vec<Row>,
}

pub async fn contact(
    req: HttpRequest,
    Agent(agent): Agent,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let state = state(&req);
    let (ws, id) = (agent.workspace_id, id.into_inner());
    let store = &state.services.store;
    let c = store
        .contact(ws, id)
        .await?
        .ok_or(PageError::NotFound("contact"))?;
    let convs = store.contact_conversations(ws, id).await?;
    render(&ContactPage {
        nav: Nav::new(&agent, "contacts"),
        c: card(&c),
        conversations: convs.iter().map(row).collect(),
    })
}

/// The contact of a dashboard URL, for its owner: (contact's user id).
async fn owned_contact(
    req: &HttpRequest,
    agent: &crate::store::AgentCtx,
    id: i64,
) -> Result<String, PageError> {
    if !agent.is_owner() {
        return Err(PageError::OwnersOnly);
    }
    let c = state(req)
        .services
        .store
        .contact(agent.workspace_id, id)
        .await?
        .ok_or(PageError::NotFound("contact"))?;
    Ok(c.user_id)
}

#[derive(Deserialize)]
pub struct ExportForm {
    csrf: String,
}

/// Owners: everything kept about a contact, downloaded as one JSON document (a data-subject
/// access request).
pub async fn export(
    req: HttpRequest,
    Agent(agent): Agent,
    id: web::Path<i64>,
    form: web::Form<ExportForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&agent, &form.csrf)?;
    let user_id = owned_contact(&req, &agent, id.into_inner()).await?;
    let doc = privacy::export(&state(&req).services, &agent.app_id, &user_id).await?;
    tracing::info!("contact exported");
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"contact-export.json\"",
        ))
        .body(serde_json::to_string_pretty(&doc).map_err(PageError::internal)?))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: String,
    confirm: Option<String>,
}

/// Owners: deletes a contact with its conversations, messages, sessions and identify calls
/// (a data-subject erasure request), then back to the list.
pub async fn delete(
    req: HttpRequest,
    Agent(agent): Agent,
    id: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&agent, &form.csrf)?;
    if form.confirm.as_deref() != Some("yes") {
        return Err(PageError::BadRequest(
            "tick \"I understand this cannot be undone\" to delete".into(),
        ));
    }
    let user_id = owned_contact(&req, &agent, id.into_inner()).await?;
    privacy::delete(&state(&req).services, &agent.app_id, &user_id).await?;
    tracing::info!("contact deleted");
    Ok(see_other("/dashboard/contacts"))
}
