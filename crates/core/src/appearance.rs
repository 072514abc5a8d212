//! How a workspace's widget looks and speaks (DESIGN.md "Frontend SDK", Appearance): colour,
//! corner, offsets, stacking, its own titles, and the language of every string it shows.
//!
//! The server keeps an [`Appearance`] per workspace and answers `session` with the strings
//! already resolved ([`Appearance::strings`]), so the widget carries no translation table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::field::{check_text, FieldError, Problem};
use crate::limits::{
    APPEARANCE_OFFSET_MAX, APPEARANCE_SUBTITLE_MAX, APPEARANCE_TITLE_MAX, APPEARANCE_Z_INDEX_MAX,
};

/// The corner the launcher sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// Bottom left.
    Left,
    /// Bottom right (the default).
    #[default]
    Right,
}

impl Position {
    /// The spelling of the wire, the database and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Left => "left",
            Position::Right => "right",
        }
    }
}

impl FromStr for Position {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "left" => Ok(Position::Left),
            "right" => Ok(Position::Right),
            _ => Err(FieldError::new(
                "position",
                Problem::Invalid("must be \"left\" or \"right\""),
            )),
        }
    }
}

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

impl Lang {
    /// Every language, in the order the dashboard lists them.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::De, Lang::Fr, Lang::Es];

    /// The language tag (`en`, `de`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// The language of a BCP 47 tag as browsers give it (`de-AT` → German); `None` for one we
    /// do not speak.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|l| primary.eq_ignore_ascii_case(l.as_str()))
    }
}

/// A workspace's language setting: a fixed language, or the visitor's browser's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    /// The visitor's `navigator.language` when we speak it, else English.
    #[default]
    Auto,
    /// Always this language.
    Fixed(Lang),
}

impl Locale {
    /// The spelling of the database and the CLI (`auto`, `en`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Auto => "auto",
            Locale::Fixed(l) => l.as_str(),
        }
    }

    /// The language for a visitor whose browser says `browser` (`navigator.language`).
    pub fn resolve(self, browser: Option<&str>) -> Lang {
        match self {
            Locale::Fixed(l) => l,
            Locale::Auto => browser.and_then(Lang::from_tag).unwrap_or(Lang::En),
        }
    }
}

impl FromStr for Locale {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        if s == "auto" {
            return Ok(Locale::Auto);
        }
        Lang::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .map(Locale::Fixed)
            .ok_or_else(|| {
                FieldError::new(
                    "locale",
                    Problem::Invalid("must be \"auto\", \"en\", \"de\", \"fr\" or \"es\""),
                )
            })
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A colour as `#rrggbb` (lowercase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Color(String);

impl Color {
    /// ReplyBubble's indigo.
    pub const DEFAULT: &'static str = "#4f46e5";

    /// Accepts `#rgb` or `#rrggbb`, any case.
    pub fn parse(s: &str) -> Result<Color, FieldError> {
        let bad = || {
            FieldError::new(
                "color",
                Problem::Invalid("must be a hex colour like #4f46e5 (or #44e)"),
            )
        };
        let hex = s.strip_prefix('#').ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let full = match hex.len() {
            3 => hex.chars().flat_map(|c| [c, c]).collect(),
            6 => hex.to_owned(),
            _ => return Err(bad()),
        };
        Ok(Color(format!("#{}", full.to_ascii_lowercase())))
    }

    /// `#rrggbb`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text colour readable on this one: dark on light colours, white on dark ones (WCAG
    /// relative luminance, the contrast of both compared).
    pub fn on_color(&self) -> &'static str {
        let channel = |i: usize| {
            let v = u8::from_str_radix(&self.0[i..i + 2], 16).unwrap_or(0) as f64 / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
        // Contrast with white (L = 1) against contrast with #111827 (L ≈ 0.0116).
        if (1.05) / (l + 0.05) >= (l + 0.05) / (0.0116 + 0.05) {
            "#ffffff"
        } else {
            "#111827"
        }
    }
}

impl Default for Color {
    fn default() -> Color {
        Color(Color::DEFAULT.to_owned())
    }
}

/// A workspace's widget appearance, validated. What the dashboard and the CLI set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appearance {
    /// The launcher's and the header's colour.
    pub color: Color,
    /// The corner.
    pub position: Position,
    /// Pixels from the left or right edge.
    pub offset_x: u32,
    /// Pixels from the bottom edge.
    pub offset_y: u32,
    /// The CSS `z-index` of the widget's box.
    pub z_index: u32,
    /// The panel's title, instead of the language's.
    pub title: Option<String>,
    /// The line under the title, instead of the language's.
    pub subtitle: Option<String>,
    /// The launcher's accessible label, instead of the language's.
    pub launcher_label: Option<String>,
    /// The language.
    pub locale: Locale,
}

impl Default for Appearance {
    fn default() -> Appearance {
        Appearance {
            color: Color::default(),
            position: Position::Right,
            offset_x: 20,
            offset_y: 20,
            z_index: 2_147_483_000,
            title: None,
            subtitle: None,
            launcher_label: None,
            locale: Locale::Auto,
        }
    }
}

/// Checks a pixel offset (`field` names it).
pub fn parse_offset(field: &str, n: i64) -> Result<u32, FieldError> {
    if (0..=APPEARANCE_OFFSET_MAX as i64).contains(&n) {
        Ok(n as u32)
    } else {
        Err(FieldError::new(
            field,
            Problem::Invalid("must be a whole number of pixels from 0 to 400"),
        ))
    }
}

/// Checks a `z-index`.
pub fn parse_z_index(n: i64) -> Result<u32, FieldError> {
    if (0..=APPEARANCE_Z_INDEX_MAX as i64).contains(&n) {
        Ok(n as u32)
    } else {
        Err(FieldError::new(
            "z_index",
            Problem::Invalid("must be a whole number from 0 to 2147483647"),
        ))
    }
}

/// Checks an own text (`title`, `subtitle`, `launcher_label`): trimmed, empty means "the
/// language's".
pub fn parse_text(field: &str, s: &str) -> Result<Option<String>, FieldError> {
    let max = if field == "subtitle" {
        APPEARANCE_SUBTITLE_MAX
    } else {
        APPEARANCE_TITLE_MAX
    };
    let t = s.trim();
    check_text(field, t, max)?;
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

/// The browser's language tag from a `session` request's `locale` (absent: none).
pub fn browser_locale(raw: &crate::value::Value) -> Result<Option<&str>, FieldError> {
    use crate::value::Value;
    match raw.get("locale") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            check_text("locale", s, crate::limits::LOCALE_TAG_MAX)?;
            Ok(Some(s))
        }
        Some(other) => Err(FieldError::new(
            "locale",
            Problem::WrongType {
                expected: "a language tag string like \"de-DE\" (navigator.language)",
                got: other.kind(),
            },
        )),
    }
}

