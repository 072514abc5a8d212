//! The visitor token, kept per app id in localStorage so a reload continues the conversation.

fn key(app_id: &str) -> String {
    let mut k = String::from("replybubble:");
    k.push_str(app_id);
    k.push_str(":token");
    k
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The stored token of `app_id`.
pub fn load(app_id: &str) -> Option<String> {
    storage()?.get_item(&key(app_id)).ok().flatten()
}

/// Stores the token of `app_id` (silently skipped when storage is unavailable).
pub fn save(app_id: &str, token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(&key(app_id), token);
    }
}

/// Forgets the token of `app_id`.
pub fn forget(app_id: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(app_id));
    }
}
