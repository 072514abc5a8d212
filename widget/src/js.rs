//! Small helpers over `JsValue`: reading properties and renaming keys for the JS API.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use replybubble_core::Value;

/// `obj[key]`, or `undefined`.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key]` when it is a string.
pub fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

/// Sets `obj[key] = value`.
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// A new empty object.
pub fn object() -> JsValue {
    Object::new().into()
}

/// A shallow copy of a response object for the JS API: the HTTP API is snake_case, the JS
/// API camelCase. Only top-level keys have underscores (nested `contact` and `prefill` keys are
/// single words, and `traits` keys belong to the site), so only they are renamed; keys in
/// `drop` are left out.
pub fn camel_keys(v: &JsValue, drop: &str) -> JsValue {
    let out = object();
    for key in Object::keys(v.unchecked_ref::<Object>()).iter() {
        let k = key.as_string().unwrap_or_default();
        if k == drop {
            continue;
        }
        let mut camel = String::with_capacity(k.len());
        let mut upper = false;
        for c in k.chars() {
            if c == '_' {
                upper = true;
            } else {
                camel.push(if upper { c.to_ascii_uppercase() } else { c });
                upper = false;
            }
        }
        set(&out, &camel, &get(v, &k));
    }
    out
}

/// Reads a JS value into the core's loose JSON [`Value`] without serde (whose error paths would
/// pull number formatting into the wasm). Functions, symbols and bigints read as `null`, which
/// validation then names.
pub fn to_value(v: &JsValue) -> Value {
    if let Some(s) = v.as_string() {
        return Value::String(s);
    }
    if let Some(n) = v.as_f64() {
        return Value::Number(n);
    }
    if let Some(b) = v.as_bool() {
        return Value::Bool(b);
    }
    if Array::is_array(v) {
        let arr: &Array = v.unchecked_ref();
        return Value::Array(arr.iter().map(|x| to_value(&x)).collect());
    }
    if v.is_object() && !v.is_function() {
        let keys = Object::keys(v.unchecked_ref::<Object>());
        return Value::Object(
            keys.iter()
                .filter_map(|k| k.as_string())
                .map(|k| {
                    let val = to_value(&get(v, &k));
                    (k, val)
                })
                .collect(),
        );
    }
    Value::Null
}

/// `console.warn(msg)`.
pub fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(msg));
}

/// `console.error(msg)`.
pub fn error(msg: &str) {
    web_sys::console::error_1(&JsValue::from_str(msg));
}
