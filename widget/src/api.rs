//! The widget's HTTP client for DESIGN.md "HTTP API", on the browser's `fetch` (web-sys).
//! JSON is parsed and written by the browser (`JSON.parse` / `JSON.stringify`), so the wasm
//! carries no JSON code.
//!
//! gloo-net was the first choice here; it measured 3.4 KB gzipped of the widget's 40 KB budget
//! for this one call, so the request is made with web-sys directly (docs/js-api.md, "Size").

use js_sys::JSON;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

use replybubble_core::wire::keys;

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

fn network(e: JsValue) -> WidgetError {
    let detail = js::get_str(&e, keys::MESSAGE).unwrap_or_else(|| "the request failed".into());
    WidgetError::network(&detail)
}

impl Client {
    fn url(&self, path: &str) -> String {
        let mut u = self.base.clone();
        u.push_str("/api/v1/widget/");
        u.push_str(path);
        u
    }

    /// `POST /api/v1/widget/{path}` with a JSON body.
    pub fn post<'a>(
        &'a self,
        path: &'a str,
        body: &'a JsValue,
    ) -> impl std::future::Future<Output = Result<JsValue, WidgetError>> + 'a {
        self.call(true, path, Some(body))
    }

    /// `GET /api/v1/widget/{path_and_query}`.
    pub fn get<'a>(
        &'a self,
        path_and_query: &'a str,
    ) -> impl std::future::Future<Output = Result<JsValue, WidgetError>> + 'a {
        self.call(false, path_and_query, None)
    }

    /// The one request path. Answers the parsed JSON body of a 2xx, or the server's error
    /// (`status`, `code`, `message`, `field`, `hint`) as a [`WidgetError`].
    async fn call(
        &self,
        post: bool,
        path: &str,
        body: Option<&JsValue>,
    ) -> Result<JsValue, WidgetError> {
        let init = RequestInit::new();
        init.set_method(if post { "POST" } else { "GET" });
        let headers = Headers::new().map_err(network)?;
        if let Some(t) = &self.token {
            let mut v = String::from("Bearer ");
            v.push_str(t);
            headers.set("Authorization", &v).map_err(network)?;
        }
        if let Some(body) = body {
            headers
                .set("Content-Type", "application/json")
                .map_err(network)?;
            init.set_body(&JSON::stringify(body).map_err(network)?.into());
        }
        init.set_headers(&headers);
        let window = web_sys::window().ok_or_else(|| WidgetError::network("no window"))?;
        let resp: Response = JsFuture::from(window.fetch_with_str_and_init(&self.url(path), &init))
            .await
            .map_err(network)?
            .unchecked_into();
        let status = resp.status();
        let text = JsFuture::from(resp.text().map_err(network)?)
            .await
            .map_err(network)?
            .as_string()
            .unwrap_or_default();
        let body = if text.is_empty() {
            JsValue::NULL
        } else {
            JSON::parse(&text).unwrap_or(JsValue::NULL)
        };
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let err = js::get(&body, keys::ERROR);
        let code = js::get_str(&err, keys::CODE).unwrap_or_else(|| "http_error".into());
        let mut e = WidgetError::new(
            status,
            &code,
            js::get_str(&err, keys::MESSAGE).unwrap_or(text),
        );
        e.field = js::get_str(&err, keys::FIELD);
        e.hint = js::get_str(&err, keys::HINT);
        if js::get_str(&body, keys::VISITOR_TOKEN).is_some() {
            e.new_session = Some(body);
        }
        Err(e)
    }
}
