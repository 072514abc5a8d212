// What the fuzz targets run, shared with the corpus replay in crates/core/tests: any bytes, no
// panic, and every answer consistent with itself.

/// Bytes as an identify body: JSON → `Value` → validation. Valid users must round-trip their id.
pub fn identify(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<replybubble_core::Value>(data) else {
        return;
    };
    if let Ok(parsed) = replybubble_core::IdentifyUser::parse(&value) {
        let id: &str = parsed.user.id.as_ref();
        assert!(!id.is_empty());
        assert!(id.chars().count() <= replybubble_core::limits::ID_MAX);
    }
    let _ = replybubble_core::user::VisitorDetails::parse(&value);
    let _ = replybubble_core::MessageBody::parse_value(value.get("body"));
}

/// Bytes as (secret, id, signature, email): verification never panics, a signature made with
/// the secret always verifies, and the diagnosis of a failure never claims a valid signature.
pub fn signature(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{1f}');
    let secret = parts.next().unwrap_or("");
    let id = parts.next().unwrap_or("");
    let sig = parts.next().unwrap_or("");
    let email = parts.next();
    use replybubble_core::signature::{diagnose, sign, verify};
    if verify(secret, id, sig).is_err() {
        let _ = diagnose(secret, id, sig, email);
    }
    let good = sign(secret, id);
    assert!(verify(secret, id, &good).is_ok());
    assert!(verify(secret, id, &good.to_uppercase()).is_ok());
}