/// Every string the widget shows, by key. The widget looks them up by these keys in the
/// `session` answer's `appearance.strings`, and a page may override any of them with
/// `init({ strings })`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// The panel's title.
    Title,
    /// The line under the title.
    Subtitle,
    /// The launcher's accessible label.
    LauncherLabel,
    /// The close button's accessible label.
    CloseLabel,
    /// The empty conversation's line.
    Empty,
    /// The contact form's question.
    FormTitle,
    /// The contact form's name label.
    NameLabel,
    /// The contact form's email label.
    EmailLabel,
    /// The contact form's skip button.
    Skip,
    /// The contact form's save button.
    Save,
    /// The contact form's error when neither a name nor a valid email was given.
    FormError,
    /// The composer's placeholder.
    Placeholder,
    /// The send button's accessible label.
    SendLabel,
    /// The message list's accessible label.
    MessagesLabel,
    /// After the unread count in the launcher's label ("3 unread").
    Unread,
    /// Before the time of the visitor's own messages.
    You,
    /// Before the time of an agent's messages.
    Agent,
    /// The verified badge, before the name.
    Verified,
    /// The verified badge's name when the contact has none.
    SignedIn,
    /// Required mode's notice to a visitor who is not signed in.
    RequiredNotice,
    /// The header's line while nobody can answer and the hours give no time.
    Away,
    /// The header's line outside business hours; `{when}` becomes the next opening in the
    /// visitor's language and time zone ("Monday 09:00").
    BackAt,
}

impl Text {
    /// Every key, in the order of the widget's template.
    pub const ALL: [Text; 22] = [
        Text::Title,
        Text::Subtitle,
        Text::LauncherLabel,
        Text::CloseLabel,
        Text::Empty,
        Text::FormTitle,
        Text::NameLabel,
        Text::EmailLabel,
        Text::Skip,
        Text::Save,
        Text::FormError,
        Text::Placeholder,
        Text::SendLabel,
        Text::MessagesLabel,
        Text::Unread,
        Text::You,
        Text::Agent,
        Text::Verified,
        Text::SignedIn,
        Text::RequiredNotice,
        Text::Away,
        Text::BackAt,
    ];

