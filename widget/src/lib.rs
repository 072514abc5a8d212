//! replybubble-widget: `window.ReplyBubble`, compiled to wasm.
//!
//! The loader (`www/widget.js`) defines `window.ReplyBubble` at once, loads this module and
//! forwards calls to the exports below in order. Every export returns a `Promise`; failures
//! reject with an `Error` carrying `status`, `code`, `field` and `hint` ([`error`]). Payloads are
//! validated by `replybubble-core` before any request, so an over-limit field never reaches the
//! network.
#![deny(missing_docs)]

pub mod api;
pub mod error;
pub mod js;
pub mod storage;

use std::cell::RefCell;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use replybubble_core::IdentifyUser;

use crate::api::Client;
use crate::error::WidgetError;

/// The widget's state: one per page.
#[derive(Debug, Default)]
struct State {
    /// Set by `init`.
    app_id: Option<String>,
    /// The API base; defaults to where widget.js was loaded from.
    base: String,
    /// The current visitor session.
    session: Option<Session>,
}

#[derive(Debug, Clone)]
struct Session {
    token: String,
    conversation_id: JsValue,
    mode: JsValue,
    verified: bool,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

fn promise<F>(fut: F) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, WidgetError>> + 'static,
{
    future_to_promise(async move { fut.await.map_err(JsValue::from) })
}

/// Called by the loader with the directory widget.js came from, the default API base.
#[wasm_bindgen(js_name = setDefaultApiBase)]
pub fn set_default_api_base(base: &str) {
    with_state(|s| {
        if s.base.is_empty() {
            s.base = base.trim_end_matches('/').to_owned();
        }
    });
}

fn client() -> Result<(String, Client), WidgetError> {
    with_state(|s| {
        let app_id = s
            .app_id
            .clone()
            .ok_or_else(|| WidgetError::new(400, "not_initialized", ""))?;
        let token = s.session.as_ref().map(|x| x.token.clone());
        Ok((
            app_id,
            Client {
                base: s.base.clone(),
                token,
            },
        ))
    })
}

fn require_init(method: &str) -> Result<(String, Client), WidgetError> {
    client().map_err(|_| {
        let e = WidgetError::not_initialized(method);
        js::error(&e.message);
        e
    })
}

/// Adopts a session answer (`session`, `reset`, or an identify that switched users).
fn adopt_session(app_id: &str, body: &JsValue) {
    let Some(token) = js::get_str(body, "visitor_token") else {
        return;
    };
    storage::save(app_id, &token);
    with_state(|s| {
        let mode = js::get(body, "mode");
        let old_mode = s
            .session
            .as_ref()
            .map(|x| x.mode.clone())
            .unwrap_or(JsValue::UNDEFINED);
        s.session = Some(Session {
            token,
            conversation_id: js::get(body, "conversation_id"),
            mode: if mode.is_undefined() { old_mode } else { mode },
            verified: js::get(body, "verified").as_bool().unwrap_or(false),
        });
    });
}

fn ready_result() -> JsValue {
    let out = js::object();
    js::set(&out, "status", &JsValue::from_str("ready"));
    with_state(|s| {
        if let Some(x) = &s.session {
            js::set(&out, "mode", &x.mode);
            js::set(&out, "conversationId", &x.conversation_id);
        }
    });
    out
}

async fn open_session(app_id: &str, client: Client) -> Result<JsValue, WidgetError> {
    let body = js::object();
    js::set(&body, "app_id", &JsValue::from_str(app_id));
    let answer = match client.post("session", &body).await {
        // A stored token that the server no longer knows: start over without it.
        Err(e) if e.status == 401 && client.token.is_some() => {
            storage::forget(app_id);
            Client {
                token: None,
                ..client
            }
            .post("session", &body)
            .await?
        }
        other => other?,
    };
    adopt_session(app_id, &answer);
    Ok(answer)
}

/// `ReplyBubble.init({ appId, apiBase? })` → `{ status: "ready", mode, conversationId }`.
#[wasm_bindgen]
pub fn init(options: JsValue) -> Promise {
    promise(async move {
        let app_id = match js::get(&options, "appId") {
            v if v.is_string() && v.as_string().is_some_and(|s| !s.is_empty()) => v.as_string().unwrap_throw(),
            v if v.is_undefined() || v.is_null() => {
                return Err(WidgetError {
                    field: Some("appId".into()),
                    ..WidgetError::new(400, "invalid_field", "appId is required: init({ appId: \"app_...\" }) with the id from your dashboard")
                })
            }
            _ => {
                return Err(WidgetError {
                    field: Some("appId".into()),
                    ..WidgetError::new(400, "invalid_field", "appId must be a non-empty string")
                })
            }
        };
        let api_base = js::get(&options, "apiBase");
        if !(api_base.is_undefined() || api_base.is_null() || api_base.is_string()) {
            return Err(WidgetError {
                field: Some("apiBase".into()),
                ..WidgetError::new(400, "invalid_field", "apiBase must be a URL string")
            });
        }
        let existing = with_state(|s| s.app_id.clone());
        if let Some(existing) = existing {
            if existing == app_id {
                return Ok(ready_result());
            }
            return Err(WidgetError::new(
                409,
                "already_initialized",
                "init() was already called with another appId: one page runs one workspace's widget",
            ));
        }
        with_state(|s| {
            if let Some(b) = api_base.as_string() {
                s.base = b.trim_end_matches('/').to_owned();
            }
            s.app_id = Some(app_id.clone());
        });
        let client = Client {
            base: with_state(|s| s.base.clone()),
            token: storage::load(&app_id),
        };
        if let Err(e) = open_session(&app_id, client).await {
            with_state(|s| s.app_id = None);
            return Err(e);
        }
        Ok(ready_result())
    })
}

/// Validates a raw `identify()` argument with the core rules; warns about unknown fields.
pub fn validate_user(user: &JsValue) -> Result<IdentifyUser, WidgetError> {
    let parsed = IdentifyUser::parse(&js::to_value(user))?;
    for field in &parsed.unknown_fields {
        let mut m = String::from("ReplyBubble.identify(): unknown field \"");
        m.push_str(field);
        m.push_str("\" is ignored; put custom data in traits");
        js::warn(&m);
    }
    Ok(parsed.user)
}

/// `ReplyBubble.identify(user)`: see DESIGN.md's decision table.
#[wasm_bindgen]
pub fn identify(user: JsValue) -> Promise {
    promise(async move {
        validate_user(&user)?;
        let (app_id, client) = require_init("identify")?;
        let answer = client.post("identify", &user).await?;
        if js::get_str(&answer, "visitor_token").is_some() {
            adopt_session(&app_id, &answer);
        }
        let verified = js::get(&answer, "verified").as_bool().unwrap_or(false);
        with_state(|s| {
            if let Some(x) = s.session.as_mut() {
                x.verified = verified;
                let conv = js::get(&answer, "conversation_id");
                if !conv.is_undefined() {
                    x.conversation_id = conv;
                }
            }
        });
        let out = js::camel_keys(&answer);
        // The token is the widget's business, not the page's.
        let _ = js_sys::Reflect::delete_property(
            out.unchecked_ref::<js_sys::Object>(),
            &JsValue::from_str("visitorToken"),
        );
        Ok(out)
    })
}

/// `ReplyBubble.reset()` → `{ status: "reset", conversationId }`: forgets the identity and the
/// stored session (revoked on the server) and starts a fresh anonymous conversation.
#[wasm_bindgen]
pub fn reset() -> Promise {
    promise(async move {
        let (app_id, client) = require_init("reset")?;
        storage::forget(&app_id);
        let answer = match client.post("reset", &js::object()).await {
            Ok(a) => a,
            // Already revoked or unknown: a fresh session is what reset means anyway.
            Err(e) if e.status == 401 => {
                with_state(|s| s.session = None);
                open_session(
                    &app_id,
                    Client {
                        token: None,
                        ..client
                    },
                )
                .await?
            }
            Err(e) => return Err(e),
        };
        adopt_session(&app_id, &answer);
        let out = js::object();
        js::set(&out, "status", &JsValue::from_str("reset"));
        js::set(&out, "conversationId", &js::get(&answer, "conversation_id"));
        Ok(out)
    })
}
