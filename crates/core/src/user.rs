//! The `identify()` user: raw [`Value`] in, validated [`IdentifyUser`] out.
//!
//! Each validated field is a newtype with a private field whose only constructor checks the
//! limit, so a value that exists is a value that is valid.

use crate::field::{check_text, FieldError, Problem};
use crate::limits::*;
use crate::value::Value;

macro_rules! text_field {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Checks the limit; the only way to make one.
            pub fn parse(s: String) -> Result<Self, FieldError> {
                check_text($field, &s, $max)?;
                Ok($name(s))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// The user's id in the site owner's system: 1..=512 characters, exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserId(String);

impl UserId {
    /// Checks the length; never trims (the signature covers the exact string).
    pub fn parse(s: String) -> Result<Self, FieldError> {
        if s.is_empty() {
            return Err(FieldError::new("id", Problem::Required));
        }
        check_text("id", &s, ID_MAX)?;
        Ok(UserId(s))
    }
}

/// A sent id as the verification log keeps it, valid or not: its first 512 characters, a NUL
/// (which no text column on PostgreSQL takes) shown as U+FFFD.
pub fn id_for_log(sent: &str) -> String {
    sent.chars()
        .take(ID_MAX)
        .map(|c| if c == '\0' { '\u{FFFD}' } else { c })
        .collect()
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An email address: at most 254 characters, exactly one `@` with text on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks the length and the shape.
    pub fn parse(s: String) -> Result<Self, FieldError> {
        check_text("email", &s, EMAIL_MAX)?;
        let mut parts = s.split('@');
        let (local, domain) = (parts.next().unwrap_or(""), parts.next());
        match domain {
            Some(domain) if parts.next().is_none() && !local.is_empty() && !domain.is_empty() => {
                Ok(Email(s))
            }
            _ => Err(FieldError::new(
                "email",
                Problem::Invalid("must look like an address with one @, e.g. ada@example.com"),
            )),
        }
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

text_field!(
    /// A display name, at most 200 characters.
    Name, "name", NAME_MAX
);
text_field!(
    /// A company name, at most 200 characters.
    Company, "company", COMPANY_MAX
);
text_field!(
    /// A phone number as the site stores it, at most 50 characters.
    Phone, "phone", PHONE_MAX
);

/// One trait value: a string (<= 1000 characters), a finite number or a boolean.
#[derive(Debug, Clone, PartialEq)]
pub enum TraitValue {
    /// A string value.
    String(String),
    /// A finite number.
    Number(f64),
    /// A boolean.
    Bool(bool),
}

/// Custom key-value pairs: at most 20, keys 1..=100 characters, in the order sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Traits(Vec<(String, TraitValue)>);

impl Traits {
    /// Validates an object of traits.
    pub fn parse(value: &Value) -> Result<Self, FieldError> {
        let Value::Object(entries) = value else {
            return Err(FieldError::new(
                "traits",
                Problem::WrongType {
                    expected: "an object of key-value pairs",
                    got: value.kind(),
                },
            ));
        };
        if entries.len() > TRAITS_MAX_KEYS {
            return Err(FieldError::new(
                "traits",
                Problem::TooManyKeys {
                    max: TRAITS_MAX_KEYS,
                    got: entries.len(),
                },
            ));
        }
        let mut out = Vec::with_capacity(entries.len());
        for (key, v) in entries {
            if key.is_empty() {
                return Err(FieldError::new(
                    "traits",
                    Problem::Invalid("keys must not be empty"),
                ));
            }
            let key_path = || {
                let mut p = String::from("traits.");
                p.extend(key.chars().take(TRAIT_KEY_MAX));
                p
            };
            if key.contains('\0') {
                return Err(FieldError::new(
                    "traits",
                    Problem::Invalid("keys must not contain the NUL character (U+0000)"),
                ));
            }
            let got = crate::char_len(key);
            if got > TRAIT_KEY_MAX {
                return Err(FieldError::new(
                    "traits",
                    Problem::Invalid("keys must be at most 100 characters"),
                ));
            }
            let tv = match v {
                Value::String(s) => {
                    check_text(&key_path(), s, TRAIT_VALUE_MAX)?;
                    TraitValue::String(s.clone())
                }
                Value::Number(n) if n.is_finite() => TraitValue::Number(*n),
                Value::Number(_) => {
                    return Err(FieldError::new(
                        key_path(),
                        Problem::Invalid("must be a finite number"),
                    ))
                }
                Value::Bool(b) => TraitValue::Bool(*b),
                other => {
                    return Err(FieldError::new(
                        key_path(),
                        Problem::WrongType {
                            expected: "a string, number or boolean",
                            got: other.kind(),
                        },
                    ))
                }
            };
            out.push((key.clone(), tv));
        }
        Ok(Traits(out))
    }

    /// The pairs in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = &(String, TraitValue)> {
        self.0.iter()
    }

    /// True when there are no traits.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A validated `identify()` payload.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentifyUser {
    /// The user's id, signed by the site's server.
    pub id: UserId,
    /// The signature as sent (its format is judged by verification, which gives the
    /// `malformed_signature` hint, not by validation: Optional mode still prefills).
    pub signature: Option<String>,
    /// Email, accepted as-is (never used to link or merge).
    pub email: Option<Email>,
    /// Display name.
    pub name: Option<Name>,
    /// Company.
    pub company: Option<Company>,
    /// Phone.
    pub phone: Option<Phone>,
    /// Custom traits.
    pub traits: Traits,
}

/// A validated payload plus the top-level fields that were ignored (the widget warns about them).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedUser {
    /// The validated user.
    pub user: IdentifyUser,
    /// Top-level keys that are not part of the API, in the order sent.
    pub unknown_fields: Vec<String>,
}

/// The top-level fields of `identify()`.
pub const USER_FIELDS: [&str; 7] = [
    "id",
    "signature",
    "email",
    "name",
    "company",
    "phone",
    "traits",
];

/// An optional string: absent, `null` and `""` all mean "not given".
fn opt_string(obj: &Value, field: &'static str) -> Result<Option<String>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(FieldError::new(
            field,
            Problem::WrongType {
                expected: "a string",
                got: other.kind(),
            },
        )),
    }
}

