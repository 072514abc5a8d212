//! `serve --demo`'s data: a demo workspace (Pro, Optional, with a secret) and an owner login,
//! created once; a fresh owner password at each start, stored only as an argon2 hash; the owner
//! locked out when the server runs without `--demo`. The demo shop's routes are in `http::demo`.

use super::{ServiceError, Services};
use crate::crypto;
use crate::store::DemoSeed;

/// What a newcomer needs to try the product.
#[derive(Debug, Clone)]
pub struct DemoInfo {
    /// The demo workspace's app id.
    pub app_id: String,
    /// The owner's login email.
    pub email: String,
    /// The owner's password for this start: printed once, stored only as a hash.
    pub password: String,
}

/// A password hash no password matches: the demo owner's while the server runs without `--demo`.
const LOCKED: &str = "!locked: serve --demo sets a fresh password";

/// The demo owner's login email.
const OWNER: &str = "owner@demo.replybubble.test";

/// Seeds the demo (with `demo`) and returns its login, or locks the demo owner out (without).
pub async fn prepare(s: &Services, demo: bool) -> Result<Option<DemoInfo>, ServiceError> {
    if !demo {
        s.store.lock_demo(LOCKED.to_owned()).await?;
        return Ok(None);
    }
    let password = hex::encode(crypto::random_bytes::<8>());
    // The app id and the (sealed) secret are used only when the demo does not exist yet.
    let app_id = crypto::new_app_id();
    let secret = s
        .secrets
        .seal(&crypto::new_secret(), &super::secret_context(&app_id));
    let (app_id, email) = s
        .store
        .seed_demo(DemoSeed {
            app_id,
            secret,
            owner_email: OWNER.to_owned(),
            password_hash: crypto::hash_password(&password),
            now: s.clock.now_ms(),
        })
        .await?;
    Ok(Some(DemoInfo {
        app_id,
        email,
        password,
    }))
}
