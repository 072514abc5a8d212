//! The widget's HTTP client for DESIGN.md "HTTP API". JSON is parsed by the browser
//! (`JSON.parse`), so the wasm carries no JSON parser.

use gloo_net::http::{Request, RequestBuilder};
use js_sys::JSON;
use wasm_bindgen::JsValue;

use crate::error::WidgetError;
use crate::js;

/// Where the API lives and which session calls it.
#[derive(Debug, Clone)]
pub struct Client {
    /// Base URL without a trailing slash, e.g. `https://chat.example.com`.
    pub base: String,
    /// The visitor token, sent as `Authorization: Bearer` (never in a URL).
    pub token: Option<String>,
}

impl Client {
    fn url(&self, path: &str) -> String {
        let mut u = self.base.clone();
        u.push_str("/api/v1/widget/");
        u.push_str(path);
        u
    }

    fn auth(&self, b: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(t) => {
                let mut v = String::from("Bearer ");
                v.push_str(t);
                b.header("Authorization", &v)
            }
            None => b,
        }
    }

    /// `POST /api/v1/widget/{path}` with a JSON body.
    pub async fn post(&self, path: &str, body: &JsValue) -> Result<JsValue, WidgetError> {
        let text = JSON::stringify(body)
            .map(String::from)
            .unwrap_or_else(|_| "{}".into());
        let req = self
            .auth(Request::post(&self.url(path)))
            .header("Content-Type", "application/json")
            .body(text)
            .map_err(|e| WidgetError::network(&e.to_string()))?;
        finish(req.send().await).await
    }

    /// `GET /api/v1/widget/{path_and_query}`.
    pub async fn get(&self, path_and_query: &str) -> Result<JsValue, WidgetError> {
        finish(
            self.auth(Request::get(&self.url(path_and_query)))
                .send()
                .await,
        )
        .await
    }
}

async fn finish(
    sent: Result<gloo_net::http::Response, gloo_net::Error>,
) -> Result<JsValue, WidgetError> {
    let resp = sent.map_err(|e| WidgetError::network(&e.to_string()))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| WidgetError::network(&e.to_string()))?;
    let body = if text.is_empty() {
        JsValue::NULL
    } else {
        JSON::parse(&text).unwrap_or(JsValue::NULL)
    };
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let err = js::get(&body, "error");
    let code = js::get_str(&err, "code").unwrap_or_else(|| "http_error".into());
    let message = js::get_str(&err, "message").unwrap_or(text);
    let mut e = WidgetError::new(status, &code, message);
    e.field = js::get_str(&err, "field");
    e.hint = js::get_str(&err, "hint");
    Err(e)
}
