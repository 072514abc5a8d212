//! replybubble-core: the one place that knows ReplyBubble's rules.
//!
//! The widget (wasm) and the server (native) both depend on this crate, so a field limit,
//! a validation message or a verification rule is written exactly once. The crate does no
//! IO: no clock, no randomness, no environment. Time, keys and secrets are arguments.
//!
//! - [`limits`]: every field limit, as constants.
//! - [`admin`]: validation of what operators type (workspace names, origins, passwords).
//! - [`value`]: a loosely typed JSON value, so that a wrong type can be named instead of coerced.
//! - [`user`]: the validated `identify()` user ("parse, don't validate").
//! - [`message`]: the validated chat message body.
//! - [`page`]: the page a visitor is on, as the widget reports it.
//! - [`appearance`]: a workspace's widget colour, corner, texts and languages.
//! - [`decision`]: plans, modes and the rules that do not need a hash: who may send.
//! - `signature` and `identify` (feature `verify`): HMAC-SHA256 sign/verify/diagnose and the
//!   identify decision table.
//! - [`wire`]: the HTTP JSON types shared by widget and server.
#![deny(missing_docs)]

pub mod admin;
pub mod appearance;
pub mod decision;
pub mod field;
pub mod limits;
pub mod message;
pub mod page;
pub mod user;
pub mod value;
pub mod wire;

#[cfg(feature = "verify")]
pub mod identify;
#[cfg(feature = "verify")]
pub mod signature;

pub use decision::{Mode, Plan};
pub use field::{FieldError, Problem};
pub use message::MessageBody;
pub use user::{IdentifyUser, ParsedUser};
pub use value::Value;

/// Counts characters the way every limit does: Unicode scalar values, not bytes or UTF-16 units.
pub fn char_len(s: &str) -> usize {
    // In valid UTF-8 every scalar value has exactly one byte that is not a continuation byte
    // (0b10xx_xxxx). This loop is what `chars().count()` computes, in a fraction of the wasm.
    s.bytes().filter(|b| (b & 0xC0) != 0x80).count()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn char_len_counts_unicode_scalar_values(s in ".*") {
            prop_assert_eq!(super::char_len(&s), s.chars().count());
        }
    }
}
