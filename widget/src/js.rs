//! Small helpers over `JsValue`: reading properties and renaming keys for the JS API.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

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

/// `snake_case` to `camelCase`.
pub fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A copy of a JSON-shaped value with every object key in camelCase (the HTTP API is
/// snake_case, the JS API camelCase). Trait keys inside `traits` are the site's own and kept.
pub fn camel_keys(v: &JsValue) -> JsValue {
    if Array::is_array(v) {
        let arr: &Array = v.unchecked_ref();
        return arr.iter().map(|x| camel_keys(&x)).collect::<Array>().into();
    }
    if !v.is_object() {
        return v.clone();
    }
    let out = object();
    for key in Object::keys(v.unchecked_ref::<Object>()).iter() {
        let k = key.as_string().unwrap_or_default();
        let value = get(v, &k);
        let value = if k == "traits" {
            value
        } else {
            camel_keys(&value)
        };
        set(&out, &camel(&k), &value);
    }
    out
}

/// `console.warn(msg)`.
pub fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(msg));
}

/// `console.error(msg)`.
pub fn error(msg: &str) {
    web_sys::console::error_1(&JsValue::from_str(msg));
}
