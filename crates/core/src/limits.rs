//! Every field limit of ReplyBubble, in one place. Lengths count Unicode scalar values.

/// `id`: required, 1..=512 characters, never trimmed (the signature covers the exact string).
pub const ID_MAX: usize = 512;
/// `signature`: lowercase or uppercase hex of a 32-byte HMAC-SHA256, so 64 characters.
pub const SIGNATURE_HEX_LEN: usize = 64;
/// `email`: at most 254 characters (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;
/// `name`: at most 200 characters.
pub const NAME_MAX: usize = 200;
/// `company`: at most 200 characters.
pub const COMPANY_MAX: usize = 200;
/// `phone`: at most 50 characters.
pub const PHONE_MAX: usize = 50;
/// `traits`: at most 20 keys.
pub const TRAITS_MAX_KEYS: usize = 20;
/// A trait key: 1..=100 characters.
pub const TRAIT_KEY_MAX: usize = 100;
/// A trait's string value: at most 1000 characters.
pub const TRAIT_VALUE_MAX: usize = 1000;
/// A chat message body: 1..=5000 characters.
pub const MESSAGE_MAX: usize = 5000;
/// How many messages one `GET messages` page returns at most.
pub const MESSAGES_PAGE: usize = 100;
/// A workspace name: 1..=100 characters.
pub const WORKSPACE_NAME_MAX: usize = 100;
/// An agent's password: at least 10 characters.
pub const PASSWORD_MIN: usize = 10;
/// An agent's password: at most 1000 characters (argon2 hashes any length; this bounds the work).
pub const PASSWORD_MAX: usize = 1000;
/// A page the visitor is on (`POST page`): its URL, at most 2048 characters, http(s) only.
pub const PAGE_URL_MAX: usize = 2048;
/// A page's title: at most 300 characters (the widget cuts longer ones).
pub const PAGE_TITLE_MAX: usize = 300;
/// Appearance: the panel title and the launcher label, at most 60 characters.
pub const APPEARANCE_TITLE_MAX: usize = 60;
/// Appearance: the line under the title, at most 120 characters.
pub const APPEARANCE_SUBTITLE_MAX: usize = 120;
/// Appearance: offsets from the edges, 0..=400 pixels.
pub const APPEARANCE_OFFSET_MAX: u32 = 400;
/// Appearance: the CSS z-index, 0..=2147483647.
pub const APPEARANCE_Z_INDEX_MAX: u32 = 2_147_483_647;
/// The browser's language tag the widget sends with `session` (`navigator.language`): at most
/// 35 characters (BCP 47's longest practical tag).
pub const LOCALE_TAG_MAX: usize = 35;
/// A string a page overrides with `init({ strings })`: at most 300 characters.
pub const STRING_OVERRIDE_MAX: usize = 300;

/// The most bytes one character takes in a JSON string: a character outside the Basic
/// Multilingual Plane written as two `\uXXXX` escapes (what `ensure_ascii` encoders such as
/// Python's `json.dumps` send).
pub const JSON_BYTES_PER_CHAR_MAX: usize = 12;

/// The largest `identify` body the field limits allow, in bytes: every text field and trait at
/// its limit, every character at its widest JSON escape, the keys, quotes and separators, and
/// 4 KiB for whitespace and numbers. The server reads identify bodies up to this size, so a
/// body that is valid under the field limits is never refused as too large (413) — the claim
/// rule needs to read the `id` of every identify it could have to apply to.
pub const IDENTIFY_BODY_MAX_BYTES: usize = {
    let chars = ID_MAX
        + EMAIL_MAX
        + NAME_MAX
        + COMPANY_MAX
        + PHONE_MAX
        + TRAITS_MAX_KEYS * (TRAIT_KEY_MAX + TRAIT_VALUE_MAX);
    // `{"id":"","signature":"","email":"","name":"","company":"","phone":"","traits":{}}`
    // is 77 bytes; each trait adds `"":"",` (6).
    let structure = 77 + SIGNATURE_HEX_LEN + TRAITS_MAX_KEYS * 6;
    chars * JSON_BYTES_PER_CHAR_MAX + structure + 4096
};
