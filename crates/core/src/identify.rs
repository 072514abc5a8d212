//! The identify decision: plan first, then mode, then signature (DESIGN.md's table).
//!
//! One pure function, [`decide`], gives the outcome of every `identify()` call. The server maps
//! the outcome to HTTP; nothing else decides.

pub use crate::decision::Reason;
use crate::decision::{Hint, Mode, Plan};
use crate::signature;
use crate::user::IdentifyUser;

/// The workspace's current secret and its version (1 for the first, +1 per regenerate).
#[derive(Debug, Clone, Copy)]
pub struct CurrentSecret<'a> {
    /// The secret text.
    pub value: &'a str,
    /// Its version.
    pub version: u32,
}

/// The outcome of one identify call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Free plan: refused before anything else (402).
    PlanUpgradeRequired,
    /// Mode Off: `{ status: "disabled" }`.
    Disabled,
    /// The signature is valid under the current secret.
    Verified {
        /// The secret version it was verified under.
        secret_version: u32,
    },
    /// Optional mode, signature missing or invalid: prefill only, no contact.
    Unverified {
        /// Missing or invalid.
        reason: Reason,
        /// The likely mistake, when known.
        hint: Option<Hint>,
    },
    /// Required mode, signature missing or invalid (403).
    Rejected {
        /// Missing or invalid.
        reason: Reason,
        /// The likely mistake, when known.
        hint: Option<Hint>,
    },
}

/// What an identify call came to, as recorded for the verification panel: the outcome of the
/// decision, or `Invalid` when a field broke a limit before any decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifyResult {
    /// Free plan: 402.
    PlanUpgradeRequired,
    /// Mode Off.
    Disabled,
    /// A valid signature.
    Verified,
    /// Optional mode, missing or invalid signature.
    Unverified,
    /// Required mode refused it (or a send after a regenerate).
    Rejected,
    /// A field broke a limit (400).
    Invalid,
}

crate::decision::str_enum!(
    IdentifyResult,
    "identify result",
    PlanUpgradeRequired = "plan_upgrade_required",
    Disabled = "disabled",
    Verified = "verified",
    Unverified = "unverified",
    Rejected = "rejected",
    Invalid = "invalid"
);

impl IdentifyResult {
    /// Whether Required mode would refuse a call with this result (readiness counts these).
    pub fn fails_required(self) -> bool {
        matches!(self, IdentifyResult::Unverified | IdentifyResult::Rejected)
    }

    /// Whether the signature was checked (readiness counts the user ids of these calls).
    pub fn was_checked(self) -> bool {
        self.fails_required() || self == IdentifyResult::Verified
    }

    /// Whether the panel lists the call as a failure: Required would refuse it, or a field was
    /// invalid.
    pub fn is_failure(self) -> bool {
        self.fails_required() || self == IdentifyResult::Invalid
    }
}

impl Outcome {
    /// The result recorded for the activity panel.
    pub fn result(&self) -> IdentifyResult {
        match self {
            Outcome::PlanUpgradeRequired => IdentifyResult::PlanUpgradeRequired,
            Outcome::Disabled => IdentifyResult::Disabled,
            Outcome::Verified { .. } => IdentifyResult::Verified,
            Outcome::Unverified { .. } => IdentifyResult::Unverified,
            Outcome::Rejected { .. } => IdentifyResult::Rejected,
        }
    }

    /// The code recorded with the result (the error code for refusals, the reason otherwise).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Outcome::PlanUpgradeRequired => Some(crate::decision::PlanUpgradeRequired::CODE),
            Outcome::Disabled | Outcome::Verified { .. } => None,
            Outcome::Unverified { reason, .. } | Outcome::Rejected { reason, .. } => {
                Some(reason.as_str())
            }
        }
    }

    /// The hint, when there is one.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            Outcome::Unverified { hint, .. } | Outcome::Rejected { hint, .. } => *hint,
            _ => None,
        }
    }
}

