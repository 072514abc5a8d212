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

/// Seals verification secrets at rest with ChaCha20-Poly1305 (RustCrypto): a copy of the
/// database alone cannot sign or verify an identity. A sealed value reads `v1:` + hex(nonce) +
/// hex(ciphertext and tag); the context (what the value belongs to) is authenticated with it, so
/// a sealed secret copied to another workspace does not open.
pub struct SecretBox(chacha20poly1305::ChaCha20Poly1305);

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key redacted>)")
    }
}

/// A sealed value that does not open: another key, or damaged.
#[derive(Debug, thiserror::Error)]
#[error("a sealed secret does not open with this master key: restore the key file next to the database (or REPLYBUBBLE_MASTER_KEY) it was sealed with, or replace the secret with `replybubble verification regenerate-secret APP_ID`")]
pub struct WrongKey;

const SEALED_PREFIX: &str = "v1:";

impl SecretBox {
    /// A box on a 32-byte key.
    pub fn new(key: [u8; 32]) -> SecretBox {
        use chacha20poly1305::KeyInit;
        SecretBox(chacha20poly1305::ChaCha20Poly1305::new(&key.into()))
    }

    /// Whether a stored value is sealed (older databases hold secrets in clear).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(SEALED_PREFIX)
    }

    /// Seals `plain` for `context`.
    pub fn seal(&self, plain: &str, context: &str) -> String {
        use chacha20poly1305::aead::{Aead, Payload};
        let nonce = random_bytes::<12>();
        let sealed = self
            .0
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 encrypts any input that fits in memory");
        format!(
            "{SEALED_PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(sealed)
        )
    }

    /// Opens a value sealed for `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, WrongKey> {
        use chacha20poly1305::aead::{Aead, Payload};
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() > 12)
            .ok_or(WrongKey)?;
        let (nonce, body) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| WrongKey)?;
        let plain = self
            .0
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| WrongKey)?;
        String::from_utf8(plain).map_err(|_| WrongKey)
    }
}

/// Why the master key cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// `REPLYBUBBLE_MASTER_KEY` is not 64 hex characters.
    #[error("REPLYBUBBLE_MASTER_KEY must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`")]
    BadEnv,
    /// The key file is not 64 hex characters.
    #[error("{0}: the key file must hold 64 hex characters (32 bytes); it is damaged: restore it from your backup")]
    BadFile(String),
    /// The key file is gone but the database holds secrets sealed with its key.
    #[error("{path} is missing, and the database holds verification secrets sealed with the key it held: restore the file from your backup (or set REPLYBUBBLE_MASTER_KEY to its 64 hex characters). If the key is lost, so are those secrets: replace each with `replybubble --db {db} verification regenerate-secret APP_ID` (a new key file is made) and give your servers the new secret")]
    Missing {
        /// The key file.
        path: String,
        /// The `--db` value.
        db: String,
    },
    /// Stored secrets do not open with this key (another key, or damaged).
    #[error("the verification secrets of {} do not open with this master key: restore the key file next to the database (or REPLYBUBBLE_MASTER_KEY) they were sealed with; if that key is lost, replace each with `replybubble --db {db} verification regenerate-secret APP_ID` and give your servers the new secret", app_ids.join(", "))]
    Unreadable {
        /// The workspaces whose secret does not open.
        app_ids: Vec<String>,
        /// The `--db` value.
        db: String,
    },
    /// A PostgreSQL database has no file beside which to keep a key.
    #[error("with a PostgreSQL --db, give the master key in REPLYBUBBLE_MASTER_KEY (64 hex characters) or REPLYBUBBLE_MASTER_KEY_FILE: every instance must use the same key")]
    NoKeyForPostgres,
    /// The key file cannot be read or created.
    #[error("{path}: cannot read or create the key file: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

fn parse_key(text: &str) -> Option<[u8; 32]> {
    hex::decode(text.trim()).ok()?.try_into().ok()
}

/// The master key from `REPLYBUBBLE_MASTER_KEY` or the file `REPLYBUBBLE_MASTER_KEY_FILE` names,
/// when one of them is set.
pub fn key_from_env() -> Result<Option<[u8; 32]>, KeyError> {
    if let Ok(env) = std::env::var("REPLYBUBBLE_MASTER_KEY") {
        return parse_key(&env).map(Some).ok_or(KeyError::BadEnv);
    }
    if let Some(file) = std::env::var_os("REPLYBUBBLE_MASTER_KEY_FILE") {
        let path = std::path::PathBuf::from(file);
        let text = std::fs::read_to_string(&path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        return parse_key(&text)
            .map(Some)
            .ok_or_else(|| KeyError::BadFile(path.display().to_string()));
    }
    Ok(None)
}

/// Makes the key file `<db>.key` (0600, 32 random bytes; refused if one exists) and returns its
/// key. The master key itself comes from `REPLYBUBBLE_MASTER_KEY`, else the file
/// `REPLYBUBBLE_MASTER_KEY_FILE` names, else this file ([`key_from_env`], [`key_in_file`]): a
/// SQLite database gets a new one on first start (`Services::open` decides when).
pub fn new_key_file(db: &std::path::Path) -> Result<[u8; 32], KeyError> {
    let path = key_file(db);
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    let key = random_bytes::<32>();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    let mut file = options.open(&path).map_err(io)?;
    file.write_all(hex::encode(key).as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(key)
}

/// `<db>.key`: where a SQLite database's master key is kept.
pub fn key_file(db: &std::path::Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".key");
    std::path::PathBuf::from(name)
}

/// The key in `<db>.key`, when that file exists.
pub fn key_in_file(db: &std::path::Path) -> Result<Option<[u8; 32]>, KeyError> {
    let path = key_file(db);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_key(&text)
            .map(Some)
            .ok_or_else(|| KeyError::BadFile(path.display().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(KeyError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
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

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_context() {
        let a = SecretBox::new([7; 32]);
        let sealed = a.seal("rbsec_abc", "workspace 1");
        assert!(SecretBox::is_sealed(&sealed) && !sealed.contains("rbsec_abc"));
        assert_ne!(
            sealed,
            a.seal("rbsec_abc", "workspace 1"),
            "a fresh nonce each time"
        );
        assert_eq!(a.open(&sealed, "workspace 1").unwrap(), "rbsec_abc");
        assert!(
            a.open(&sealed, "workspace 2").is_err(),
            "bound to its context"
        );
        assert!(SecretBox::new([8; 32])
            .open(&sealed, "workspace 1")
            .is_err());
        assert!(a.open("v1:zz", "workspace 1").is_err());
        assert!(a.open("rbsec_abc", "workspace 1").is_err());
    }

    #[test]
    fn the_key_file_is_made_once_0600_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        let first = new_key_file(&db).unwrap();
        assert_eq!(key_in_file(&db).unwrap(), Some(first));
        assert!(new_key_file(&db).is_err(), "never over an existing key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("k.db.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("k.db.key"), "short").unwrap();
        assert!(matches!(key_in_file(&db), Err(KeyError::BadFile(_))));
    }
}