    /// The key of `appearance.strings` and of `init({ strings })`.
    pub fn key(self) -> &'static str {
        match self {
            Text::Title => "title",
            Text::Subtitle => "subtitle",
            Text::LauncherLabel => "launcher_label",
            Text::CloseLabel => "close_label",
            Text::Empty => "empty",
            Text::FormTitle => "form_title",
            Text::NameLabel => "name_label",
            Text::EmailLabel => "email_label",
            Text::Skip => "skip",
            Text::Save => "save",
            Text::FormError => "form_error",
            Text::Placeholder => "placeholder",
            Text::SendLabel => "send_label",
            Text::MessagesLabel => "messages_label",
            Text::Unread => "unread",
            Text::You => "you",
            Text::Agent => "agent",
            Text::Verified => "verified",
            Text::SignedIn => "signed_in",
            Text::RequiredNotice => "required_notice",
            Text::Away => "away",
            Text::BackAt => "back_at",
        }
    }

    /// The text in `lang`.
    pub fn in_lang(self, lang: Lang) -> &'static str {
        let [en, de, fr, es] = self.translations();
        match lang {
            Lang::En => en,
            Lang::De => de,
            Lang::Fr => fr,
            Lang::Es => es,
        }
    }

    fn translations(self) -> [&'static str; 4] {
        match self {
            Text::Title => ["Chat with us", "Chatten Sie mit uns", "Discutons", "Chatea con nosotros"],
            Text::Subtitle => [
                "We usually reply in a few minutes",
                "Wir antworten meist in wenigen Minuten",
                "Nous répondons en général en quelques minutes",
                "Solemos responder en pocos minutos",
            ],
            Text::LauncherLabel => ["Open chat", "Chat öffnen", "Ouvrir le chat", "Abrir el chat"],
            Text::CloseLabel => ["Close chat", "Chat schließen", "Fermer le chat", "Cerrar el chat"],
            Text::Empty => [
                "Ask us anything — we're here to help.",
                "Fragen Sie uns alles – wir helfen gern.",
                "Posez-nous vos questions, nous sommes là pour vous aider.",
                "Pregúntanos lo que quieras: estamos para ayudarte.",
            ],
            Text::FormTitle => [
                "How can we reach you if you leave?",
                "Wie erreichen wir Sie, falls Sie gehen?",
                "Comment vous joindre si vous partez ?",
                "¿Cómo te contactamos si te vas?",
            ],
            Text::NameLabel => ["Name", "Name", "Nom", "Nombre"],
            Text::EmailLabel => ["Email", "E-Mail", "E-mail", "Correo electrónico"],
            Text::Skip => ["Skip", "Überspringen", "Passer", "Omitir"],
            Text::Save => ["Save", "Speichern", "Enregistrer", "Guardar"],
            Text::FormError => [
                "Please give your name or a valid email address.",
                "Bitte geben Sie Ihren Namen oder eine gültige E-Mail-Adresse an.",
                "Indiquez votre nom ou une adresse e-mail valide.",
                "Indica tu nombre o un correo electrónico válido.",
            ],
            Text::Placeholder => [
                "Write a message…",
                "Nachricht schreiben …",
                "Écrivez un message…",
                "Escribe un mensaje…",
            ],
            Text::SendLabel => ["Send message", "Nachricht senden", "Envoyer le message", "Enviar mensaje"],
            Text::MessagesLabel => ["Messages", "Nachrichten", "Messages", "Mensajes"],
            Text::Unread => ["unread", "ungelesen", "non lus", "sin leer"],
            Text::You => ["You", "Sie", "Vous", "Tú"],
            Text::Agent => ["Agent", "Team", "Équipe", "Equipo"],
            Text::Verified => ["Verified", "Verifiziert", "Vérifié", "Verificado"],
            Text::SignedIn => ["signed in", "angemeldet", "connecté", "con sesión iniciada"],
            Text::RequiredNotice => [
                "This chat is for signed-in customers. Please sign in to send us a message.",
                "Dieser Chat ist für angemeldete Kunden. Bitte melden Sie sich an, um uns zu schreiben.",
                "Ce chat est réservé aux clients connectés. Connectez-vous pour nous écrire.",
                "Este chat es para clientes con sesión iniciada. Inicia sesión para escribirnos.",
            ],
            Text::Away => [
                "We're away right now. Leave a message and we'll get back to you.",
                "Wir sind gerade nicht da. Schreiben Sie uns, wir melden uns.",
                "Nous sommes absents. Laissez un message, nous vous répondrons.",
                "Ahora no estamos. Déjanos un mensaje y te responderemos.",
            ],
            Text::BackAt => [
                "We're away, back {when}",
                "Wir sind gerade nicht da, zurück {when}",
                "Nous sommes absents, de retour {when}",
                "Ahora no estamos, volvemos {when}",
            ],
        }
    }

    /// The key's text, by key (`init({ strings })` checks its keys with this).
    pub fn from_key(key: &str) -> Option<Text> {
        Text::ALL.into_iter().find(|t| t.key() == key)
    }
}

