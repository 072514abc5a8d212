//! A loosely typed JSON value.
//!
//! `identify()` must say "id must be a string, got a number" rather than coerce or fail with a
//! parser message, so payloads are first read into [`Value`] (from JSON on the server, from a JS
//! object in the widget: both through serde) and then parsed into validated types.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Any JSON value. Objects keep their keys in order; a repeated key keeps its last value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` (and JS `undefined`).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number; JS numbers are all `f64`, so JSON numbers are read the same way.
    Number(f64),
    /// A string.
    String(String),
    /// An array (its items are kept only to name the type).
    Array(Vec<Value>),
    /// An object, keys in order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The type's name with its article, for error messages ("a number", "an object").
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The value of `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// The most keys one JSON object may hold (no payload of the widget API needs more than 20).
pub const MAX_OBJECT_KEYS: usize = 256;

/// The start of the parse error of an object over [`MAX_OBJECT_KEYS`], so the server can answer
/// it as a field error rather than as malformed JSON.
pub const TOO_MANY_KEYS: &str = "an object holds more than 256 keys";

/// What to tell a caller whose body broke [`MAX_OBJECT_KEYS`].
pub const TOO_MANY_KEYS_FIX: &str =
    "no JSON object may hold more than 256 keys: send only the documented fields";

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        let mut read = 0usize;
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            // Counting every key read (repeats too) bounds the work below: at most
            // MAX_OBJECT_KEYS entries are ever compared, so an object costs linear time.
            read += 1;
            if read > MAX_OBJECT_KEYS {
                return Err(de::Error::custom(TOO_MANY_KEYS));
            }
            entries.retain(|(k, _)| *k != key);
            entries.push((key, value));
        }
        Ok(Value::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_json_type_and_keeps_the_last_repeated_key() {
        let v: Value =
            serde_json::from_str(r#"{"a":1,"b":"x","c":[true,null],"d":{},"a":2.5}"#).unwrap();
        assert_eq!(v.get("a"), Some(&Value::Number(2.5)));
        assert_eq!(v.get("b"), Some(&Value::String("x".into())));
        assert_eq!(v.get("c").map(Value::kind), Some("an array"));
        assert_eq!(v.get("d").map(Value::kind), Some("an object"));
        assert_eq!(v.get("zz"), None);
        let Value::Object(entries) = v else { panic!() };
        assert_eq!(entries.len(), 4);
    }

    fn object(keys: usize, distinct: bool) -> String {
        let pairs: Vec<String> = (0..keys)
            .map(|i| format!("\"k{}\":1", if distinct { i } else { 0 }))
            .collect();
        format!("{{{}}}", pairs.join(","))
    }

    #[test]
    fn the_messages_name_the_limit_they_enforce() {
        let limit = MAX_OBJECT_KEYS.to_string();
        assert!(TOO_MANY_KEYS.contains(&limit) && TOO_MANY_KEYS_FIX.contains(&limit));
    }

    #[test]
    fn objects_hold_at_most_256_keys_repeats_counted() {
        assert!(serde_json::from_str::<Value>(&object(256, true)).is_ok());
        for distinct in [true, false] {
            let err = serde_json::from_str::<Value>(&object(257, distinct)).unwrap_err();
            assert!(err.to_string().starts_with(TOO_MANY_KEYS), "{err}");
        }
        let nested = format!("{{\"traits\":{}}}", object(5_800, true));
        assert!(serde_json::from_str::<Value>(&nested).is_err());
    }
}
