//! The chat UI: a launcher bubble and a panel inside a shadow root, so the host page's CSS
//! cannot reach in and ours cannot leak out. The markup is a static template of ours
//! (`ui.html`); every text a visitor or an agent wrote is set with `textContent`, never parsed.
//!
//! Strict pages (docs/js-api.md "Content-Security-Policy"): the styles are a constructed
//! stylesheet adopted by the shadow root (`ui.css`; not an inline `<style>`, which `style-src`
//! without `'unsafe-inline'` ignores), the host box is placed with `style.setProperty` (not a
//! `style` attribute), and under Trusted Types the template goes through a policy named
//! `replybubble`. Whatever the page forbids makes [`Ui::mount`] fail with an error that says
//! what to allow, never a half-drawn widget or a call that never answers.

use js_sys::Date;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, ShadowRoot};

use crate::error::WidgetError;

/// What the user did, reported to the controller in `lib.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The launcher was clicked.
    Toggle,
    /// The close button was clicked or Escape pressed.
    Close,
    /// The composer was submitted.
    Send,
    /// The contact form was submitted.
    SaveDetails,
    /// The contact form was skipped.
    SkipDetails,
}

/// Handles to the mounted elements.
pub struct Ui {
    root: ShadowRoot,
    /// The strings the widget shows, by key (`appearance.strings` of the session answer, the
    /// page's `init({ strings })` on top); a missing key keeps the template's English.
    strings: std::cell::RefCell<JsValue>,
    /// The language of the strings (`appearance.locale`), for dates.
    locale: std::cell::RefCell<String>,
    /// The header's away line (None: the subtitle).
    away: std::cell::RefCell<Option<String>>,
    host: HtmlElement,
    panel: HtmlElement,
    launcher: HtmlElement,
    badge: HtmlElement,
    log: Element,
    empty: HtmlElement,
    card: HtmlElement,
    name: HtmlElement,
    email: HtmlElement,
    card_error: HtmlElement,
    notice: HtmlElement,
    input: HtmlElement,
    send: HtmlElement,
    who: HtmlElement,
}

fn doc() -> Document {
    web_sys::window().unwrap_throw().document().unwrap_throw()
}

/// An element of our own template, whose type the template guarantees (an unchecked cast
/// spares the module an `instanceof` import per type).
fn by_id<T: JsCast>(root: &ShadowRoot, id: &str) -> T {
    root.get_element_by_id(id)
        .unwrap_throw()
        .unchecked_into::<T>()
}

/// The box outside the shadow root: fixed in a corner, above the page, and every page rule
/// overridden (`all: initial` and `!important` beat the page's own `!important` rules).
const HOST_STYLE: [(&str, &str); 6] = [
    ("all", "initial"),
    ("display", "block"),
    ("position", "fixed"),
    ("right", "20px"),
    ("bottom", "20px"),
    ("z-index", "2147483000"),
];

/// The template's texts that follow `appearance.strings`: (element id, attribute or "" for the
/// text, key).
const TEXTS: [(&str, &str, &str); 13] = [
    ("rb-title", "", "title"),
    ("sub", "", "subtitle"),
    ("x", "aria-label", "close_label"),
    ("log", "aria-label", "messages_label"),
    ("empty", "", "empty"),
    ("ctitle", "", "form_title"),
    ("lname", "", "name_label"),
    ("lemail", "", "email_label"),
    ("cskip", "", "skip"),
    ("csave", "", "save"),
    ("input", "placeholder", "placeholder"),
    ("input", "aria-label", "placeholder"),
    ("send", "aria-label", "send_label"),
];

/// A whole number of pixels, as CSS takes it.
fn px(n: f64) -> String {
    let mut s = (n.max(0.0) as u32).to_string();
    s.push_str("px");
    s
}

/// The page's Trusted Types did not let the widget draw: the error `init()` rejects with.
#[inline(never)]
fn blocked(e: JsValue) -> WidgetError {
    let mut m =
        String::from("the page's Content-Security-Policy blocked the widget (Trusted Types: ");
    if let Some(s) = js_sys::Error::from(e).message().as_string() {
        m.push_str(&s);
    }
    m.push_str("); allow it with `trusted-types replybubble` (docs/js-api.md)");
    WidgetError::new(0, "csp_blocked", m)
}