/// Checks one entry of `init({ strings })`: a known key and a string of at most 300
/// characters; the error names `strings.KEY`.
pub fn check_override(key: &str, value: Option<&str>) -> Result<(), FieldError> {
    let mut field = String::from("strings.");
    field.push_str(key);
    if Text::from_key(key).is_none() {
        return Err(FieldError::new(
            field,
            Problem::Invalid("is not a string of the widget: see docs/js-api.md \"Strings\""),
        ));
    }
    match value {
        Some(v) => check_text(&field, v, crate::limits::STRING_OVERRIDE_MAX),
        None => Err(FieldError::new(
            field,
            Problem::WrongType {
                expected: "a string",
                got: "another type",
            },
        )),
    }
}

/// The appearance as the `session` answer carries it: everything the widget applies, the
/// strings resolved for the visitor's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireAppearance {
    /// `#rrggbb`.
    pub color: String,
    /// The text colour readable on `color`.
    pub on_color: String,
    /// `left` or `right`.
    pub position: Position,
    /// Pixels from the side edge.
    pub offset_x: u32,
    /// Pixels from the bottom edge.
    pub offset_y: u32,
    /// The widget box's `z-index`.
    pub z_index: u32,
    /// The language the strings are in.
    pub locale: Lang,
    /// Every [`Text`], by key.
    pub strings: std::collections::BTreeMap<String, String>,
}

impl Appearance {
    /// The fields [`Appearance::set`] takes, as the dashboard's form and the CLI's flags name
    /// them (`offset_x` is `--offset-x`).
    pub const FIELDS: [&'static str; 9] = [
        "color",
        "position",
        "offset_x",
        "offset_y",
        "z_index",
        "title",
        "subtitle",
        "launcher_label",
        "locale",
    ];

