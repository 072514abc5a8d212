//! The one error type of validation: which field, what is wrong, and how to fix it.

use std::fmt;

/// What is wrong with a field. Every variant renders as a sentence that names the field, the
/// limit and the fix.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A required field is absent, `null` or empty.
    Required,
    /// The value has the wrong JSON type; values are never coerced.
    WrongType {
        /// What the field takes ("a string").
        expected: &'static str,
        /// What was sent ("a number").
        got: &'static str,
    },
    /// Longer than the limit, in characters.
    TooLong {
        /// The limit.
        max: usize,
        /// The length sent.
        got: usize,
    },
    /// More object keys than allowed.
    TooManyKeys {
        /// The limit.
        max: usize,
        /// The count sent.
        got: usize,
    },
    /// The value has the right type and size but the wrong shape.
    Invalid(&'static str),
}

/// A field that breaks a rule of DESIGN.md "Field limits". Its code is always `invalid_field`;
/// `field` is the dotted path (`name`, `traits.plan`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct FieldError {
    field: String,
    problem: Problem,
}

impl FieldError {
    /// The stable error code of every field error.
    pub const CODE: &'static str = "invalid_field";

    /// A new error for `field`.
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        FieldError {
            field: field.into(),
            problem,
        }
    }

    /// The field's dotted path, e.g. `traits.plan`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.field;
        match &self.problem {
            Problem::Required => write!(f, "{field} is required"),
            Problem::WrongType { expected, got } => {
                write!(f, "{field} must be {expected}, got {got}")?;
                if field == "id" && *got == "a number" {
                    f.write_str(": pass String(id) and sign the same string")?;
                }
                Ok(())
            }
            Problem::TooLong { max, got } => {
                write!(f, "{field} must be at most {max} characters (got {got})")
            }
            Problem::TooManyKeys { max, got } => {
                write!(f, "{field} must have at most {max} keys (got {got})")
            }
            Problem::Invalid(why) => write!(f, "{field} {why}"),
        }
    }
}

/// What a text field may not hold: U+0000 is no character anyone types, and PostgreSQL cannot
/// store it in text, so one rule keeps both engines alike (docs/js-api.md "Field limits").
pub const NUL_PROBLEM: &str = "must not contain the NUL character (U+0000): remove it";

/// Checks a text field: no U+0000, at most `max` characters.
pub(crate) fn check_text(field: &str, s: &str, max: usize) -> Result<(), FieldError> {
    if s.contains('\0') {
        return Err(FieldError::new(field, Problem::Invalid(NUL_PROBLEM)));
    }
    let got = crate::char_len(s);
    if got > max {
        return Err(FieldError::new(field, Problem::TooLong { max, got }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_the_limit_and_the_fix() {
        let e = FieldError::new("name", Problem::TooLong { max: 200, got: 201 });
        assert_eq!(
            e.to_string(),
            "name must be at most 200 characters (got 201)"
        );
        let e = FieldError::new(
            "id",
            Problem::WrongType {
                expected: "a string",
                got: "a number",
            },
        );
        assert_eq!(
            e.to_string(),
            "id must be a string, got a number: pass String(id) and sign the same string"
        );
        assert_eq!(FieldError::CODE, "invalid_field");
    }

    #[test]
    fn a_nul_anywhere_in_a_text_field_is_refused_by_name() {
        for s in ["\0", "a\0", "\0b", "mid\0dle"] {
            let e = check_text("company", s, 200).unwrap_err();
            assert_eq!(e.field(), "company");
            assert_eq!(
                e.to_string(),
                "company must not contain the NUL character (U+0000): remove it"
            );
        }
        assert!(check_text("company", "no nul \u{1} here", 200).is_ok());
    }
}
