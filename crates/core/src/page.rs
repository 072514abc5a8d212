//! The page a visitor is on, as the widget reports it (`POST /api/v1/widget/page`): agents see
//! it in the conversation. The widget never sends the query or the fragment (they can hold
//! tokens); the server refuses a URL that is not http(s).

use crate::field::{check_text, FieldError, Problem};
use crate::limits::{PAGE_TITLE_MAX, PAGE_URL_MAX};
use crate::value::Value;

/// A validated page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// `http://` or `https://`, at most 2048 characters, no white space.
    pub url: String,
    /// The document's title (may be empty), at most 300 characters.
    pub title: String,
}

impl Page {
    /// Checks `{ url, title? }`.
    pub fn parse(raw: &Value) -> Result<Page, FieldError> {
        let url = match raw.get("url") {
            None | Some(Value::Null) => return Err(FieldError::new("url", Problem::Required)),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(FieldError::new(
                    "url",
                    Problem::WrongType {
                        expected: "a string",
                        got: other.kind(),
                    },
                ))
            }
        };
        check_text("url", &url, PAGE_URL_MAX)?;
        let scheme_ok = ["http://", "https://"].iter().any(|p| {
            url.len() > p.len() && url.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
        });
        if !scheme_ok || url.chars().any(char::is_whitespace) {
            return Err(FieldError::new(
                "url",
                Problem::Invalid("must be the page's http:// or https:// address, without spaces"),
            ));
        }
        let title = match raw.get("title") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(other) => {
                return Err(FieldError::new(
                    "title",
                    Problem::WrongType {
                        expected: "a string",
                        got: other.kind(),
                    },
                ))
            }
        };
        check_text("title", &title, PAGE_TITLE_MAX)?;
        Ok(Page { url, title })
    }
}

/// The address the widget reports for `href`: without the query and the fragment, which can
/// hold tokens (a password reset link) that agents must not see.
pub fn reported_url(href: &str) -> &str {
    // `split` and `get`, not an index: no panic path (and its formatting) in the wasm.
    href.split(['?', '#']).next().unwrap_or(href)
}

/// A title cut to [`PAGE_TITLE_MAX`] characters (the widget sends long ones cut, not refused).
pub fn reported_title(title: &str) -> &str {
    let t = title.trim();
    match t.char_indices().nth(PAGE_TITLE_MAX) {
        Some((i, _)) => t.get(..i).unwrap_or(t),
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn pages_are_http_urls_with_a_title() {
        let p = Page::parse(&obj(&[
            ("url", s("https://shop.example/cart")),
            ("title", s(" Cart ")),
        ]))
        .unwrap();
        assert_eq!(
            (p.url.as_str(), p.title.as_str()),
            ("https://shop.example/cart", "Cart")
        );
        assert_eq!(
            Page::parse(&obj(&[("url", s("HTTP://a.b/"))]))
                .unwrap()
                .title,
            ""
        );
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "https://",
            "https://a b/",
            "/cart",
        ] {
            assert_eq!(
                Page::parse(&obj(&[("url", s(bad))])).unwrap_err().field(),
                "url",
                "{bad}"
            );
        }
        assert_eq!(
            Page::parse(&obj(&[])).unwrap_err().problem(),
            &Problem::Required
        );
        let long = format!("https://a.b/{}", "x".repeat(2048));
        assert_eq!(
            Page::parse(&obj(&[("url", s(&long))])).unwrap_err().field(),
            "url"
        );
        let e = Page::parse(&obj(&[
            ("url", s("https://a.b/")),
            ("title", Value::Number(1.0)),
        ]));
        assert_eq!(e.unwrap_err().field(), "title");
        let e = Page::parse(&obj(&[
            ("url", s("https://a.b/")),
            ("title", s(&"t".repeat(301))),
        ]));
        assert_eq!(e.unwrap_err().field(), "title");
    }

    #[test]
    fn the_widget_drops_query_and_fragment_and_cuts_titles() {
        assert_eq!(
            reported_url("https://a.b/reset?token=s3cret#x"),
            "https://a.b/reset"
        );
        assert_eq!(reported_url("https://a.b/p#top"), "https://a.b/p");
        assert_eq!(reported_url("https://a.b/p"), "https://a.b/p");
        assert_eq!(reported_title(&"é".repeat(400)).chars().count(), 300);
        assert_eq!(reported_title(" Home "), "Home");
    }
}
