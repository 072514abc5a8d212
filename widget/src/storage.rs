//! What the widget keeps in localStorage, per app id: the visitor token (so a reload continues
//! the conversation), the user id a verified identify bound it to, and whether the contact form
//! was answered.

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn key(app_id: &str, what: &str) -> String {
    let mut k = String::from("replybubble:");
    k.push_str(app_id);
    k.push(':');
    k.push_str(what);
    k
}

fn get(app_id: &str, what: &str) -> Option<String> {
    storage()?.get_item(&key(app_id, what)).ok().flatten()
}

/// Stores (Some) or removes (None) one value; silently skipped when storage is unavailable.
fn put(app_id: &str, what: &str, value: Option<&str>) {
    if let Some(s) = storage() {
        let k = key(app_id, what);
        let _ = match value {
            Some(v) => s.set_item(&k, v),
            None => s.remove_item(&k),
        };
    }
}

/// The stored token of `app_id`.
pub fn load(app_id: &str) -> Option<String> {
    get(app_id, "token")
}

/// Stores the token of `app_id`.
pub fn save(app_id: &str, token: &str) {
    put(app_id, "token", Some(token));
}

/// Forgets the token of `app_id` and the user it was bound to.
pub fn forget(app_id: &str) {
    put(app_id, "token", None);
    put(app_id, "user", None);
}

/// The user id the stored session is bound to (by a verified identify), so the claim rule can
/// be applied after a reload even when `identify()` fails validation before any request.
pub fn bound_user(app_id: &str) -> Option<String> {
    get(app_id, "user")
}

/// Remembers (or forgets) the user id the stored session is bound to.
pub fn set_bound_user(app_id: &str, user_id: Option<&str>) {
    put(app_id, "user", user_id);
}

/// Whether this browser already answered (or skipped) the contact form for `app_id`.
pub fn form_done(app_id: &str) -> bool {
    get(app_id, "form").is_some()
}

/// Remembers (or forgets) that the contact form was answered.
pub fn set_form_done(app_id: &str, done: bool) {
    put(app_id, "form", done.then_some("1"));
}
