//! The HTTP JSON types of the widget API (DESIGN.md "HTTP API"). Bodies are snake_case.
//! Changing a type here changes the public protocol.

use serde::{Deserialize, Serialize};

use crate::decision::{Hint, Mode, Plan, Reason};

/// `POST /api/v1/widget/session` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRequest {
    /// The workspace's public app id.
    pub app_id: String,
    /// The browser's language (`navigator.language`), for a workspace whose locale is `auto`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub locale: Option<String>,
}

/// A visitor session: the answer of `session` and `reset`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionResponse {
    /// The bearer token of this session; shown once, stored by the server only as a hash.
    pub visitor_token: String,
    /// The session's open conversation.
    pub conversation_id: i64,
    /// `Visitor #xxxxx`.
    pub visitor_label: String,
    /// The workspace's verification mode.
    pub mode: Mode,
    /// The workspace's plan.
    pub plan: Plan,
    /// True when the session carries a verified identity (a reloaded page restores it).
    #[serde(default)]
    pub verified: bool,
    /// The workspace's widget appearance, its strings in the visitor's language (`session`
    /// only; `reset` keeps the one the widget has).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub appearance: Option<crate::appearance::WireAppearance>,
}

/// `POST /api/v1/widget/page` request: the page the visitor is on (answered 204).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageRequest {
    /// The page's address, without query and fragment.
    pub url: String,
    /// The document's title.
    pub title: String,
}

/// `GET /api/v1/widget/status?app_id=`: whether someone can answer now (DESIGN.md "Agents'
/// day").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetStatus {
    /// Inside business hours with at least one agent online.
    pub online: bool,
    /// When the business hours next open (RFC 3339), when they are closed now.
    pub next_open: Option<String>,
    /// The workspace hides the launcher while offline (`--hide-when-offline`).
    pub hide: bool,
}

/// A verified contact as the widget sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The user id in the site owner's system.
    pub id: String,
    /// Email, as the site sent it.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// The fields an unverified identify offers to prefill the contact form with.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Prefill {
    /// Email.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// `status` of a successful identify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentifyStatus {
    /// Mode Off.
    Disabled,
    /// Valid signature: linked to a verified contact.
    Verified,
    /// Optional mode, missing or invalid signature: prefill only.
    Unverified,
}

/// `POST /api/v1/widget/identify` success body (200).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentifyResponse {
    /// disabled, verified or unverified.
    pub status: IdentifyStatus,
    /// Present unless disabled.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub verified: Option<bool>,
    /// The verified contact.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contact: Option<Contact>,
    /// The conversation now linked to the contact.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub conversation_id: Option<i64>,
    /// Set only when a new session was started (the session was bound to another user): the
    /// widget switches to it whatever the outcome.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub visitor_token: Option<String>,
    /// Why it is unverified.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<Reason>,
    /// The likely mistake, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hint: Option<Hint>,
    /// What the contact form may be prefilled with.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prefill: Option<Prefill>,
}

/// `POST /api/v1/widget/messages` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostMessage {
    /// 1..=5000 characters.
    pub body: String,
}

/// `POST /api/v1/widget/messages` answer (201).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePosted {
    /// The message id.
    pub id: i64,
    /// Its position in its conversation (1, 2, 3 …): `GET messages?after=` and the event
    /// stream's `id:` count in it.
    pub seq: i64,
    /// RFC 3339 UTC time.
    pub created_at: String,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    /// The visitor, through the widget.
    Visitor,
    /// An agent, through the dashboard.
    Agent,
}

impl Author {
    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Agent => "agent",
        }
    }
}

impl std::str::FromStr for Author {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "visitor" => Ok(Author::Visitor),
            "agent" => Ok(Author::Agent),
            _ => Err(()),
        }
    }
}

/// One message as the widget sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The message id (unique across conversations).
    pub id: i64,
    /// Its position in its conversation (1, 2, 3 …): `GET messages?after=SEQ` and the event
    /// stream's `id:` count in it, so a reader never skips a message that committed late.
    pub seq: i64,
    /// visitor or agent.
    pub author: Author,
    /// The text, to be shown as text.
    pub body: String,
    /// RFC 3339 UTC time.
    pub created_at: String,
}