impl IdentifyUser {
    /// Parses and validates a raw `identify()` argument. The first broken rule is returned, in
    /// the order of [`USER_FIELDS`].
    pub fn parse(raw: &Value) -> Result<ParsedUser, FieldError> {
        let Value::Object(entries) = raw else {
            return Err(FieldError::new(
                "user",
                Problem::WrongType {
                    expected: "an object like { id, signature }",
                    got: raw.kind(),
                },
            ));
        };
        let id = match raw.get("id") {
            None | Some(Value::Null) => return Err(FieldError::new("id", Problem::Required)),
            Some(Value::String(s)) => UserId::parse(s.clone())?,
            Some(other) => {
                return Err(FieldError::new(
                    "id",
                    Problem::WrongType {
                        expected: "a string",
                        got: other.kind(),
                    },
                ))
            }
        };
        let signature = opt_string(raw, "signature")?;
        let email = opt_string(raw, "email")?.map(Email::parse).transpose()?;
        let name = opt_string(raw, "name")?.map(Name::parse).transpose()?;
        let company = opt_string(raw, "company")?
            .map(Company::parse)
            .transpose()?;
        let phone = opt_string(raw, "phone")?.map(Phone::parse).transpose()?;
        let traits = match raw.get("traits") {
            None | Some(Value::Null) => Traits::default(),
            Some(v) => Traits::parse(v)?,
        };
        let unknown_fields = entries
            .iter()
            .filter(|(k, _)| !USER_FIELDS.contains(&k.as_str()))
            .map(|(k, _)| k.clone())
            .collect();
        Ok(ParsedUser {
            user: IdentifyUser {
                id,
                signature,
                email,
                name,
                company,
                phone,
                traits,
            },
            unknown_fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_an_id_within_its_limit_with_nul_shown_as_a_replacement() {
        assert_eq!(id_for_log("a\0b"), "a\u{FFFD}b");
        assert_eq!(
            crate::char_len(&id_for_log(&"é".repeat(ID_MAX + 5))),
            ID_MAX
        );
        assert_eq!(id_for_log("plain"), "plain");
    }

    /// The widest body the field limits allow: every field at its limit, every character an
    /// emoji written as a surrogate-pair escape, pretty-printed. It fits the server's limit and
    /// is valid, so the server can always read the `id` the claim rule needs.
    #[test]
    fn the_widest_valid_identify_body_fits_the_body_limit() {
        let wide = |n: usize| "\\ud83d\\ude00".repeat(n);
        let mut traits = Vec::new();
        for i in 0..TRAITS_MAX_KEYS {
            // Keys must differ: the first character says which.
            let key = format!("{}{}", char::from(b'a' + i as u8), wide(TRAIT_KEY_MAX - 1));
            traits.push(format!("\n    \"{key}\": \"{}\"", wide(TRAIT_VALUE_MAX)));
        }
        let local = wide(EMAIL_MAX - 2);
        let body = format!(
            "{{\n  \"id\": \"{}\",\n  \"signature\": \"{}\",\n  \"email\": \"{local}@x\",\n  \"name\": \"{}\",\n  \"company\": \"{}\",\n  \"phone\": \"{}\",\n  \"traits\": {{{}\n  }}\n}}",
            wide(ID_MAX),
            "a".repeat(SIGNATURE_HEX_LEN),
            wide(NAME_MAX),
            wide(COMPANY_MAX),
            wide(PHONE_MAX),
            traits.join(","),
        );
        assert!(
            body.len() <= IDENTIFY_BODY_MAX_BYTES,
            "{} > {IDENTIFY_BODY_MAX_BYTES}",
            body.len()
        );
        assert!(
            body.len() > IDENTIFY_BODY_MAX_BYTES - 8192,
            "the limit is tight"
        );
        let value: Value = serde_json::from_str(&body).unwrap();
        let parsed = IdentifyUser::parse(&value).expect("the widest body is valid");
        assert_eq!(crate::char_len(parsed.user.id.as_ref()), ID_MAX);
        assert_eq!(parsed.user.traits.iter().count(), TRAITS_MAX_KEYS);
    }
    use proptest::prelude::*;

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
    fn err(v: Value) -> FieldError {
        IdentifyUser::parse(&v).expect_err("should be rejected")
    }

    #[test]
    fn a_full_valid_user_parses_and_unknown_fields_are_listed() {
        let v = obj(&[
            ("id", s("u1")),
            ("signature", s("ab")),
            ("email", s("a@b.c")),
            ("name", s("Ada")),
            ("company", s("ACME")),
            ("phone", s("+1 555")),
            (
                "traits",
                obj(&[
                    ("plan", s("pro")),
                    ("seats", Value::Number(3.0)),
                    ("vip", Value::Bool(true)),
                ]),
            ),
            ("avatar", s("x")),
        ]);
        let p = IdentifyUser::parse(&v).unwrap();
        assert_eq!(p.user.id.as_ref(), "u1");
        assert_eq!(p.user.traits.iter().count(), 3);
        assert_eq!(p.unknown_fields, vec!["avatar".to_string()]);
    }

    #[test]
    fn id_is_required_and_never_coerced_or_trimmed() {
        assert_eq!(err(obj(&[])).problem(), &Problem::Required);
        assert_eq!(err(obj(&[("id", s(""))])).problem(), &Problem::Required);
        assert_eq!(err(obj(&[("id", Value::Null)])).field(), "id");
        let e = err(obj(&[("id", Value::Number(42.0))]));
        assert!(e.to_string().contains("pass String(id)"), "{e}");
        let p = IdentifyUser::parse(&obj(&[("id", s(" x "))])).unwrap();
        assert_eq!(p.user.id.as_ref(), " x ");
    }

    #[test]
    fn limits_count_unicode_scalar_values() {
        assert!(IdentifyUser::parse(&obj(&[("id", s(&"é".repeat(512)))])).is_ok());
        let e = err(obj(&[("id", s(&"é".repeat(513)))]));
        assert_eq!(e.to_string(), "id must be at most 512 characters (got 513)");
        assert!(
            IdentifyUser::parse(&obj(&[("id", s("u")), ("name", s(&"🙂".repeat(200)))])).is_ok()
        );
    }

    #[test]
    fn email_must_have_one_at_with_both_sides() {
        for bad in ["plain", "@x.y", "a@", "a@b@c"] {
            let e = err(obj(&[("id", s("u")), ("email", s(bad))]));
            assert_eq!(e.field(), "email", "{bad}");
        }
        assert!(
            IdentifyUser::parse(&obj(&[("id", s("u")), ("email", s(""))]))
                .unwrap()
                .user
                .email
                .is_none()
        );
    }

    #[test]
    fn traits_rules() {
        let many: Vec<(String, Value)> = (0..21)
            .map(|i| (format!("k{i}"), Value::Bool(true)))
            .collect();
        let e = err(obj(&[("id", s("u")), ("traits", Value::Object(many))]));
        assert_eq!(e.to_string(), "traits must have at most 20 keys (got 21)");
        let e = err(obj(&[("id", s("u")), ("traits", obj(&[("", s("x"))]))]));
        assert_eq!(e.field(), "traits");
        let e = err(obj(&[
            ("id", s("u")),
            ("traits", obj(&[(&"k".repeat(101), s("x"))])),
        ]));
        assert_eq!(e.field(), "traits");
        let e = err(obj(&[
            ("id", s("u")),
            ("traits", obj(&[("plan", Value::Null)])),
        ]));
        assert_eq!(
            e.to_string(),
            "traits.plan must be a string, number or boolean, got null"
        );
        let e = err(obj(&[
            ("id", s("u")),
            ("traits", obj(&[("n", Value::Number(f64::NAN))])),
        ]));
        assert_eq!(e.field(), "traits.n");
        let e = err(obj(&[
            ("id", s("u")),
            ("traits", obj(&[("bio", s(&"x".repeat(1001)))])),
        ]));
        assert_eq!(
            e.to_string(),
            "traits.bio must be at most 1000 characters (got 1001)"
        );
        let e = err(obj(&[("id", s("u")), ("traits", Value::Array(vec![]))]));
        assert_eq!(e.field(), "traits");
    }

    #[test]
    fn a_non_object_user_is_named() {
        assert_eq!(err(s("u1")).field(), "user");
    }

    const STRING_FIELDS: [(&str, usize); 4] = [
        ("name", NAME_MAX),
        ("company", COMPANY_MAX),
        ("phone", PHONE_MAX),
        ("id", ID_MAX),
    ];

    /// Any character but U+0000 (which every text field refuses on its own rule).
    fn not_nul() -> impl Strategy<Value = char> {
        proptest::char::any().prop_filter("NUL has a rule of its own", |c| *c != '\0')
    }

    proptest! {
        #[test]
        fn any_over_limit_string_field_is_rejected_with_its_field_named(
            which in 0usize..4, extra in 1usize..40, c in not_nul()
        ) {
            let (field, max) = STRING_FIELDS[which];
            let text: String = std::iter::repeat_n(c, max + extra).collect();
            let mut pairs = vec![("id", s("u"))];
            pairs.retain(|(k, _)| *k != field);
            pairs.push((field, Value::String(text)));
            let e = err(obj(&pairs));
            prop_assert_eq!(e.field(), field);
            prop_assert_eq!(e.problem(), &Problem::TooLong { max, got: max + extra });
        }

        #[test]
        fn any_within_limit_string_field_is_accepted(
            which in 0usize..4, len in 1usize..50, c in not_nul()
        ) {
            let (field, max) = STRING_FIELDS[which];
            let text: String = std::iter::repeat_n(c, len.min(max)).collect();
            let mut pairs = vec![("id", s("u"))];
            pairs.retain(|(k, _)| *k != field);
            pairs.push((field, Value::String(text)));
            prop_assert!(IdentifyUser::parse(&obj(&pairs)).is_ok());
        }

        #[test]
        fn a_nul_anywhere_in_a_string_field_is_rejected_with_its_field_named(
            which in 0usize..4, before in 0usize..20, after in 0usize..20
        ) {
            let (field, _) = STRING_FIELDS[which];
            let text = format!("{}\0{}", "a".repeat(before), "b".repeat(after));
            let mut pairs = vec![("id", s("u"))];
            pairs.retain(|(k, _)| *k != field);
            pairs.push((field, Value::String(text)));
            let e = err(obj(&pairs));
            prop_assert_eq!(e.field(), field);
            prop_assert_eq!(e.problem(), &Problem::Invalid(crate::field::NUL_PROBLEM));
        }

        #[test]
        fn any_wrongly_typed_field_is_rejected_with_its_field_named(
            which in 0usize..7, kind in 0usize..4
        ) {
            let field = USER_FIELDS[which];
            let wrong = match kind {
                0 => Value::Number(1.0),
                1 => Value::Bool(true),
                2 => Value::Array(vec![]),
                _ => if field == "traits" { s("x") } else { obj(&[]) },
            };
            let mut pairs = vec![("id", s("u"))];
            pairs.retain(|(k, _)| *k != field);
            pairs.push((field, wrong));
            let e = err(obj(&pairs));
            prop_assert_eq!(e.field(), field);
            let is_wrong_type = matches!(e.problem(), Problem::WrongType { .. });
            prop_assert!(is_wrong_type);
        }
    }
}

/// What an anonymous visitor typed into the contact form: unverified, never a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorDetails {
    /// Name, if given.
    pub name: Option<Name>,
    /// Email, if given.
    pub email: Option<Email>,
}

impl VisitorDetails {
    /// Validates `{ name?, email? }`; at least one of them is required.
    pub fn parse(raw: &Value) -> Result<Self, FieldError> {
        let name = opt_string(raw, "name")?.map(Name::parse).transpose()?;
        let email = opt_string(raw, "email")?.map(Email::parse).transpose()?;
        if name.is_none() && email.is_none() {
            return Err(FieldError::new(
                "email",
                Problem::Invalid("or name is needed so we can reply"),
            ));
        }
        Ok(VisitorDetails { name, email })
    }
}

#[cfg(test)]
mod visitor_details_tests {
    use super::*;

    #[test]
    fn needs_a_name_or_a_valid_email() {
        let v = |pairs: &[(&str, &str)]| {
            Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                    .collect(),
            )
        };
        assert!(VisitorDetails::parse(&v(&[("name", "Al")])).is_ok());
        assert_eq!(VisitorDetails::parse(&v(&[])).unwrap_err().field(), "email");
        assert_eq!(
            VisitorDetails::parse(&v(&[("email", "nope")]))
                .unwrap_err()
                .field(),
            "email"
        );
        assert_eq!(
            VisitorDetails::parse(&v(&[("name", &"x".repeat(201))]))
                .unwrap_err()
                .field(),
            "name"
        );
    }
}
