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

/// Whether `url` is a page of one of `origins` (allowed origins as `admin::origin` keeps them:
/// `scheme://host[:port]`, lowercase). An email links only to such pages: a visitor reports
/// the page they are on, so any other address is one they chose. No origins: no page is.
pub fn on_allowed_origin(url: &str, origins: &[String]) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    // A userinfo part (`https://shop.example@evil.example/`) is not the host.
    if host.contains('@') {
        return false;
    }
    origins.iter().any(|o| {
        o.split_once("://")
            .is_some_and(|(s, h)| s.eq_ignore_ascii_case(scheme) && h.eq_ignore_ascii_case(host))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_of_an_allowed_origin_are_linked() {
        let origins = vec![
            "https://shop.example".to_owned(),
            "http://localhost:3000".to_owned(),
        ];
        for yes in [
            "https://shop.example/orders/1",
            "https://SHOP.example",
            "http://localhost:3000/x?y=1",
        ] {
            assert!(on_allowed_origin(yes, &origins), "{yes}");
        }
        for no in [
            "https://evil.example/",
            "http://shop.example/",
            "https://shop.example.evil.example/",
            "https://shop.example@evil.example/",
            "https://shop.example:8443/",
            "http://localhost:3001/",
            "shop.example/orders",
        ] {
            assert!(!on_allowed_origin(no, &origins), "{no}");
        }
        assert!(!on_allowed_origin("https://shop.example/", &[]));
    }

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
