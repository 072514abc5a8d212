//! Plans, modes, and the verification rules that need no hash: whether verification may be
//! configured, and whether a session may send a message.

use serde::{Deserialize, Serialize};

/// A workspace's plan. User verification is a Pro and Enterprise feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// The default plan: chat works, verification does not.
    Free,
    /// Pro.
    Pro,
    /// Enterprise.
    Enterprise,
}

/// A workspace's verification mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// identify() answers `{ status: "disabled" }`.
    Off,
    /// Signed calls are verified and linked; unsigned ones only prefill.
    Optional,
    /// Only signed calls are accepted; unverified visitors cannot send.
    Required,
}

macro_rules! str_enum {
    ($ty:ident, $what:literal, $($variant:ident = $s:literal),+) => {
        impl $ty {
            /// The wire and database spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $s),+ }
            }
        }
        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::core::str::FromStr for $ty {
            type Err = $crate::decision::UnknownName;
            fn from_str(s: &str) -> Result<Self, $crate::decision::UnknownName> {
                match s {
                    $($s => Ok($ty::$variant),)+
                    _ => Err($crate::decision::UnknownName { what: $what, got: s.to_owned(), one_of: &[$($s),+] }),
                }
            }
        }
    };
}
#[cfg_attr(not(feature = "verify"), allow(unused_imports))]
pub(crate) use str_enum;
str_enum!(
    Plan,
    "plan",
    Free = "free",
    Pro = "pro",
    Enterprise = "enterprise"
);
str_enum!(
    Mode,
    "mode",
    Off = "off",
    Optional = "optional",
    Required = "required"
);

/// A plan or mode name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {got:?}: use one of {}", one_of.join(", "))]
pub struct UnknownName {
    pub(crate) what: &'static str,
    pub(crate) got: String,
    pub(crate) one_of: &'static [&'static str],
}

/// The 402 rule: verification (identify, modes, secrets) needs Pro or Enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("user verification is available on Pro and Enterprise plans: upgrade this workspace")]
pub struct PlanUpgradeRequired;

impl PlanUpgradeRequired {
    /// The stable error code.
    pub const CODE: &'static str = "plan_upgrade_required";
}

impl Plan {
    /// Whether this plan includes user verification.
    pub fn check_verification(self) -> Result<(), PlanUpgradeRequired> {
        match self {
            Plan::Free => Err(PlanUpgradeRequired),
            Plan::Pro | Plan::Enterprise => Ok(()),
        }
    }
}

/// Whether a workspace verifies identities now: Pro or Enterprise, mode Optional or Required.
/// A session verified earlier counts as verified only while this holds: with mode Off or on
/// Free its messages are stored unverified and it is not told it is verified.
pub fn verifies(plan: Plan, mode: Mode) -> bool {
    plan != Plan::Free && mode != Mode::Off
}

/// Why a session may not send a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendRefusal {
    /// Required mode and the session never verified.
    #[error("this workspace requires verified users: call identify() with a signature from your server before sending")]
    VerificationRequired,
    /// Required mode and the session verified under a secret that was regenerated since.
    #[error("the secret was regenerated since this user was verified: sign again with the new secret and call identify()")]
    SignatureExpired,
}

impl SendRefusal {
    /// The stable error code.
    pub fn code(self) -> &'static str {
        match self {
            SendRefusal::VerificationRequired => "verification_required",
            SendRefusal::SignatureExpired => "signature_expired",
        }
    }
}

/// Whether a session may send. `verified_under` is the secret version the session was verified
/// with (None when it never verified); `current` is the workspace's current secret version.
/// Outside Required mode (and on free, where verification does not apply) anyone may write.
pub fn may_send(
    plan: Plan,
    mode: Mode,
    verified_under: Option<u32>,
    current: Option<u32>,
) -> Result<(), SendRefusal> {
    if plan == Plan::Free || mode != Mode::Required {
        return Ok(());
    }
    match verified_under {
        None => Err(SendRefusal::VerificationRequired),
        Some(v) if Some(v) == current => Ok(()),
        Some(_) => Err(SendRefusal::SignatureExpired),
    }
}

/// Why an identify was not verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No signature was sent.
    SignatureMissing,
    /// A signature was sent and did not verify (or no secret exists yet).
    SignatureInvalid,
}

impl Reason {
    /// The wire spelling, which is also the error code in Required mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SignatureMissing => "signature_missing",
            Reason::SignatureInvalid => "signature_invalid",
        }
    }
}

/// The likely mistake behind a failed signature, when it can be told without revealing
/// anything about the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    /// The signature is the HMAC of the email, not of the id.
    SignedEmail,
    /// The signature is the HMAC of the trimmed id; the id was sent with white space around it.
    IdWhitespace,
    /// Not 64 hex characters.
    MalformedSignature,
}

impl Hint {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Hint::SignedEmail => "signed_email",
            Hint::IdWhitespace => "id_whitespace",
            Hint::MalformedSignature => "malformed_signature",
        }
    }

    /// What to fix, in a sentence.
    pub fn advice(self) -> &'static str {
        match self {
            Hint::SignedEmail => "the signature is the HMAC of the email: sign the user id instead",
            Hint::IdWhitespace => {
                "the signature is the HMAC of the trimmed id: send the id exactly as you signed it"
            }
            Hint::MalformedSignature => {
                "the signature is not 64 hex characters: send the hex digest of HMAC-SHA256"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for p in [Plan::Free, Plan::Pro, Plan::Enterprise] {
            assert_eq!(p.as_str().parse::<Plan>(), Ok(p));
        }
        for m in [Mode::Off, Mode::Optional, Mode::Required] {
            assert_eq!(m.as_str().parse::<Mode>(), Ok(m));
        }
        let e = "gold".parse::<Plan>().unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"unknown plan "gold": use one of free, pro, enterprise"#
        );
    }

    #[test]
    fn only_a_paid_plan_with_mode_optional_or_required_verifies() {
        use Mode::*;
        use Plan::*;
        let rows = [
            (Free, Off, false),
            (Free, Optional, false),
            (Free, Required, false),
            (Pro, Off, false),
            (Pro, Optional, true),
            (Pro, Required, true),
            (Enterprise, Off, false),
            (Enterprise, Optional, true),
            (Enterprise, Required, true),
        ];
        for (plan, mode, expected) in rows {
            assert_eq!(verifies(plan, mode), expected, "{plan:?} {mode:?}");
        }
    }

    #[test]
    fn sending_rules() {
        use SendRefusal::*;
        let rows = [
            (Plan::Free, Mode::Required, None, Some(1), Ok(())),
            (Plan::Pro, Mode::Off, None, Some(1), Ok(())),
            (Plan::Pro, Mode::Optional, None, Some(1), Ok(())),
            (
                Plan::Pro,
                Mode::Required,
                None,
                Some(1),
                Err(VerificationRequired),
            ),
            (Plan::Pro, Mode::Required, Some(1), Some(1), Ok(())),
            (
                Plan::Enterprise,
                Mode::Required,
                Some(1),
                Some(2),
                Err(SignatureExpired),
            ),
            (
                Plan::Pro,
                Mode::Required,
                Some(1),
                None,
                Err(SignatureExpired),
            ),
        ];
        for (plan, mode, under, current, want) in rows {
            assert_eq!(
                may_send(plan, mode, under, current),
                want,
                "{plan} {mode} {under:?} {current:?}"
            );
        }
    }
}