/// Decides one identify call.
pub fn decide(
    plan: Plan,
    mode: Mode,
    secret: Option<CurrentSecret<'_>>,
    user: &IdentifyUser,
) -> Outcome {
    if plan.check_verification().is_err() {
        return Outcome::PlanUpgradeRequired;
    }
    if mode == Mode::Off {
        return Outcome::Disabled;
    }
    let (reason, hint) = match (&user.signature, secret) {
        (None, _) => (Reason::SignatureMissing, None),
        (Some(sig), Some(secret)) => {
            let id = user.id.as_ref();
            match signature::verify(secret.value, id, sig) {
                Ok(()) => {
                    return Outcome::Verified {
                        secret_version: secret.version,
                    }
                }
                Err(_) => {
                    let email = user.email.as_ref().map(|e| e.as_ref());
                    (
                        Reason::SignatureInvalid,
                        signature::diagnose(secret.value, id, sig, email),
                    )
                }
            }
        }
        // A mode was chosen before any secret was generated: nothing can verify.
        (Some(sig), None) => {
            let hint = (sig.len() != crate::limits::SIGNATURE_HEX_LEN
                || !sig.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(Hint::MalformedSignature);
            (Reason::SignatureInvalid, hint)
        }
    };
    match mode {
        Mode::Required => Outcome::Rejected { reason, hint },
        _ => Outcome::Unverified { reason, hint },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::sign;
    use crate::value::Value;

    const SECRET: &str = "rbsec_test";

    fn user(signature: Option<&str>) -> IdentifyUser {
        let mut pairs = vec![
            ("id".to_string(), Value::String("user_42".into())),
            ("email".to_string(), Value::String("ada@example.com".into())),
        ];
        if let Some(s) = signature {
            pairs.push(("signature".to_string(), Value::String(s.into())));
        }
        IdentifyUser::parse(&Value::Object(pairs)).unwrap().user
    }

    /// The single entry point of the data-driven table below.
    fn check(plan: Plan, mode: Mode, sig: Option<&str>, want: Outcome) {
        let secret = Some(CurrentSecret {
            value: SECRET,
            version: 3,
        });
        assert_eq!(
            decide(plan, mode, secret, &user(sig)),
            want,
            "{plan} {mode} {sig:?}"
        );
    }

    #[test]
    fn decision_table() {
        use Mode::*;
        use Outcome::*;
        use Plan::*;
        use Reason::*;
        let valid = sign(SECRET, "user_42");
        let wrong = sign("another secret", "user_42");
        let of_email = sign(SECRET, "ada@example.com");
        let v = Some(valid.as_str());
        // Row 1: free, any mode, any signature -> 402.
        for mode in [Off, Optional, Required] {
            for sig in [None, v, Some("zz")] {
                check(Free, mode, sig, PlanUpgradeRequired);
            }
        }
        for plan in [Pro, Enterprise] {
            // Row 2: off -> disabled, whatever the signature.
            for sig in [None, v, Some("zz")] {
                check(plan, Off, sig, Disabled);
            }
            // Rows 3 and 5: valid -> verified under the current version (either hex case).
            check(plan, Optional, v, Verified { secret_version: 3 });
            check(plan, Required, v, Verified { secret_version: 3 });
            check(
                plan,
                Required,
                Some(&valid.to_uppercase()),
                Verified { secret_version: 3 },
            );
            // Row 4: optional, missing/invalid -> unverified with reason and hint.
            check(
                plan,
                Optional,
                None,
                Unverified {
                    reason: SignatureMissing,
                    hint: None,
                },
            );
            check(
                plan,
                Optional,
                Some(&wrong),
                Unverified {
                    reason: SignatureInvalid,
                    hint: None,
                },
            );
            check(
                plan,
                Optional,
                Some(&of_email),
                Unverified {
                    reason: SignatureInvalid,
                    hint: Some(Hint::SignedEmail),
                },
            );
            // Row 6: required, missing/invalid -> rejected.
            check(
                plan,
                Required,
                None,
                Rejected {
                    reason: SignatureMissing,
                    hint: None,
                },
            );
            check(
                plan,
                Required,
                Some("nothex"),
                Rejected {
                    reason: SignatureInvalid,
                    hint: Some(Hint::MalformedSignature),
                },
            );
        }
    }

    #[test]
    fn no_secret_yet_means_nothing_verifies() {
        let sig = sign(SECRET, "user_42");
        let got = decide(Plan::Pro, Mode::Optional, None, &user(Some(&sig)));
        assert_eq!(
            got,
            Outcome::Unverified {
                reason: Reason::SignatureInvalid,
                hint: None
            }
        );
        let got = decide(Plan::Pro, Mode::Required, None, &user(Some("x")));
        assert_eq!(
            got,
            Outcome::Rejected {
                reason: Reason::SignatureInvalid,
                hint: Some(Hint::MalformedSignature)
            }
        );
    }

    #[test]
    fn outcome_codes() {
        assert_eq!(
            Outcome::PlanUpgradeRequired.code(),
            Some("plan_upgrade_required")
        );
        let o = Outcome::Rejected {
            reason: Reason::SignatureInvalid,
            hint: Some(Hint::IdWhitespace),
        };
        assert_eq!(
            (o.result(), o.code(), o.hint()),
            (
                IdentifyResult::Rejected,
                Some("signature_invalid"),
                Some(Hint::IdWhitespace)
            )
        );
    }
}