/// Our template, as `innerHTML` takes it on this page: a `TrustedHTML` from the policy
/// `replybubble` where the browser has Trusted Types, else the string. Called once per page (a
/// page may create a policy name once): after `shutdown()` the same elements come back.
fn template() -> Result<JsValue, WidgetError> {
    let html = JsValue::from_str(include_str!("ui.html"));
    let tt = crate::js::get(&js_sys::global(), "trustedTypes");
    if !tt.is_object() {
        return Ok(html);
    }
    // `String` hands the template back as it is: no closure of ours to keep alive.
    let options = crate::js::object();
    crate::js::set(
        &options,
        "createHTML",
        &crate::js::get(&js_sys::global(), "String"),
    );
    let policy = crate::js::get(&tt, "createPolicy")
        .unchecked_into::<js_sys::Function>()
        .call2(&tt, &JsValue::from_str("replybubble"), &options);
    match policy {
        Ok(policy) => crate::js::get(&policy, "createHTML")
            .unchecked_into::<js_sys::Function>()
            .call1(&policy, &html)
            .map_err(blocked),
        // No policy of that name allowed: the string works unless Trusted Types are enforced,
        // which the assignment then says.
        Err(_) => Ok(html),
    }
}

/// Gives the shadow root our styles: a constructed stylesheet (which no `style-src` blocks)
/// where the browser has them, else a `<style>` element (older browsers, where a strict
/// `style-src` would then leave it unstyled).
fn style(root: &ShadowRoot, document: &Document) {
    let css = include_str!("ui.css");
    match web_sys::CssStyleSheet::new() {
        Ok(sheet) if !crate::js::get(root, "adoptedStyleSheets").is_undefined() => {
            let _ = sheet.replace_sync(css);
            crate::js::set(root, "adoptedStyleSheets", &js_sys::Array::of1(&sheet));
        }
        _ => {
            let el = document.create_element("style").unwrap_throw();
            text(&el, Some(css));
            let _ = root.append_child(&el);
        }
    }
}

/// Sets a DOM property through `Reflect` (one shared import instead of one per setter).
fn prop(el: &JsValue, name: &str, value: &JsValue) {
    crate::js::set(el, name, value);
}

fn hide(el: &JsValue, hidden: bool) {
    prop(el, "hidden", &JsValue::from_bool(hidden));
}

fn text(el: &JsValue, t: Option<&str>) {
    prop(
        el,
        "textContent",
        &t.map(JsValue::from_str).unwrap_or(JsValue::NULL),
    );
}

fn is_hidden(el: &JsValue) -> bool {
    crate::js::get(el, "hidden").is_truthy()
}

fn value(el: &JsValue) -> String {
    crate::js::get_str(el, "value").unwrap_or_default()
}

fn listen(
    target: &web_sys::EventTarget,
    event: &str,
    action: Action,
    prevent: bool,
    on: fn(Action),
) {
    let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        if prevent {
            e.prevent_default();
        }
        on(action);
    });
    let _ = target.add_event_listener_with_callback(event, cb.as_ref().unchecked_ref());
    // The widget lives as long as the page: its listeners too.
    cb.forget();
}

