//! A chat message body: 1..=5000 characters, not only white space.

use crate::field::{check_text, FieldError, Problem};
use crate::limits::MESSAGE_MAX;
use crate::value::Value;

/// A validated message body, kept exactly as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    /// Checks the text.
    pub fn parse(s: String) -> Result<Self, FieldError> {
        if s.trim().is_empty() {
            return Err(FieldError::new(
                "body",
                Problem::Invalid("must not be empty: type a message"),
            ));
        }
        check_text("body", &s, MESSAGE_MAX)?;
        Ok(MessageBody(s))
    }

    /// Checks a raw value (wrong types are named, not coerced).
    pub fn parse_value(v: Option<&Value>) -> Result<Self, FieldError> {
        match v {
            None | Some(Value::Null) => Err(FieldError::new("body", Problem::Required)),
            Some(Value::String(s)) => Self::parse(s.clone()),
            Some(other) => Err(FieldError::new(
                "body",
                Problem::WrongType {
                    expected: "a string",
                    got: other.kind(),
                },
            )),
        }
    }
}

impl AsRef<str> for MessageBody {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<MessageBody> for String {
    fn from(b: MessageBody) -> String {
        b.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_limits() {
        assert!(MessageBody::parse("hi".into()).is_ok());
        assert!(MessageBody::parse("ü".repeat(5000)).is_ok());
        let e = MessageBody::parse("x".repeat(5001)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "body must be at most 5000 characters (got 5001)"
        );
        assert_eq!(
            MessageBody::parse("  \n".into()).unwrap_err().field(),
            "body"
        );
        assert_eq!(
            MessageBody::parse_value(Some(&Value::Number(1.0)))
                .unwrap_err()
                .field(),
            "body"
        );
        assert_eq!(
            MessageBody::parse_value(None).unwrap_err().problem(),
            &Problem::Required
        );
    }
}
