//! Validation of what operators type: workspace names, allowed origins, agent logins.

use crate::field::{check_text, FieldError, Problem};
use crate::limits::{PASSWORD_MAX, PASSWORD_MIN, WORKSPACE_NAME_MAX};

/// A workspace name, 1..=100 characters, trimmed, on one line: it is the sender's name and the
/// subject of the email fallback's emails, where a line break would start a header.
pub fn workspace_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", Problem::Required));
    }
    check_text("name", name, WORKSPACE_NAME_MAX)?;
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "name",
            Problem::Invalid(
                "must not contain control characters such as line breaks or tabs: write it on one line",
            ),
        ));
    }
    Ok(name.to_owned())
}

/// An allowed origin for CORS: `http(s)://host[:port]`, no path, no trailing slash. Returned
/// lowercased, as browsers send it.
pub fn origin(origin: &str) -> Result<String, FieldError> {
    let bad = || {
        FieldError::new(
            "origin",
            Problem::Invalid("must be a scheme and host like https://shop.example.com (no path)"),
        )
    };
    let lower = origin.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let valid_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if rest.is_empty() || !rest.chars().all(valid_char) {
        return Err(bad());
    }
    Ok(lower)
}

/// An agent's password: 10..=1000 characters.
pub fn password(pw: &str) -> Result<(), FieldError> {
    let got = crate::char_len(pw);
    if got < PASSWORD_MIN {
        return Err(FieldError::new(
            "password",
            Problem::Invalid("must be at least 10 characters"),
        ));
    }
    check_text("password", pw, PASSWORD_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin("https://Shop.Example.com").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "shop.example.com",
            "https://",
            "https://a.com/",
            "ftp://a.com",
            "https://a.com/x",
        ] {
            assert_eq!(origin(bad).unwrap_err().field(), "origin", "{bad}");
        }
    }

    #[test]
    fn names_and_passwords() {
        assert_eq!(workspace_name("  Acme ").unwrap(), "Acme");
        assert!(workspace_name(" ").is_err());
        assert!(workspace_name(&"x".repeat(101)).is_err());
        for bad in [
            "Acme\r\nBcc: x@evil.example",
            "Acme\tShop",
            "Acme\u{85}Shop",
        ] {
            let e = workspace_name(bad).unwrap_err();
            assert_eq!(e.field(), "name");
            assert!(e.to_string().contains("one line"), "{e}");
        }
        assert!(password("short").is_err());
        assert!(password("long enough pw").is_ok());
    }
}
