//! HMAC-SHA256 exactly as DESIGN.md "HMAC, exactly" says.
//!
//! `signature = lowercase_hex(HMAC_SHA256(key = UTF-8 secret, msg = UTF-8 id))`. Verification
//! accepts hex in either case, requires exactly 32 bytes and compares in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub use crate::decision::Hint;
use crate::limits::SIGNATURE_HEX_LEN;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, message: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The signature of `id` under `secret`, as lowercase hex.
pub fn sign(secret: &str, id: &str) -> String {
    hex::encode(mac(secret, id))
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not 64 hex characters.
    #[error("the signature must be 64 hex characters")]
    Malformed,
    /// Well-formed, but not the HMAC of this id under this secret.
    #[error("the signature does not match this id and secret")]
    Mismatch,
}

/// Decodes 64 hex characters (either case) into 32 bytes.
fn decode(signature: &str) -> Option<[u8; 32]> {
    if signature.len() != SIGNATURE_HEX_LEN {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(signature, &mut out).ok()?;
    Some(out)
}

/// Checks `signature` against `id` under `secret`, in constant time.
pub fn verify(secret: &str, id: &str, signature: &str) -> Result<(), SignatureError> {
    let given = decode(signature).ok_or(SignatureError::Malformed)?;
    let expected = mac(secret, id);
    if bool::from(expected.ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Names the likely mistake of a signature that failed [`verify`]. Returns None when the
/// signature is valid or no mistake is recognised.
pub fn diagnose(secret: &str, id: &str, signature: &str, email: Option<&str>) -> Option<Hint> {
    let given = match decode(signature) {
        Some(bytes) => bytes,
        None => return Some(Hint::MalformedSignature),
    };
    let matches = |message: &str| bool::from(mac(secret, message).ct_eq(&given));
    if matches(id) {
        return None;
    }
    if let Some(email) = email {
        if !email.is_empty() && email != id && matches(email) {
            return Some(Hint::SignedEmail);
        }
    }
    let trimmed = id.trim();
    if trimmed != id && matches(trimmed) {
        return Some(Hint::IdWhitespace);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Vectors {
        vectors: Vec<Vector>,
    }
    #[derive(Deserialize)]
    struct Vector {
        secret: String,
        id: String,
        signature: String,
    }

    #[test]
    fn every_shared_vector_signs_and_verifies() {
        let v: Vectors =
            serde_json::from_str(include_str!("../tests/vectors/identify-hmac.json")).unwrap();
        assert!(v.vectors.len() >= 10);
        for t in v.vectors {
            assert_eq!(sign(&t.secret, &t.id), t.signature, "id {:?}", t.id);
            assert_eq!(verify(&t.secret, &t.id, &t.signature), Ok(()));
            assert_eq!(
                verify(&t.secret, &t.id, &t.signature.to_uppercase()),
                Ok(())
            );
        }
    }

    /// RFC 4231 test cases 1-4, 6 and 7 (case 5 tests truncation, which HMAC-SHA256 here never does).
    #[test]
    fn rfc_4231_vectors() {
        fn raw(key: &[u8], data: &[u8]) -> String {
            let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap();
            m.update(data);
            hex::encode(m.finalize().into_bytes())
        }
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (vec![0x0b; 20], b"Hi There".to_vec(), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec(), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (vec![0xaa; 20], vec![0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            ((1u8..=25).collect(), vec![0xcd; 50], "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            (vec![0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            (vec![0xaa; 131], b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ];
        for (key, data, want) in cases {
            assert_eq!(raw(&key, &data), want);
        }
    }

    #[test]
    fn malformed_signatures_are_named() {
        for bad in [
            "",
            "abc",
            &"g".repeat(64),
            &"a".repeat(63),
            &"a".repeat(65),
            &"é".repeat(32),
        ] {
            assert_eq!(
                verify("s", "u", bad),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
            assert_eq!(
                diagnose("s", "u", bad, None),
                Some(Hint::MalformedSignature)
            );
        }
    }

    #[test]
    fn diagnose_names_signed_email_and_id_whitespace() {
        let sig = sign("s3cr3t", "ada@example.com");
        assert_eq!(
            diagnose("s3cr3t", "u1", &sig, Some("ada@example.com")),
            Some(Hint::SignedEmail)
        );
        let sig = sign("s3cr3t", "u1");
        assert_eq!(
            diagnose("s3cr3t", " u1 ", &sig, None),
            Some(Hint::IdWhitespace)
        );
        assert_eq!(
            diagnose("s3cr3t", "u1", &sig, None),
            None,
            "valid: nothing to diagnose"
        );
        assert_eq!(
            diagnose("other", "u1", &sig, Some("a@b")),
            None,
            "wrong secret: no hint"
        );
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(secret in ".{0,80}", id in ".{1,100}") {
            let sig = sign(&secret, &id);
            prop_assert_eq!(sig.len(), 64);
            prop_assert_eq!(verify(&secret, &id, &sig), Ok(()));
        }

        #[test]
        fn any_changed_byte_of_id_fails(secret in ".{1,40}", id in "[ -~]{1,60}", pos in any::<prop::sample::Index>(), delta in 1u8..=94) {
            let sig = sign(&secret, &id);
            let mut bytes = id.clone().into_bytes();
            let i = pos.index(bytes.len());
            bytes[i] = b' ' + ((bytes[i] - b' ' + delta) % 95);
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(verify(&secret, &changed, &sig), Err(SignatureError::Mismatch));
        }

        #[test]
        fn any_changed_hex_digit_of_signature_fails(secret in ".{1,40}", id in ".{1,60}", pos in 0usize..64, delta in 1u8..16) {
            let sig = sign(&secret, &id);
            let mut chars: Vec<char> = sig.chars().collect();
            let d = chars[pos].to_digit(16).unwrap() as u8;
            chars[pos] = std::char::from_digit(((d + delta) % 16) as u32, 16).unwrap();
            let changed: String = chars.into_iter().collect();
            prop_assert_eq!(verify(&secret, &id, &changed), Err(SignatureError::Mismatch));
        }
    }
}
