//! Data-subject requests and retention: export everything kept about a contact, delete it all,
//! and delete conversations idle longer than a workspace's retention.

use serde_json::{json, Value as Json};

use super::{rfc3339, ServiceError, Services};
use crate::store::{ContactExport, Deleted, Workspace};

/// Everything kept about the contact `user_id` of a workspace, as one JSON document: the
/// contact, its conversations with every message, and the identify calls made with its id.
pub async fn export(s: &Services, app_id: &str, user_id: &str) -> Result<Json, ServiceError> {
    let found = s
        .store
        .export_contact(app_id.to_owned(), user_id.to_owned())
        .await?
        .ok_or(ServiceError::NotFound("contact"))?;
    Ok(document(app_id, &found))
}

fn document(app_id: &str, e: &ContactExport) -> Json {
    let c = &e.contact;
    let traits: Json = serde_json::from_str(&c.traits).unwrap_or_else(|_| json!({}));
    json!({
        "app_id": app_id,
        "contact": {
            "user_id": c.user_id,
            "email": c.email,
            "name": c.name,
            "company": c.company,
            "phone": c.phone,
            "traits": traits,
        },
        "conversations": e.conversations.iter().map(|x| {
            let v = &x.conversation;
            json!({
                "id": v.id,
                "visitor_label": v.visitor_label,
                "status": v.status.as_str(),
                "last_activity_at": rfc3339(v.last_activity_at),
                "contact_form": { "name": v.visitor_name, "email": v.visitor_email },
                "messages": x.messages.iter().map(|m| json!({
                    "id": m.id,
                    "author": m.author,
                    "body": m.body,
                    "created_at": rfc3339(m.created_at),
                    "verified": m.verified,
                })).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "identify_events": e.events.iter().map(|ev| json!({
            "at": rfc3339(ev.at),
            "result": ev.result.as_str(),
            "code": ev.code,
            "hint": ev.hint,
        })).collect::<Vec<_>>(),
    })
}

/// Deletes the contact `user_id` with its conversations, messages, sessions (their live
/// streams end) and identify events. `NotFound` when nothing was kept about that id.
pub async fn delete(s: &Services, app_id: &str, user_id: &str) -> Result<Deleted, ServiceError> {
    let deleted = s
        .store
        .delete_contact(app_id.to_owned(), user_id.to_owned())
        .await?;
    for id in &deleted.session_ids {
        s.end_streams(crate::hub::StreamOwner::Visitor(*id));
    }
    if deleted.contacts == 0 && deleted.events == 0 {
        return Err(ServiceError::NotFound("contact"));
    }
    Ok(deleted)
}

/// Sets (None: removes) the retention of idle conversations, in days (at least 1).
pub async fn set_retention(
    s: &Services,
    app_id: &str,
    days: Option<u32>,
) -> Result<Workspace, ServiceError> {
    Ok(s.store.set_retention(app_id.to_owned(), days).await?)
}