/// `GET /api/v1/widget/messages` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePage {
    /// Oldest first.
    pub messages: Vec<Message>,
}

/// `POST /api/v1/widget/events/ticket` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsTicket {
    /// Opens one event stream of this session.
    pub ticket: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// The error body of every failed call: `{ "error": { ... } }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
    /// Set when the call also ended the caller's session and started a fresh anonymous one
    /// (the claim rule: an identify for another user on a bound session, whatever its outcome).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub visitor_token: Option<String>,
    /// The new session's conversation, with `visitor_token`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub conversation_id: Option<i64>,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable code (`invalid_field`, `signature_invalid`, ...).
    pub code: String,
    /// A sentence saying what to fix.
    pub message: String,
    /// The field, for field errors.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
    /// The likely mistake of a `signature_invalid`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hint: Option<Hint>,
}

/// The JSON field names of the types above, for a client that reads and writes JSON without
/// serde (the widget, which leaves JSON to the browser to stay small). `tests` below fails when
/// a name here and the serde name of its field disagree, so widget and server cannot drift.
pub mod keys {
    /// `SessionRequest::app_id`.
    pub const APP_ID: &str = "app_id";
    /// `SessionResponse::visitor_token`, `IdentifyResponse::visitor_token`,
    /// `ErrorBody::visitor_token`.
    pub const VISITOR_TOKEN: &str = "visitor_token";
    /// The conversation of a session or an identify answer, or of an error body's new session.
    pub const CONVERSATION_ID: &str = "conversation_id";
    /// `SessionResponse::mode`.
    pub const MODE: &str = "mode";
    /// `SessionResponse::verified`, `IdentifyResponse::verified`.
    pub const VERIFIED: &str = "verified";
    /// `IdentifyResponse::contact`.
    pub const CONTACT: &str = "contact";
    /// `IdentifyResponse::prefill`.
    pub const PREFILL: &str = "prefill";
    /// `Contact::name`, `Prefill::name`.
    pub const NAME: &str = "name";
    /// `Contact::email`, `Prefill::email`.
    pub const EMAIL: &str = "email";
    /// `PostMessage::body`, `Message::body`.
    pub const BODY: &str = "body";
    /// `Message::id`, `MessagePosted::id`.
    pub const ID: &str = "id";
    /// `Message::seq`, `MessagePosted::seq`.
    pub const SEQ: &str = "seq";
    /// `Message::created_at`, `MessagePosted::created_at`.
    pub const CREATED_AT: &str = "created_at";
    /// `Message::author`.
    pub const AUTHOR: &str = "author";
    /// `MessagePage::messages`.
    pub const MESSAGES: &str = "messages";
    /// `EventsTicket::ticket`.
    pub const TICKET: &str = "ticket";
    /// `ErrorBody::error`.
    pub const ERROR: &str = "error";
    /// `ErrorDetail::code`.
    pub const CODE: &str = "code";
    /// `ErrorDetail::message`.
    pub const MESSAGE: &str = "message";
    /// `ErrorDetail::field`.
    pub const FIELD: &str = "field";
    /// `ErrorDetail::hint`.
    pub const HINT: &str = "hint";
    /// `SessionRequest::locale`.
    pub const LOCALE: &str = "locale";
    /// `SessionResponse::appearance`.
    pub const APPEARANCE: &str = "appearance";
    /// `WireAppearance::color`.
    pub const COLOR: &str = "color";
    /// `WireAppearance::on_color`.
    pub const ON_COLOR: &str = "on_color";
    /// `WireAppearance::position`.
    pub const POSITION: &str = "position";
    /// `WireAppearance::offset_x`.
    pub const OFFSET_X: &str = "offset_x";
    /// `WireAppearance::offset_y`.
    pub const OFFSET_Y: &str = "offset_y";
    /// `WireAppearance::z_index`.
    pub const Z_INDEX: &str = "z_index";
    /// `WireAppearance::strings`.
    pub const STRINGS: &str = "strings";
    /// `PageRequest::url`.
    pub const URL: &str = "url";
    /// `PageRequest::title`.
    pub const TITLE: &str = "title";
    /// `WidgetStatus::online`.
    pub const ONLINE: &str = "online";
    /// `WidgetStatus::next_open`.
    pub const NEXT_OPEN: &str = "next_open";
    /// `WidgetStatus::hide`.
    pub const HIDE: &str = "hide";
}

