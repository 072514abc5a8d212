//! Randomness and hashing: ids, tokens, secrets and password hashes.

use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    buf
}

/// A new public app id: `app_` and 16 hex characters.
pub fn new_app_id() -> String {
    format!("app_{}", hex::encode(random_bytes::<8>()))
}

/// A new verification secret: `rbsec_` and 64 hex characters (32 random bytes).
pub fn new_secret() -> String {
    format!("rbsec_{}", hex::encode(random_bytes::<32>()))
}

/// A new bearer token with a readable prefix and 256 random bits.
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}_{}", hex::encode(random_bytes::<32>()))
}

/// What the database keeps of a token: its SHA-256.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Five hex characters for `Visitor #xxxxx`.
pub fn new_visitor_label() -> String {
    let b = random_bytes::<3>();
    let hex = hex::encode(b);
    format!("Visitor #{}", &hex[..5])
}

/// Compares two secrets (tokens, CSRF values) in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// An argon2id hash of `password` in PHC format.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes is a valid salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail")
        .to_string()
}

/// Checks `password` against a PHC hash made by [`hash_password`].
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = new_token("rbv");
        assert_eq!(a.len(), 4 + 64);
        assert_ne!(a, new_token("rbv"));
        assert_eq!(token_hash(&a).len(), 32);
        assert!(new_secret().starts_with("rbsec_"));
        let label = new_visitor_label();
        assert!(
            label.starts_with("Visitor #") && label.len() == 14,
            "{label}"
        );
    }

    #[test]
    fn passwords_hash_with_argon2id() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