    /// Sets one field from its text form (what a form or a command line gives); an error names
    /// the field and the fix. An empty title, subtitle or launcher label means "the language's".
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), FieldError> {
        let number = |field: &str| {
            value.trim().parse::<i64>().map_err(|_| {
                FieldError::new(field.to_owned(), Problem::Invalid("must be a whole number"))
            })
        };
        match field {
            "color" => self.color = Color::parse(value.trim())?,
            "position" => self.position = value.trim().parse()?,
            "offset_x" => self.offset_x = parse_offset(field, number(field)?)?,
            "offset_y" => self.offset_y = parse_offset(field, number(field)?)?,
            "z_index" => self.z_index = parse_z_index(number(field)?)?,
            "title" => self.title = parse_text(field, value)?,
            "subtitle" => self.subtitle = parse_text(field, value)?,
            "launcher_label" => self.launcher_label = parse_text(field, value)?,
            "locale" => self.locale = value.trim().parse()?,
            _ => {
                return Err(FieldError::new(
                    field.to_owned(),
                    Problem::Invalid("is not an appearance setting"),
                ))
            }
        }
        Ok(())
    }

    /// What the widget of a visitor whose browser says `browser` applies.
    pub fn for_visitor(&self, browser: Option<&str>) -> WireAppearance {
        let lang = self.locale.resolve(browser);
        let own = |t: Text| match t {
            Text::Title => self.title.as_deref(),
            Text::Subtitle => self.subtitle.as_deref(),
            Text::LauncherLabel => self.launcher_label.as_deref(),
            _ => None,
        };
        WireAppearance {
            color: self.color.as_str().to_owned(),
            on_color: self.color.on_color().to_owned(),
            position: self.position,
            offset_x: self.offset_x,
            offset_y: self.offset_y,
            z_index: self.z_index,
            locale: lang,
            strings: Text::ALL
                .into_iter()
                .map(|t| {
                    (
                        t.key().to_owned(),
                        own(t).unwrap_or(t.in_lang(lang)).to_owned(),
                    )
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_normalised_and_bad_ones_named() {
        assert_eq!(Color::parse("#ABC").unwrap().as_str(), "#aabbcc");
        assert_eq!(Color::parse("#0F766E").unwrap().as_str(), "#0f766e");
        for bad in ["0f766e", "#0f766", "#ggg", "red", "#0f766e0"] {
            assert_eq!(Color::parse(bad).unwrap_err().field(), "color", "{bad}");
        }
    }

    #[test]
    fn the_text_colour_is_the_readable_one() {
        assert_eq!(Color::default().on_color(), "#ffffff");
        assert_eq!(Color::parse("#fde047").unwrap().on_color(), "#111827");
        assert_eq!(Color::parse("#ffffff").unwrap().on_color(), "#111827");
        assert_eq!(Color::parse("#000000").unwrap().on_color(), "#ffffff");
    }

    #[test]
    fn auto_follows_the_browser_and_falls_back_to_english() {
        assert_eq!(Locale::Auto.resolve(Some("de-AT")), Lang::De);
        assert_eq!(Locale::Auto.resolve(Some("FR")), Lang::Fr);
        assert_eq!(Locale::Auto.resolve(Some("ja-JP")), Lang::En);
        assert_eq!(Locale::Auto.resolve(None), Lang::En);
        assert_eq!(Locale::Fixed(Lang::Es).resolve(Some("de")), Lang::Es);
        assert_eq!("de".parse::<Locale>().unwrap(), Locale::Fixed(Lang::De));
        assert_eq!("xx".parse::<Locale>().unwrap_err().field(), "locale");
    }

    #[test]
    fn every_string_exists_in_every_language_and_own_titles_win() {
        let a = Appearance {
            title: Some("Support".into()),
            ..Appearance::default()
        };
        for lang in Lang::ALL {
            let w = a.for_visitor(Some(lang.as_str()));
            assert_eq!(w.strings.len(), Text::ALL.len());
            assert!(w.strings.values().all(|s| !s.is_empty()));
            assert_eq!(w.strings["title"], "Support");
        }
        let de = Appearance::default().for_visitor(Some("de-DE"));
        assert_eq!(de.strings["title"], "Chatten Sie mit uns");
        assert_eq!(de.locale, Lang::De);
        for t in Text::ALL {
            assert_eq!(Text::from_key(t.key()), Some(t));
        }
    }

    #[test]
    fn settings_are_set_one_field_at_a_time_from_text() {
        let mut a = Appearance::default();
        a.set("color", "#0F766E").unwrap();
        a.set("position", "left").unwrap();
        a.set("offset_x", " 32 ").unwrap();
        a.set("z_index", "10").unwrap();
        a.set("title", " Support ").unwrap();
        a.set("locale", "de").unwrap();
        assert_eq!(a.color.as_str(), "#0f766e");
        assert_eq!(
            (a.position, a.offset_x, a.z_index),
            (Position::Left, 32, 10)
        );
        assert_eq!(a.title.as_deref(), Some("Support"));
        a.set("title", "").unwrap();
        assert_eq!(a.title, None);
        let e = a.set("offset_y", "ten").unwrap_err();
        assert_eq!(
            (e.field(), e.to_string().as_str()),
            ("offset_y", "offset_y must be a whole number")
        );
        assert_eq!(a.set("font", "x").unwrap_err().field(), "font");
    }

    #[test]
    fn the_typescript_types_and_the_docs_name_every_string() {
        let types = include_str!("../../../www/replybubble.d.ts");
        let docs = include_str!("../../../docs/js-api.md");
        for t in Text::ALL {
            let quoted = format!("\"{}\"", t.key());
            let code = format!("`{}`", t.key());
            assert!(
                types.contains(&quoted),
                "StringKey in replybubble.d.ts lacks {quoted}"
            );
            assert!(
                docs.contains(&code),
                "docs/js-api.md's string table lacks {code}"
            );
        }
    }

    #[test]
    fn overrides_name_their_key() {
        assert!(check_override("title", Some("Hi")).is_ok());
        assert_eq!(
            check_override("titel", Some("Hi")).unwrap_err().field(),
            "strings.titel"
        );
        assert_eq!(
            check_override("empty", None).unwrap_err().field(),
            "strings.empty"
        );
        let long = "x".repeat(301);
        assert_eq!(
            check_override("save", Some(&long)).unwrap_err().field(),
            "strings.save"
        );
    }

    #[test]
    fn limits_name_their_field() {
        assert_eq!(
            parse_offset("offset_x", 401).unwrap_err().field(),
            "offset_x"
        );
        assert_eq!(
            parse_offset("offset_y", -1).unwrap_err().field(),
            "offset_y"
        );
        assert_eq!(parse_offset("offset_y", 0).unwrap(), 0);
        assert_eq!(parse_z_index(-5).unwrap_err().field(), "z_index");
        assert_eq!(parse_text("title", "  ").unwrap(), None);
        assert_eq!(
            parse_text("title", &"x".repeat(61)).unwrap_err().field(),
            "title"
        );
        assert!(parse_text("subtitle", &"x".repeat(120)).is_ok());
        assert_eq!("top".parse::<Position>().unwrap_err().field(), "position");
    }
}