#[cfg(test)]
mod tests {
    use super::keys::*;
    use super::*;
    use serde_json::{json, Value as Json};

    fn has(v: &Json, keys: &[&str]) {
        for k in keys {
            assert!(v.get(k).is_some(), "{k} is not a field of {v}");
        }
    }

    #[test]
    fn the_keys_the_widget_uses_are_the_fields_the_server_writes() {
        let s = |x: &str| Some(x.to_owned());
        has(
            &json!(SessionRequest {
                app_id: "a".into(),
                locale: s("de-DE"),
            }),
            &[APP_ID, LOCALE],
        );
        has(
            &json!(PageRequest {
                url: "https://a.b/".into(),
                title: "T".into(),
            }),
            &[URL, TITLE],
        );
        has(
            &json!(WidgetStatus {
                online: false,
                next_open: s("2026-11-30T08:00:00.000Z"),
                hide: true,
            }),
            &[ONLINE, NEXT_OPEN, HIDE],
        );
        let appearance = json!(crate::appearance::Appearance::default().for_visitor(None));
        has(
            &appearance,
            &[
                COLOR, ON_COLOR, POSITION, OFFSET_X, OFFSET_Y, Z_INDEX, LOCALE, STRINGS,
            ],
        );
        has(&json!(PostMessage { body: "b".into() }), &[BODY]);
        has(
            &json!(SessionResponse {
                visitor_token: "t".into(),
                conversation_id: 1,
                visitor_label: "Visitor #abcde".into(),
                mode: Mode::Optional,
                plan: Plan::Pro,
                verified: true,
                appearance: Some(crate::appearance::Appearance::default().for_visitor(None)),
            }),
            &[VISITOR_TOKEN, CONVERSATION_ID, MODE, VERIFIED, APPEARANCE],
        );
        let contact = Contact {
            id: "u".into(),
            email: s("e@x.io"),
            name: s("N"),
            company: None,
            phone: None,
        };
        let prefill = Prefill {
            email: s("e@x.io"),
            name: s("N"),
            ..Prefill::default()
        };
        has(&json!(contact), &[ID, NAME, EMAIL]);
        has(&json!(prefill), &[NAME, EMAIL]);
        has(
            &json!(IdentifyResponse {
                status: IdentifyStatus::Verified,
                verified: Some(true),
                contact: Some(contact),
                conversation_id: Some(1),
                visitor_token: s("t"),
                reason: None,
                hint: None,
                prefill: Some(prefill),
            }),
            &[VERIFIED, CONTACT, CONVERSATION_ID, VISITOR_TOKEN, PREFILL],
        );
        has(
            &json!(MessagePosted {
                id: 1,
                seq: 1,
                created_at: "2026-01-01T00:00:00.000Z".into(),
            }),
            &[ID, SEQ, CREATED_AT],
        );
        let page = json!(MessagePage {
            messages: vec![Message {
                id: 1,
                seq: 1,
                author: Author::Agent,
                body: "hi".into(),
                created_at: "2026-01-01T00:00:00.000Z".into(),
            }],
        });
        has(&page, &[MESSAGES]);
        has(&page[MESSAGES][0], &[ID, SEQ, AUTHOR, BODY, CREATED_AT]);
        has(
            &json!(EventsTicket {
                ticket: "t".into(),
                expires_in: 60,
            }),
            &[TICKET],
        );
        let error = json!(ErrorBody {
            error: ErrorDetail {
                code: "c".into(),
                message: "m".into(),
                field: s("f"),
                hint: Some(Hint::SignedEmail),
            },
            visitor_token: s("t"),
            conversation_id: Some(2),
        });
        has(&error, &[ERROR, VISITOR_TOKEN, CONVERSATION_ID]);
        has(&error[ERROR], &[CODE, MESSAGE, FIELD, HINT]);
    }
}
