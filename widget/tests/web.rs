//! wasm-bindgen tests of the exported API, in headless Chromium.
#![cfg(target_arch = "wasm32")]

use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn prop(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

async fn rejected(p: Promise) -> JsValue {
    match JsFuture::from(p).await {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => e,
    }
}

fn user(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

#[wasm_bindgen_test]
async fn an_over_limit_field_rejects_with_status_code_and_field() {
    let name = "x".repeat(201);
    let e = rejected(replybubble_widget::identify(user(&[
        ("id", JsValue::from_str("u1")),
        ("name", JsValue::from_str(&name)),
    ])))
    .await;
    assert!(e.is_instance_of::<js_sys::Error>());
    assert_eq!(prop(&e, "status"), JsValue::from(400));
    assert_eq!(prop(&e, "code"), JsValue::from_str("invalid_field"));
    assert_eq!(prop(&e, "field"), JsValue::from_str("name"));
    let msg: String = js_sys::Error::from(e).message().into();
    assert!(
        msg.contains("name must be at most 200 characters (got 201)"),
        "{msg}"
    );
}

#[wasm_bindgen_test]
async fn a_numeric_id_is_named_not_coerced() {
    let e = rejected(replybubble_widget::identify(user(&[(
        "id",
        JsValue::from(42),
    )])))
    .await;
    assert_eq!(prop(&e, "field"), JsValue::from_str("id"));
    let msg: String = js_sys::Error::from(e).message().into();
    assert!(msg.contains("pass String(id)"), "{msg}");
}

#[wasm_bindgen_test]
async fn limits_count_characters_not_utf16_units() {
    // 512 astral characters are 1024 UTF-16 units: still valid, so the next failure is init.
    let id = "🙂".repeat(512);
    let e = rejected(replybubble_widget::identify(user(&[(
        "id",
        JsValue::from_str(&id),
    )])))
    .await;
    assert_eq!(prop(&e, "code"), JsValue::from_str("not_initialized"));
}

#[wasm_bindgen_test]
async fn identify_before_init_rejects_not_initialized() {
    let e = rejected(replybubble_widget::identify(user(&[(
        "id",
        JsValue::from_str("u1"),
    )])))
    .await;
    assert_eq!(prop(&e, "code"), JsValue::from_str("not_initialized"));
    assert_eq!(prop(&e, "status"), JsValue::from(400));
    let msg: String = js_sys::Error::from(e).message().into();
    assert!(msg.contains("init"), "{msg}");
    let e = rejected(replybubble_widget::reset()).await;
    assert_eq!(prop(&e, "code"), JsValue::from_str("not_initialized"));
}

#[wasm_bindgen_test]
async fn init_without_app_id_names_the_field() {
    let e = rejected(replybubble_widget::init(user(&[]))).await;
    assert_eq!(prop(&e, "field"), JsValue::from_str("appId"));
}

/// Replaces console.warn/error with recorders and returns what they got.
fn capture_console() {
    js_sys::eval(
        "window.__console = { warn: [], error: [] };
         console.warn = function (m) { window.__console.warn.push(String(m)); };
         console.error = function (m) { window.__console.error.push(String(m)); };",
    )
    .unwrap();
}

fn console(kind: &str) -> Vec<String> {
    let v = js_sys::eval(&format!("window.__console.{kind}")).unwrap();
    js_sys::Array::from(&v)
        .iter()
        .filter_map(|x| x.as_string())
        .collect()
}

#[wasm_bindgen_test]
async fn unknown_fields_warn_and_identify_before_init_logs_the_fix() {
    capture_console();
    let e = rejected(replybubble_widget::identify(user(&[
        ("id", JsValue::from_str("u1")),
        ("avatar", JsValue::from_str("x.png")),
    ])))
    .await;
    assert_eq!(prop(&e, "code"), JsValue::from_str("not_initialized"));
    let warns = console("warn");
    assert!(
        warns
            .iter()
            .any(|w| w.contains("unknown field \"avatar\"") && w.contains("traits")),
        "{warns:?}"
    );
    let errors = console("error");
    assert!(
        errors
            .iter()
            .any(|m| m.contains("ReplyBubble.init({ appId })")),
        "{errors:?}"
    );
}
