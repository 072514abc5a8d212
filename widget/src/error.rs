//! The widget's one error type and its conversion into the JS `Error` every method rejects with.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use replybubble_core::FieldError;

/// A failure as the JS API reports it: an `Error` with `status`, `code`, and when known
/// `field` and `hint`.
#[derive(Debug, Clone)]
pub struct WidgetError {
    /// HTTP-like status (400 for local validation, the server's status otherwise).
    pub status: u16,
    /// Stable code.
    pub code: String,
    /// What to fix.
    pub message: String,
    /// The field, for field errors.
    pub field: Option<String>,
    /// The likely mistake of a `signature_invalid`.
    pub hint: Option<String>,
    /// The whole error body when it carries a new session (`visitor_token`): the claim rule
    /// started one, and the widget switches to it whatever the outcome.
    pub new_session: Option<wasm_bindgen::JsValue>,
}

impl WidgetError {
    /// A new error without field or hint.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        WidgetError {
            status,
            code: code.into(),
            message: message.into(),
            field: None,
            hint: None,
            new_session: None,
        }
    }

    /// `identify()` (or another call) before `init()`.
    pub fn not_initialized(method: &str) -> Self {
        let mut m = String::from("ReplyBubble.");
        m.push_str(method);
        m.push_str("() was called before init(): call ReplyBubble.init({ appId }) first (or add data-app-id to the snippet), then ");
        m.push_str(method);
        m.push_str("()");
        WidgetError::new(400, "not_initialized", m)
    }

    /// A transport failure (no answer from the server).
    pub fn network(detail: &str) -> Self {
        let mut m = String::from("could not reach the ReplyBubble server: ");
        m.push_str(detail);
        WidgetError::new(0, "network_error", m)
    }
}

impl From<FieldError> for WidgetError {
    fn from(e: FieldError) -> Self {
        WidgetError {
            status: 400,
            code: FieldError::CODE.into(),
            message: e.to_string(),
            field: Some(e.field().to_owned()),
            hint: None,
            new_session: None,
        }
    }
}

fn set(target: &JsValue, key: &str, value: JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &value);
}

impl From<WidgetError> for JsValue {
    fn from(e: WidgetError) -> JsValue {
        let mut msg = String::from("ReplyBubble: ");
        msg.push_str(&e.message);
        let err: JsValue = js_sys::Error::new(&msg).into();
        set(&err, "status", JsValue::from(e.status));
        set(&err, "code", JsValue::from_str(&e.code));
        if let Some(f) = &e.field {
            set(&err, "field", JsValue::from_str(f));
        }
        if let Some(h) = &e.hint {
            set(&err, "hint", JsValue::from_str(h));
        }
        err
    }
}