impl Ui {
    /// Mounts the widget at the end of `<body>` and wires its events to `on`; fails (drawing
    /// nothing) when the page's policy forbids what it needs.
    pub fn mount(on: fn(Action)) -> Result<Ui, WidgetError> {
        let document = doc();
        // A custom element name: page rules for `div` and friends cannot match it.
        let host = document
            .create_element("replybubble-root")
            .unwrap_throw()
            .unchecked_into::<HtmlElement>();
        let host_style = host.style();
        for (name, value) in HOST_STYLE {
            let _ = host_style.set_property_with_priority(name, value, "important");
        }
        let init = web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open);
        let root = host.attach_shadow(&init).unwrap_throw();
        style(&root, &document);
        js_sys::Reflect::set(&root, &JsValue::from_str("innerHTML"), &template()?)
            .map_err(blocked)?;
        let _ = document
            .document_element()
            .unwrap_throw()
            .append_child(&host);
        // Phones: the open panel fills the visual viewport, which the on-screen keyboard
        // shrinks, so the composer stays above the keyboard (ui.css reads these two).
        let viewport = crate::js::get(&js_sys::global(), "visualViewport");
        if viewport.is_object() {
            let style = host_style.clone();
            let vv = viewport.clone();
            let fit = Closure::<dyn FnMut()>::new(move || {
                let h = crate::js::get(&vv, "height").as_f64().unwrap_or(0.0);
                let top = crate::js::get(&vv, "offsetTop").as_f64().unwrap_or(0.0);
                let _ = style.set_property("--rb-vh", &px(h));
                let _ = style.set_property("--rb-top", &px(top));
            });
            let target = viewport.unchecked_ref::<web_sys::EventTarget>();
            for event in ["resize", "scroll"] {
                let _ =
                    target.add_event_listener_with_callback(event, fit.as_ref().unchecked_ref());
            }
            let _ = fit
                .as_ref()
                .unchecked_ref::<js_sys::Function>()
                .call0(&JsValue::NULL);
            fit.forget();
        }
        let ui = Ui {
            root: root.clone(),
            strings: std::cell::RefCell::new(crate::js::object()),
            locale: std::cell::RefCell::new(String::from("en")),
            away: std::cell::RefCell::new(None),
            host,
            panel: by_id(&root, "panel"),
            launcher: by_id(&root, "launcher"),
            badge: by_id(&root, "badge"),
            log: by_id(&root, "log"),
            empty: by_id(&root, "empty"),
            card: by_id(&root, "card"),
            name: by_id(&root, "cname"),
            email: by_id(&root, "cemail"),
            card_error: by_id(&root, "cerr"),
            notice: by_id(&root, "notice"),
            input: by_id(&root, "input"),
            send: by_id(&root, "send"),
            who: by_id(&root, "who"),
        };
        listen(&ui.launcher, "click", Action::Toggle, false, on);
        listen(
            &by_id::<HtmlElement>(&root, "x"),
            "click",
            Action::Close,
            false,
            on,
        );
        listen(
            &by_id::<HtmlElement>(&root, "composer"),
            "submit",
            Action::Send,
            true,
            on,
        );
        listen(&ui.card, "submit", Action::SaveDetails, true, on);
        listen(
            &by_id::<HtmlElement>(&root, "cskip"),
            "click",
            Action::SkipDetails,
            false,
            on,
        );
        // Escape closes; Enter sends (Shift+Enter is a new line).
        let keys = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let e = e.unchecked_ref::<web_sys::KeyboardEvent>();
            if e.key() == "Escape" {
                on(Action::Close);
            } else if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                let in_composer = e
                    .target()
                    .is_some_and(|t| crate::js::get_str(&t, "id").as_deref() == Some("input"));
                if in_composer {
                    e.prevent_default();
                    on(Action::Send);
                }
            }
        });
        let _ = root.add_event_listener_with_callback("keydown", keys.as_ref().unchecked_ref());
        keys.forget();
        Ok(ui)
    }

    /// One of the widget's strings: the session's or the page's, else `english`.
    pub fn text(&self, key: &str, english: &str) -> String {
        crate::js::get_str(&self.strings.borrow(), key).unwrap_or_else(|| english.to_owned())
    }

    /// Applies a workspace's appearance (the `session` answer's, or `NULL` before there is
    /// one) with the page's own strings on top: colour, corner, offsets, stacking, texts.
    pub fn apply(&self, appearance: &JsValue, overrides: &JsValue) {
        use crate::js::{get, get_str};
        use replybubble_core::wire::keys;
        if appearance.is_object() {
            let style = self.host.style();
            let set = |name: &str, value: &str| {
                let _ = style.set_property_with_priority(name, value, "important");
            };
            if let Some(c) = get_str(appearance, keys::COLOR) {
                set("--rb", &c);
            }
            if let Some(c) = get_str(appearance, keys::ON_COLOR) {
                set("--rb-on", &c);
            }
            let left = get_str(appearance, keys::POSITION).as_deref() == Some("left");
            let (side, other) = if left {
                ("left", "right")
            } else {
                ("right", "left")
            };
            let _ = self.host.set_attribute("data-pos", side);
            if let Some(x) = get(appearance, keys::OFFSET_X).as_f64() {
                set(side, &px(x));
                set(other, "auto");
            }
            if let Some(y) = get(appearance, keys::OFFSET_Y).as_f64() {
                set("bottom", &px(y));
            }
            if let Some(z) = get(appearance, keys::Z_INDEX).as_f64() {
                set("z-index", &(z as u32).to_string());
            }
            if let Some(l) = get_str(appearance, keys::LOCALE) {
                *self.locale.borrow_mut() = l;
            }
        }
        let strings = js_sys::Object::new();
        for source in [crate::js::get(appearance, keys::STRINGS), overrides.clone()] {
            if source.is_object() {
                js_sys::Object::assign(&strings, source.unchecked_ref());
            }
        }
        for (id, attr, key) in TEXTS {
            if let (Some(t), Some(el)) = (
                crate::js::get_str(&strings, key),
                self.root.get_element_by_id(id),
            ) {
                if attr.is_empty() {
                    text(&el, Some(&t));
                } else {
                    let _ = el.set_attribute(attr, &t);
                }
            }
        }
        *self.strings.borrow_mut() = strings.into();
        self.show_away();
        // The launcher's label follows the strings too.
        let label = if is_hidden(&self.panel) {
            self.text("launcher_label", "Open chat")
        } else {
            self.text("close_label", "Close chat")
        };
        let _ = self.launcher.set_attribute("aria-label", &label);
    }

    /// Nobody can answer (`Some(next opening, RFC 3339, or "")`) or someone can (`None`): the
    /// header's line says so.
    pub fn set_away(&self, next_open: Option<&str>) {
        let line = next_open.map(|when| {
            if when.is_empty() {
                return self.text(
                    "away",
                    "We're away right now. Leave a message and we'll get back to you.",
                );
            }
            // "Monday 09:00" in the visitor's time zone and the strings' language.
            let date = Date::new(&JsValue::from_str(when));
            let options = crate::js::object();
            for (k, v) in [
                ("weekday", "long"),
                ("hour", "2-digit"),
                ("minute", "2-digit"),
                ("hourCycle", "h23"),
            ] {
                crate::js::set(&options, k, &JsValue::from_str(v));
            }
            let label = crate::js::get(&date, "toLocaleString")
                .unchecked_into::<js_sys::Function>()
                .call2(&date, &JsValue::from_str(&self.locale.borrow()), &options)
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            // JS's replace: Rust's str search would add 3 KB of pattern code to the wasm.
            String::from(
                js_sys::JsString::from(self.text("back_at", "We're away, back {when}"))
                    .replace("{when}", &label),
            )
        });
        *self.away.borrow_mut() = line;
        self.show_away();
    }

    fn show_away(&self) {
        let Some(sub) = self.root.get_element_by_id("sub") else {
            return;
        };
        let away = self.away.borrow();
        let line = match away.as_deref() {
            Some(l) => l.to_owned(),
            None => self.text("subtitle", "We usually reply in a few minutes"),
        };
        text(&sub, Some(&line));
        let _ = sub.set_attribute("data-away", if away.is_some() { "1" } else { "" });
    }

    /// Hides the launcher (`--hide-when-offline` while nobody can answer) or shows it again.
    pub fn set_launcher_hidden(&self, hidden: bool) {
        let _ = self.host.style().set_property_with_priority(
            "display",
            if hidden { "none" } else { "block" },
            "important",
        );
    }

    /// Takes the widget off the page (`shutdown()`); [`Ui::remount`] puts it back.
    pub fn unmount(&self) {
        self.host.remove();
    }

    /// Puts an unmounted widget back on the page, closed.
    pub fn remount(&self) {
        self.set_open(false);
        let _ = doc()
            .document_element()
            .unwrap_throw()
            .append_child(&self.host);
    }

    /// Opens or closes the panel, moving focus where a keyboard user expects it.
    pub fn set_open(&self, open: bool) {
        hide(&self.panel, !open);
        let _ = self
            .launcher
            .set_attribute("aria-expanded", if open { "true" } else { "false" });
        let label = if open {
            self.text("close_label", "Close chat")
        } else {
            self.text("launcher_label", "Open chat")
        };
        let _ = self.launcher.set_attribute("aria-label", &label);
        if open {
            self.set_unread(0);
            prop(
                &self.log,
                "scrollTop",
                &crate::js::get(&self.log, "scrollHeight"),
            );
            if crate::js::get(&self.input, "disabled").is_truthy() {
                let _ = self.panel.focus();
            } else {
                let _ = self.input.focus();
            }
        } else {
            let _ = self.launcher.focus();
        }
    }

    /// Shows the unread count on the launcher (hidden at 0).
    pub fn set_unread(&self, n: u32) {
        hide(&self.badge, n == 0);
        text(&self.badge, Some(&n.to_string()));
        let mut label = self.text("launcher_label", "Open chat");
        if n > 0 {
            label.push_str(", ");
            label.push_str(&n.to_string());
            label.push(' ');
            label.push_str(&self.text("unread", "unread"));
        }
        if is_hidden(&self.panel) {
            let _ = self.launcher.set_attribute("aria-label", &label);
        }
    }

    /// Adds a message in id order.
    pub fn add_message(&self, id: i64, author: &str, body: &str, created_at: &str) {
        let document = doc();
        let li = document.create_element("li").unwrap_throw();
        li.set_class_name(if author == "agent" {
            "m agent"
        } else {
            "m visitor"
        });
        let _ = li.set_attribute("data-id", &id.to_string());
        let p = document.create_element("p").unwrap_throw();
        text(&p, Some(body));
        let _ = li.append_child(&p);
        let time = document.create_element("time").unwrap_throw();
        let _ = time.set_attribute("datetime", created_at);
        // Local time of day, HH:MM.
        let date = Date::new(&JsValue::from_str(created_at));
        let mut label = if author == "agent" {
            self.text("agent", "Agent")
        } else {
            self.text("you", "You")
        };
        label.push_str(" · ");
        for (i, part) in [date.get_hours(), date.get_minutes()]
            .into_iter()
            .enumerate()
        {
            if i == 1 {
                label.push(':');
            }
            label.push(char::from(b'0' + (part / 10 % 10) as u8));
            label.push(char::from(b'0' + (part % 10) as u8));
        }
        text(&time, Some(&label));
        let _ = li.append_child(&time);
        // Insert before the first message with a larger id (live and fetched messages can
        // arrive out of order around a reconnect).
        let children = self.log.children();
        let mut before = None;
        for i in 0..children.length() {
            if let Some(c) = children.item(i) {
                let cid = c
                    .get_attribute("data-id")
                    .and_then(|s| s.parse::<i64>().ok());
                if cid.is_some_and(|c| c > id) {
                    before = Some(c);
                    break;
                }
            }
        }
        let _ = self
            .log
            .insert_before(&li, before.as_ref().map(|e| e.as_ref()));
        hide(&self.empty, true);
        prop(
            &self.log,
            "scrollTop",
            &crate::js::get(&self.log, "scrollHeight"),
        );
    }

    /// Removes every message (reset, user switch).
    pub fn clear_messages(&self) {
        let children = self.log.children();
        for i in (0..children.length()).rev() {
            if let Some(c) = children.item(i) {
                if c.id() != "empty" {
                    c.remove();
                }
            }
        }
        hide(&self.empty, false);
    }

    /// Shows the contact form, prefilled.
    pub fn show_form(&self, name: Option<&str>, email: Option<&str>) {
        if let Some(n) = name {
            prop(&self.name, "value", &JsValue::from_str(n));
        }
        if let Some(e) = email {
            prop(&self.email, "value", &JsValue::from_str(e));
        }
        text(&self.card_error, None);
        hide(&self.card, false);
    }

    /// Hides the contact form and clears it.
    pub fn hide_form(&self) {
        hide(&self.card, true);
        prop(&self.name, "value", &JsValue::from_str(""));
        prop(&self.email, "value", &JsValue::from_str(""));
        text(&self.card_error, None);
    }

    /// Whether the contact form is showing.
    pub fn form_visible(&self) -> bool {
        !is_hidden(&self.card)
    }

    /// The form's (name, email).
    pub fn form_values(&self) -> (String, String) {
        (value(&self.name), value(&self.email))
    }

    /// Shows a validation message under the form.
    pub fn set_form_error(&self, msg: &str) {
        text(&self.card_error, Some(msg));
    }

    /// Shows (or hides, with None) a notice above the composer.
    pub fn set_notice(&self, msg: Option<&str>) {
        hide(&self.notice, msg.is_none());
        text(&self.notice, msg);
    }

    /// Enables or disables the composer.
    pub fn set_composer_enabled(&self, enabled: bool) {
        prop(&self.input, "disabled", &JsValue::from_bool(!enabled));
        let _ = if enabled {
            self.send.remove_attribute("disabled")
        } else {
            self.send.set_attribute("disabled", "")
        };
    }

    /// Shows who the visitor is verified as (None: anonymous).
    pub fn set_verified_as(&self, name: Option<&str>) {
        hide(&self.who, name.is_none());
        if let Some(n) = name {
            let mut t = String::from("✓ ");
            t.push_str(&self.text("verified", "Verified"));
            t.push_str(" · ");
            t.push_str(n);
            text(&self.who, Some(&t));
        }
    }

    /// The composer's text.
    pub fn input(&self) -> String {
        value(&self.input)
    }

    /// Clears the composer.
    pub fn clear_input(&self) {
        prop(&self.input, "value", &JsValue::from_str(""));
    }

    /// Puts unsent text back into the composer.
    pub fn set_input_back(&self, text: &str) {
        prop(&self.input, "value", &JsValue::from_str(text));
    }
}
