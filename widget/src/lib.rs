//! replybubble-widget: `window.ReplyBubble`, compiled to wasm.
//!
//! The loader (`www/widget.js`) defines `window.ReplyBubble` at once, loads this module and
//! forwards calls to the exports below in order. Every export returns a `Promise`; failures
//! reject with an `Error` carrying `status`, `code`, `field` and `hint` ([`error`]). Payloads are
//! validated by `replybubble-core` before any request, so an over-limit field never reaches the
//! network. [`ui`] draws the bubble in a shadow root; [`live`] keeps the event stream.
#![deny(missing_docs)]

pub mod api;
pub mod error;
pub mod js;
pub mod live;
pub mod storage;
pub mod ui;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};

use replybubble_core::limits::MESSAGES_PAGE;
use replybubble_core::user::{TraitValue, VisitorDetails};
use replybubble_core::{IdentifyUser, MessageBody, Value};

use crate::api::Client;
use replybubble_core::wire::keys;

use crate::error::WidgetError;
use crate::live::Live;
use crate::ui::{Action, Ui};

#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// What the composer says to an unverified visitor in Required mode.
const REQUIRED_NOTICE: &str =
    "This chat is for signed-in customers. Please sign in to send us a message.";

#[derive(Debug, Clone)]
struct Session {
    token: String,
    conversation_id: JsValue,
    mode: String,
    verified: bool,
    verified_as: Option<String>,
    /// The user id a verified identify bound this session to (the claim rule's owner).
    user: Option<String>,
}

/// The widget's state: one per page.
#[derive(Default)]
struct State {
    app_id: Option<String>,
    base: String,
    session: Option<Session>,
    ui: Option<Rc<Ui>>,
    live: Option<Live>,
    /// Bumped whenever the session changes, so late events of an old stream are ignored.
    generation: u32,
    /// Ids on screen.
    shown: Vec<i64>,
    /// The last position (`seq`) received in order (stream or fetch): where a gap fill starts.
    stream_last: i64,
    open: bool,
    unread: u32,
    backoff_ms: u32,
    emitter: Option<js_sys::Function>,
    /// The widget `shutdown()` took off the page, kept for `init()` to put back.
    parked: Option<Rc<Ui>>,
    /// Consent-first mode before the visitor's consent: the launcher only, no request, no
    /// storage written.
    consent_pending: bool,
    /// `init({ trackPages })`: report the page the visitor is on (default on).
    track_pages: bool,
    /// `history.pushState` and `replaceState` are wrapped (once per page).
    history_wrapped: bool,
    /// The page last reported: (url, title).
    page_sent: Option<(String, String)>,
    /// `init({ strings })`: the page's own texts, over the workspace's.
    overrides: JsValue,
    /// Bumped by every start, so an older status loop stops.
    status_loop: u32,
    /// What the last `status` event said.
    online: Option<bool>,
}

/// The page's one widget. wasm32 without atomics has one thread, so a plain static cell is
/// enough (a `thread_local!` would cost an accessor per call site in the module).
struct Global(RefCell<Option<State>>);

// SAFETY: this crate runs on wasm32 without threads (the `atomics` target feature is off), so
// the cell is only ever touched from one thread; natively it is used by single-threaded tests.
unsafe impl Sync for Global {}

static STATE: Global = Global(RefCell::new(None));

#[inline(never)]
fn state_cell() -> std::cell::RefMut<'static, State> {
    std::cell::RefMut::map(STATE.0.borrow_mut(), |s| {
        s.get_or_insert_with(State::default)
    })
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    f(&mut state_cell())
}

fn ui() -> Option<Rc<Ui>> {
    with_state(|s| s.ui.clone())
}

type Task = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, WidgetError>>>>;

/// Runs a background task. Boxed for the same reason as [`promise`]: one copy of the executor
/// glue for every task.
fn spawn(task: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    spawn_local(task)
}

/// Turns a task into the JS Promise an export returns. Boxing keeps one copy of the
/// future-to-promise machinery in the wasm instead of one per export.
fn promise(task: Task) -> Promise {
    future_to_promise(async move { task.await.map_err(JsValue::from) })
}

fn status(word: &str) -> JsValue {
    let out = js::object();
    js::set(&out, "status", &JsValue::from_str(word));
    out
}

/// Calls the page's `ReplyBubble.on(...)` listeners (through the loader).
fn emit(name: &str, data: &JsValue) {
    if let Some(f) = with_state(|s| s.emitter.clone()) {
        let _ = f.call2(&JsValue::NULL, &JsValue::from_str(name), data);
    }
}

/// Called by the loader with the directory widget.js came from, the default API base.
#[wasm_bindgen(js_name = setDefaultApiBase)]
pub fn set_default_api_base(base: &str) {
    with_state(|s| {
        if s.base.is_empty() {
            s.base = base.trim_end_matches('/').to_owned();
        }
    });
}

/// Called by the loader with its event dispatcher (`ReplyBubble.on` keeps the listeners).
#[wasm_bindgen(js_name = setEmitter)]
pub fn set_emitter(f: js_sys::Function) {
    with_state(|s| s.emitter = Some(f));
}

fn client() -> Result<(String, Client), WidgetError> {
    with_state(|s| {
        let app_id = s
            .app_id
            .clone()
            .ok_or_else(|| WidgetError::new(400, "not_initialized", ""))?;
        let token = s.session.as_ref().map(|x| x.token.clone());
        Ok((
            app_id,
            Client {
                base: s.base.clone(),
                token,
            },
        ))
    })
}

fn require_init(method: &str) -> Result<(String, Client), WidgetError> {
    if with_state(|s| s.consent_pending) {
        let mut m = String::from("ReplyBubble.");
        m.push_str(method);
        m.push_str("() needs the visitor's consent first: it comes when they open the chat or when the page calls ReplyBubble.consent(true) (listen for the ready event)");
        return Err(WidgetError::new(409, "consent_required", m));
    }
    client().map_err(|_| {
        let e = WidgetError::not_initialized(method);
        js::error(&e.message);
        e
    })
}

/// Tells `on("error")` listeners about a failure no call is waiting for (and the console).
fn report(e: &WidgetError) {
    js::error(&e.message);
    let out = js::object();
    js::set(&out, "code", &JsValue::from_str(&e.code));
    js::set(&out, "message", &JsValue::from_str(&e.message));
    emit("error", &out);
}

/// Sets the unread count (launcher badge) and tells `on("unread")` listeners when it changed.
fn set_unread(n: u32) {
    let changed = with_state(|s| std::mem::replace(&mut s.unread, n) != n);
    if let Some(ui) = ui() {
        ui.set_unread(n);
    }
    if changed {
        let out = js::object();
        js::set(&out, "count", &JsValue::from(n));
        emit("unread", &out);
    }
}

/// Adopts a session answer (`session`, `reset`, or an identify that switched users), bound to
/// `user` when it is a resumed session of a verified user.
fn adopt_session(app_id: &str, body: &JsValue, user: Option<String>) {
    let Some(token) = js::get_str(body, keys::VISITOR_TOKEN) else {
        return;
    };
    storage::save(app_id, &token);
    storage::set_bound_user(app_id, user.as_deref());
    with_state(|s| {
        let old_mode = s
            .session
            .as_ref()
            .map(|x| x.mode.clone())
            .unwrap_or_default();
        s.session = Some(Session {
            token,
            conversation_id: js::get(body, keys::CONVERSATION_ID),
            mode: js::get_str(body, keys::MODE).unwrap_or(old_mode),
            verified: js::get(body, keys::VERIFIED).as_bool().unwrap_or(false),
            verified_as: None,
            user,
        });
    });
}

/// Puts the UI in line with the session: badge of who is verified, contact form, Required notice.
fn refresh_ui() {
    let Some(ui) = ui() else { return };
    let Some(s) = with_state(|s| s.session.clone()) else {
        return;
    };
    let app_id = with_state(|s| s.app_id.clone()).unwrap_or_default();
    if s.verified {
        let signed_in = ui.text("signed_in", "signed in");
        ui.set_verified_as(Some(s.verified_as.as_deref().unwrap_or(&signed_in)));
        ui.hide_form();
        ui.set_notice(None);
        ui.set_composer_enabled(true);
    } else if s.mode == "required" {
        ui.set_verified_as(None);
        ui.hide_form();
        ui.set_notice(Some(&ui.text("required_notice", REQUIRED_NOTICE)));
        ui.set_composer_enabled(false);
    } else {
        ui.set_verified_as(None);
        ui.set_notice(None);
        ui.set_composer_enabled(true);
        if !storage::form_done(&app_id) && !ui.form_visible() {
            ui.show_form(None, None);
        }
    }
}

/// Empties the screen for another session (or none): the new generation.
fn clear_screen() -> u32 {
    let generation = with_state(|s| {
        s.generation += 1;
        s.live = None;
        s.shown.clear();
        s.stream_last = 0;
        // A new conversation has seen no page yet.
        s.page_sent = None;
        s.generation
    });
    if let Some(ui) = ui() {
        ui.clear_messages();
    }
    set_unread(0);
    generation
}

/// Starts over on a new session: empty screen, new stream.
fn switch_session(app_id: &str, body: &JsValue, user: Option<String>) {
    adopt_session(app_id, body, user);
    let generation = clear_screen();
    if with_state(|s| s.track_pages && s.history_wrapped) {
        spawn(Box::pin(report_page(0)));
    }
    refresh_ui();
    spawn(Box::pin(start_live(generation)));
}

fn current(generation: u32) -> bool {
    with_state(|s| s.generation == generation)
}

/// Shows one message (once), counts it as unread when the panel is closed, tells listeners.
fn incoming(msg: &JsValue, in_order: bool) {
    let Some(id) = js::get(msg, keys::ID).as_f64() else {
        return;
    };
    let id_int = id as i64;
    // The stream and `messages?after=` count in the message's position in the conversation.
    let seq = js::get(msg, keys::SEQ).as_f64().map_or(0, |n| n as i64);
    let author = js::get_str(msg, keys::AUTHOR).unwrap_or_default();
    let fresh = with_state(|s| {
        if in_order && seq > s.stream_last {
            s.stream_last = seq;
        }
        if s.shown.contains(&id_int) {
            return None;
        }
        s.shown.push(id_int);
        Some(s.unread + u32::from(author == "agent" && !s.open))
    });
    let Some(unread) = fresh else { return };
    if let Some(ui) = ui() {
        let body = js::get_str(msg, keys::BODY).unwrap_or_default();
        let at = js::get_str(msg, keys::CREATED_AT).unwrap_or_default();
        ui.add_message(id_int, &author, &body, &at);
    }
    set_unread(unread);
    emit("message", &js::camel_keys(msg, ""));
}

/// Fetches every message after the last one received in order.
async fn fill_gap(generation: u32) -> Result<(), WidgetError> {
    loop {
        if !current(generation) {
            return Ok(());
        }
        let (_, client) = client()?;
        let after = with_state(|s| s.stream_last);
        let mut path = String::from("messages?after=");
        path.push_str(&after.to_string());
        let page = client.get(&path).await?;
        if !current(generation) {
            return Ok(());
        }
        let list: Array = js::get(&page, keys::MESSAGES).into();
        for m in list.iter() {
            incoming(&m, true);
        }
        if (list.length() as usize) < MESSAGES_PAGE {
            return Ok(());
        }
    }
}

async fn sleep(ms: u32) {
    let p = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// Loads what is missing, then opens the stream; on a drop, waits and does it again.
async fn start_live(generation: u32) {
    if !current(generation) {
        return;
    }
    let opened = async {
        fill_gap(generation).await?;
        let (_, client) = client()?;
        let ticket = client.post("events/ticket", &js::object()).await?;
        let ticket = js::get_str(&ticket, keys::TICKET).unwrap_or_default();
        let mut url = client.base.clone();
        url.push_str("/api/v1/widget/events?ticket=");
        url.push_str(&ticket);
        Live::open(
            &url,
            move |data| {
                if current(generation) {
                    if let Ok(m) = js_sys::JSON::parse(&data) {
                        incoming(&m, true);
                    }
                }
            },
            move || {
                with_state(|s| s.backoff_ms = 0);
                // Anything sent between the fetch above and the subscription: fetch again.
                spawn(Box::pin(async move {
                    let _ = fill_gap(generation).await;
                }));
            },
            move || spawn(Box::pin(reconnect(generation))),
        )
        .map_err(|_| WidgetError::network("cannot open the event stream"))
    }
    .await;
    match opened {
        Ok(live) if current(generation) => with_state(|s| s.live = Some(live)),
        Ok(_) => {}
        // The session ended (reset or a user switch in another tab, or 30 days unused): carry
        // on with a new one. A stream of a session that changed since (a token rotated by
        // sign-in) just stops: the new one has its own.
        Err(e) if e.status == 401 => {
            if current(generation) {
                spawn(recover())
            }
        }
        Err(_) => spawn(Box::pin(reconnect(generation))),
    }
}

async fn reconnect(generation: u32) {
    if !current(generation) {
        return;
    }
    let wait = with_state(|s| {
        s.live = None;
        s.backoff_ms = (s.backoff_ms * 2).clamp(500, 30_000);
        s.backoff_ms
    });
    sleep(wait).await;
    start_live(generation).await;
}

fn on_action(action: Action) {
    match action {
        // The visitor opening the chat is their consent.
        Action::Toggle if with_state(|s| s.consent_pending) => spawn(Box::pin(async {
            if grant().await.is_ok() {
                set_open(true);
            }
        })),
        Action::Toggle => set_open(!with_state(|s| s.open)),
        Action::Close => set_open(false),
        Action::Send => spawn(Box::pin(async {
            let Some(ui) = ui() else { return };
            let text = ui.input();
            if text.trim().is_empty() {
                return;
            }
            ui.clear_input();
            if send_text(text.clone()).await.is_err() && ui.input().is_empty() {
                ui.set_input_back(&text);
            }
        })),
        Action::SaveDetails => spawn(Box::pin(save_details())),
        Action::SkipDetails => {
            let app_id = with_state(|s| s.app_id.clone()).unwrap_or_default();
            storage::set_form_done(&app_id, true);
            if let Some(ui) = ui() {
                ui.hide_form();
            }
        }
    }
}

async fn save_details() {
    let Some(ui) = ui() else { return };
    let (name, email) = ui.form_values();
    let raw = Value::Object(vec![
        ("name".into(), Value::String(name.clone())),
        ("email".into(), Value::String(email.clone())),
    ]);
    if VisitorDetails::parse(&raw).is_err() {
        ui.set_form_error(&ui.text(
            "form_error",
            "Please give your name or a valid email address.",
        ));
        return;
    }
    let Ok((app_id, client)) = client() else {
        return;
    };
    let body = js::object();
    js::set(&body, keys::NAME, &JsValue::from_str(&name));
    js::set(&body, keys::EMAIL, &JsValue::from_str(&email));
    match client.post("visitor", &body).await {
        Ok(_) => {
            storage::set_form_done(&app_id, true);
            ui.hide_form();
        }
        Err(e) => ui.set_form_error(&e.message),
    }
}

fn set_open(open: bool) {
    let Some(ui) = ui() else { return };
    let changed = with_state(|s| std::mem::replace(&mut s.open, open) != open);
    ui.set_open(open);
    if open {
        set_unread(0);
    }
    if changed {
        emit(
            if open { "open" } else { "close" },
            &status(if open { "open" } else { "closed" }),
        );
    }
}

fn ready_result() -> JsValue {
    let out = status("ready");
    with_state(|s| {
        if let Some(x) = &s.session {
            js::set(&out, keys::MODE, &JsValue::from_str(&x.mode));
            js::set(&out, "conversationId", &x.conversation_id);
        }
    });
    out
}

async fn open_session(app_id: &str, client: Client) -> Result<JsValue, WidgetError> {
    let body = js::object();
    js::set(&body, keys::APP_ID, &JsValue::from_str(app_id));
    // For a workspace whose language is `auto`: the strings come back in this one.
    let language = js::get(&js::get(&js_sys::global(), "navigator"), "language");
    // Language tags are ASCII: bytes are characters (the limit is core's).
    if language
        .as_string()
        .is_some_and(|l| l.len() <= replybubble_core::limits::LOCALE_TAG_MAX)
    {
        js::set(&body, keys::LOCALE, &language);
    }
    let answer = match client.post("session", &body).await {
        // A stored token that the server no longer knows: start over without it.
        Err(e) if e.status == 401 && client.token.is_some() => {
            storage::forget(app_id);
            Client {
                token: None,
                ..client
            }
            .post("session", &body)
            .await?
        }
        other => other?,
    };
    Ok(answer)
}

/// Starts a session again after the server answered 401 (the session was reset or replaced in
/// another tab, or went unused for 30 days): the token another tab stored when there is one,
/// else a new anonymous session. The screen starts over. Boxed: one copy for every caller.
fn recover() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(async {
        let _ = recover_session(true).await;
    })
}

/// A new session on screen: the one another tab stored when `resume`, else a fresh anonymous one.
async fn recover_session(resume: bool) -> Result<(), WidgetError> {
    let (app_id, client) = client()?;
    let stored = storage::load(&app_id).filter(|t| resume && client.token.as_ref() != Some(t));
    let bound = stored.as_ref().and_then(|_| storage::bound_user(&app_id));
    let before = client.token.clone();
    let answer = open_session(
        &app_id,
        Client {
            token: stored.clone(),
            ..client
        },
    )
    .await?;
    // Another answer (a sign-in's new token, a switch) took over meanwhile: it wins.
    if with_state(|s| s.session.as_ref().map(|x| x.token.clone())) != before {
        return Ok(());
    }
    let resumed = stored.is_some() && js::get_str(&answer, keys::VISITOR_TOKEN) == stored;
    switch_session(&app_id, &answer, bound.filter(|_| resumed));
    Ok(())
}

/// Revokes the session on the server and starts a fresh anonymous one (reset, and the claim
/// rule applied by the widget itself).
async fn reset_session(app_id: &str, client: Client) -> Result<JsValue, WidgetError> {
    storage::forget(app_id);
    storage::set_form_done(app_id, false);
    with_state(|s| s.live = None);
    let answer = match client.post("reset", &js::object()).await {
        Ok(a) => a,
        // Already revoked or unknown: a fresh session is what reset means anyway.
        Err(e) if e.status == 401 => match open_session(
            app_id,
            Client {
                token: None,
                ..client
            },
        )
        .await
        {
            Ok(a) => a,
            Err(e) => {
                drop_session(app_id);
                return Err(e);
            }
        },
        // Refused (429), failed or unreachable: the session is dropped here all the same, and
        // a fresh one starts as soon as the server gives one.
        Err(e) => {
            drop_session(app_id);
            return Err(e);
        }
    };
    if let Some(ui) = ui() {
        ui.hide_form();
    }
    switch_session(app_id, &answer, None);
    Ok(answer)
}

/// Forgets the session here, at once: nothing of it stays on screen, in storage or in the
/// next request (the claim rule, applied by the widget when the server could not answer). A
/// fresh anonymous session is asked for now, and again by the next call that needs one.
fn drop_session(app_id: &str) {
    storage::forget(app_id);
    storage::set_form_done(app_id, false);
    with_state(|s| s.session = None);
    clear_screen();
    if let Some(ui) = ui() {
        ui.hide_form();
        ui.set_verified_as(None);
    }
    spawn(Box::pin(async {
        let _ = fresh_session().await;
    }));
}

/// A fresh anonymous session on screen when there is none (after [`drop_session`]).
async fn fresh_session() -> Result<(), WidgetError> {
    if with_state(|s| s.session.is_none()) {
        recover_session(false).await?;
    }
    Ok(())
}

fn invalid(field: &str, message: &str) -> WidgetError {
    WidgetError {
        field: Some(field.into()),
        ..WidgetError::new(400, "invalid_field", message)
    }
}

/// `ReplyBubble.init({ appId, apiBase?, consent? })` → `{ status: "ready", mode,
/// conversationId }`, or `{ status: "consent_required" }` in consent-first mode before consent.
#[wasm_bindgen]
pub fn init(options: JsValue) -> Promise {
    promise(Box::pin(async move {
        let app_id = match js::get(&options, "appId") {
            v if v.as_string().is_some_and(|s| !s.is_empty()) => v.as_string().unwrap_throw(),
            v if v.is_undefined() || v.is_null() => return Err(invalid(
                "appId",
                "appId is required: init({ appId: \"app_...\" }) with the id from your dashboard",
            )),
            _ => return Err(invalid("appId", "appId must be a non-empty string")),
        };
        let api_base = js::get(&options, "apiBase");
        if !(api_base.is_undefined() || api_base.is_null() || api_base.is_string()) {
            return Err(invalid("apiBase", "apiBase must be a URL string"));
        }
        let consent = js::get(&options, "consent");
        let consent_first = match consent.as_string().as_deref() {
            Some("required") => true,
            Some("granted") => false,
            _ if consent.is_undefined() || consent.is_null() => false,
            _ => {
                return Err(invalid(
                    "consent",
                    "consent is \"required\" (ask first) or \"granted\"",
                ))
            }
        };
        let track = js::get(&options, "trackPages");
        if !(track.is_undefined() || track.is_null() || track.as_bool().is_some()) {
            return Err(invalid("trackPages", "trackPages is true or false"));
        }
        let strings = js::get(&options, "strings");
        if !(strings.is_undefined() || strings.is_null()) {
            if !strings.is_object() {
                return Err(invalid("strings", "strings is an object of texts by key"));
            }
            for key in js_sys::Object::keys(strings.unchecked_ref::<js_sys::Object>()).iter() {
                let key = key.as_string().unwrap_or_default();
                let value = js::get_str(&strings, &key);
                if let Err(e) = replybubble_core::appearance::check_override(&key, value.as_deref())
                {
                    return Err(e.into());
                }
            }
        }
        if let Some(existing) = with_state(|s| s.app_id.clone()) {
            if existing == app_id {
                return Ok(ready_result());
            }
            return Err(WidgetError::new(
                409,
                "already_initialized",
                "init() was already called with another appId: one page runs one workspace's widget",
            ));
        }
        with_state(|s| {
            if let Some(b) = api_base.as_string() {
                s.base = b.trim_end_matches('/').to_owned();
            }
            s.app_id = Some(app_id.clone());
            s.track_pages = track.as_bool() != Some(false);
            s.overrides = strings;
        });
        // A stored session means the visitor consented before (it is written only after).
        if consent_first && storage::load(&app_id).is_none() {
            mount()?;
            if let Some(ui) = ui() {
                ui.apply(&JsValue::NULL, &with_state(|s| s.overrides.clone()));
            }
            with_state(|s| s.consent_pending = true);
            return Ok(status("consent_required"));
        }
        start(&app_id).await
    }))
}

/// Draws the widget when it is not on the page; on failure the widget is not initialized.
fn mount() -> Result<(), WidgetError> {
    if ui().is_some() {
        return Ok(());
    }
    if let Some(parked) = with_state(|s| s.parked.take()) {
        parked.remount();
        with_state(|s| s.ui = Some(parked));
        return Ok(());
    }
    match Ui::mount(on_action) {
        Ok(mounted) => {
            with_state(|s| s.ui = Some(Rc::new(mounted)));
            Ok(())
        }
        Err(e) => {
            with_state(|s| s.app_id = None);
            report(&e);
            Err(e)
        }
    }
}

/// Opens (or resumes) the session, draws the widget and tells `on("ready")` listeners.
async fn start(app_id: &str) -> Result<JsValue, WidgetError> {
    let stored = storage::load(app_id);
    let bound = storage::bound_user(app_id);
    let client = Client {
        base: with_state(|s| s.base.clone()),
        token: stored.clone(),
    };
    let answer = match open_session(app_id, client).await {
        Ok(a) => a,
        Err(e) => {
            with_state(|s| s.app_id = None);
            report(&e);
            return Err(e);
        }
    };
    mount()?;
    if let Some(ui) = ui() {
        ui.apply(
            &js::get(&answer, keys::APPEARANCE),
            &with_state(|s| s.overrides.clone()),
        );
    }
    let resumed = stored.is_some() && js::get_str(&answer, keys::VISITOR_TOKEN) == stored;
    switch_session(app_id, &answer, bound.filter(|_| resumed));
    let ready = ready_result();
    emit("ready", &ready);
    if with_state(|s| s.track_pages) {
        follow_pages();
        spawn(Box::pin(report_page(0)));
    }
    let round = with_state(|s| {
        s.status_loop += 1;
        s.online = None;
        s.status_loop
    });
    spawn(Box::pin(watch_status(round)));
    Ok(ready)
}

/// How often the widget asks whether someone can answer.
const STATUS_EVERY_MS: u32 = 60_000;

/// Asks `GET status` now and every minute while this start lasts: the header's away line, the
/// launcher hidden with `--hide-when-offline`, and the `status` event when it changes.
async fn watch_status(round: u32) {
    loop {
        if with_state(|s| s.status_loop != round || s.app_id.is_none()) {
            return;
        }
        if let Ok((app_id, client)) = client() {
            let mut path = String::from("status?app_id=");
            path.push_str(&app_id);
            let asked = Client {
                token: None,
                ..client
            };
            if let Ok(answer) = asked.get(&path).await {
                if with_state(|s| s.status_loop != round) {
                    return;
                }
                let online = js::get(&answer, keys::ONLINE).as_bool().unwrap_or(true);
                if let Some(ui) = ui() {
                    let next = js::get_str(&answer, keys::NEXT_OPEN).unwrap_or_default();
                    ui.set_away((!online).then_some(next.as_str()));
                    let hide = js::get(&answer, keys::HIDE).as_bool() == Some(true);
                    // Someone already chatting keeps their launcher.
                    let chatting = with_state(|s| s.open || !s.shown.is_empty());
                    ui.set_launcher_hidden(hide && !chatting);
                }
                if with_state(|s| s.online.replace(online) != Some(online)) {
                    let out = js::object();
                    js::set(&out, keys::ONLINE, &JsValue::from_bool(online));
                    emit("status", &out);
                }
            }
        }
        sleep(STATUS_EVERY_MS).await;
    }
}

/// Reports the page the visitor is on (`POST page`) after `wait_ms` (a single-page app sets
/// its title just after it navigates), unless it is the one reported last. Only the address
/// without its query and fragment leaves the browser: they can hold tokens.
async fn report_page(wait_ms: u32) {
    if wait_ms > 0 {
        sleep(wait_ms).await;
    }
    if with_state(|s| !s.track_pages || s.session.is_none()) {
        return;
    }
    let global = js_sys::global();
    let href = js::get_str(&js::get(&global, "location"), "href").unwrap_or_default();
    let url = replybubble_core::page::reported_url(&href).to_owned();
    let title = js::get_str(&js::get(&global, "document"), "title").unwrap_or_default();
    let title = replybubble_core::page::reported_title(&title).to_owned();
    let page = (url, title);
    if with_state(|s| s.page_sent.as_ref() == Some(&page)) {
        return;
    }
    let Ok((_, client)) = client() else { return };
    let body = js::object();
    js::set(&body, keys::URL, &JsValue::from_str(&page.0));
    js::set(&body, keys::TITLE, &JsValue::from_str(&page.1));
    // A failed report is not the visitor's problem: the next navigation reports again.
    if client.post("page", &body).await.is_ok() {
        with_state(|s| s.page_sent = Some(page));
    }
}

/// Client-side navigation: `history.pushState` and `replaceState` are wrapped (the page's own
/// call runs first, unchanged) and `popstate` is heard; each reports the new page.
fn follow_pages() {
    if with_state(|s| std::mem::replace(&mut s.history_wrapped, true)) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let history = js::get(&window, "history");
    for name in ["pushState", "replaceState"] {
        let original = js::get(&history, name);
        if !original.is_function() {
            continue;
        }
        let original: js_sys::Function = original.unchecked_into();
        let target = history.clone();
        let wrapped = Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>::new(
            move |state: JsValue, unused: JsValue, url: JsValue| {
                let out = original.call3(&target, &state, &unused, &url)?;
                spawn(Box::pin(report_page(PAGE_SETTLE_MS)));
                Ok(out)
            },
        );
        js::set(&history, name, wrapped.as_ref());
        wrapped.forget();
    }
    let popped = Closure::<dyn Fn()>::new(|| spawn(Box::pin(report_page(PAGE_SETTLE_MS))));
    let _ = window.add_event_listener_with_callback("popstate", popped.as_ref().unchecked_ref());
    popped.forget();
}

/// How long after a client-side navigation the page is read (its title settles).
const PAGE_SETTLE_MS: u32 = 400;

/// The visitor's consent arrived (they opened the chat, or the page called `consent(true)`):
/// the session starts now.
async fn grant() -> Result<JsValue, WidgetError> {
    let (pending, app_id) =
        with_state(|s| (std::mem::take(&mut s.consent_pending), s.app_id.clone()));
    let Some(app_id) = app_id else {
        return Err(WidgetError::not_initialized("consent"));
    };
    if !pending {
        return Ok(ready_result());
    }
    let started = start(&app_id).await;
    if started.is_err() {
        // Still waiting: the next click or consent(true) tries again.
        with_state(|s| {
            s.app_id = Some(app_id);
            s.consent_pending = true;
        });
    }
    started
}

/// `ReplyBubble.consent(granted)` → `{ status: "consent", granted }`. `true` starts the session
/// in consent-first mode; `false` withdraws it: the widget forgets what it stored in this
/// browser (token, bound user, contact form) and goes back to waiting, launcher only.
#[wasm_bindgen]
pub fn consent(granted: JsValue) -> Promise {
    promise(Box::pin(async move {
        let Some(granted) = granted.as_bool() else {
            return Err(invalid("granted", "consent(granted) takes true or false"));
        };
        let Some(app_id) = with_state(|s| s.app_id.clone()) else {
            return Err(WidgetError::not_initialized("consent"));
        };
        if granted {
            grant().await?;
        } else {
            storage::forget(&app_id);
            storage::set_form_done(&app_id, false);
            set_open(false);
            with_state(|s| {
                s.generation += 1;
                s.live = None;
                s.session = None;
                s.shown.clear();
                s.consent_pending = true;
            });
            if let Some(ui) = ui() {
                ui.clear_messages();
                ui.hide_form();
            }
            set_unread(0);
        }
        let out = status("consent");
        js::set(&out, "granted", &JsValue::from_bool(granted));
        Ok(out)
    }))
}

/// `ReplyBubble.shutdown()` → `{ status: "shutdown" }`: takes the widget off the page and closes
/// its stream; the stored session stays, so `init()` brings the same conversation back.
#[wasm_bindgen]
pub fn shutdown() -> Promise {
    let ui = with_state(|s| {
        s.generation += 1;
        s.live = None;
        s.session = None;
        s.app_id = None;
        s.shown.clear();
        s.stream_last = 0;
        s.open = false;
        s.unread = 0;
        s.consent_pending = false;
        s.ui.take()
    });
    if let Some(ui) = ui {
        ui.unmount();
        with_state(|s| s.parked = Some(ui));
    }
    Promise::resolve(&status("shutdown"))
}

/// Validates a raw `identify()` argument with the core rules; warns about unknown fields.
pub fn validate_user(user: &JsValue) -> Result<IdentifyUser, WidgetError> {
    let parsed = IdentifyUser::parse(&js::to_value(user))?;
    for field in &parsed.unknown_fields {
        let mut m = String::from("ReplyBubble.identify(): unknown field \"");
        m.push_str(field);
        m.push_str("\" is ignored; put custom data in traits");
        js::warn(&m);
    }
    Ok(parsed.user)
}

/// `ReplyBubble.identify(user)`: see DESIGN.md's decision table.
///
/// The claim rule: a session bound to one user is never used for another. When the server
/// answers on a new session (another user identified, whatever the outcome, errors included),
/// the widget switches to it and clears the screen. When the call fails validation before any
/// request and names another user than the bound one, the widget resets the session itself.
#[wasm_bindgen]
pub fn identify(user: JsValue) -> Promise {
    promise(Box::pin(async move {
        let valid = match validate_user(&user) {
            Ok(v) => v,
            Err(e) => {
                if let Ok((app_id, client)) = client() {
                    let bound = with_state(|s| s.session.as_ref().and_then(|x| x.user.clone()));
                    if bound.is_some() && bound != js::get_str(&user, keys::ID) {
                        reset_session(&app_id, client).await?;
                    }
                }
                return Err(e);
            }
        };
        require_init("identify")?;
        // A session dropped by the claim rule is started again before the call.
        fresh_session().await?;
        let (app_id, client) = require_init("identify")?;
        match client.post("identify", &user_body(&valid)).await {
            Ok(answer) => identified(&app_id, &valid, answer),
            Err(e) => Err(identify_failed(&app_id, e, valid.id.as_ref())),
        }
    }))
}

/// The identify request built from the validated user, so what is sent is exactly what was
/// checked (no getters, `toJSON` or unknown fields of the page's object).
fn user_body(u: &IdentifyUser) -> JsValue {
    let body = js::object();
    let text = |key: &str, v: Option<&str>| {
        if let Some(v) = v {
            js::set(&body, key, &JsValue::from_str(v));
        }
    };
    text("id", Some(u.id.as_ref()));
    text("signature", u.signature.as_deref());
    text(keys::EMAIL, u.email.as_ref().map(AsRef::as_ref));
    text(keys::NAME, u.name.as_ref().map(AsRef::as_ref));
    text("company", u.company.as_ref().map(AsRef::as_ref));
    text("phone", u.phone.as_ref().map(AsRef::as_ref));
    if !u.traits.is_empty() {
        let traits = js::object();
        for (k, v) in u.traits.iter() {
            let v = match v {
                TraitValue::String(s) => JsValue::from_str(s),
                TraitValue::Number(n) => JsValue::from_f64(*n),
                TraitValue::Bool(b) => JsValue::from_bool(*b),
            };
            js::set(&traits, k, &v);
        }
        js::set(&body, "traits", &traits);
    }
    body
}

/// A rejected identify: switch to the new session it may carry. Otherwise, when the session
/// (or the one stored for this browser) is bound to another user than `id`, drop it here and
/// start a fresh one: whatever failed (429, 413, 5xx, no network), the next person never sees
/// or writes into the previous user's conversation. A session that had ended (another tab
/// reset it) is picked up again. A 403 shows in the composer.
fn identify_failed(app_id: &str, mut e: WidgetError, id: &str) -> WidgetError {
    let bound = with_state(|s| s.session.as_ref().and_then(|x| x.user.clone()))
        .or_else(|| storage::bound_user(app_id));
    if let Some(body) = e.new_session.take() {
        switch_session(app_id, &body, None);
    } else if bound.is_some_and(|b| b != id) {
        drop_session(app_id);
    } else if e.status == 401 {
        spawn(recover());
    }
    if e.status == 403 {
        if let Some(ui) = ui() {
            ui.set_notice(Some(&e.message));
        }
    }
    e
}

/// A resolved identify: switch when the server started a new session, remember who the session
/// is bound to, and update the screen.
fn identified(app_id: &str, valid: &IdentifyUser, answer: JsValue) -> Result<JsValue, WidgetError> {
    if js::get_str(&answer, keys::VISITOR_TOKEN).is_some() {
        let same = with_state(|s| {
            s.session.as_ref().is_some_and(|x| {
                js::get(&answer, keys::CONVERSATION_ID).loose_eq(&x.conversation_id)
            })
        });
        if same {
            // The verified identify gave this session a new token (the old one, which others
            // may have known, is ended): same conversation and screen, a stream on the new one.
            adopt_session(app_id, &answer, None);
            let generation = with_state(|s| {
                s.generation += 1;
                s.generation
            });
            spawn(Box::pin(start_live(generation)));
        } else {
            switch_session(app_id, &answer, None);
        }
    }
    let verified = js::get(&answer, keys::VERIFIED).as_bool().unwrap_or(false);
    let contact = js::get(&answer, keys::CONTACT);
    let shown_as = js::get_str(&contact, keys::NAME)
        .or_else(|| js::get_str(&contact, keys::EMAIL))
        .or(Some(valid.id.as_ref().to_owned()));
    with_state(|s| {
        if let Some(x) = s.session.as_mut() {
            if verified {
                x.verified = true;
                x.verified_as = shown_as;
                x.user = Some(valid.id.as_ref().to_owned());
            }
            let conv = js::get(&answer, keys::CONVERSATION_ID);
            if !conv.is_undefined() {
                x.conversation_id = conv;
            }
        }
    });
    if verified {
        storage::set_bound_user(app_id, Some(valid.id.as_ref()));
    }
    refresh_ui();
    let prefill = js::get(&answer, keys::PREFILL);
    if prefill.is_object() && !storage::form_done(app_id) {
        if let Some(ui) = ui() {
            ui.show_form(
                js::get_str(&prefill, keys::NAME).as_deref(),
                js::get_str(&prefill, keys::EMAIL).as_deref(),
            );
        }
    }
    // The token is the widget's business, not the page's.
    let out = js::camel_keys(&answer, keys::VISITOR_TOKEN);
    emit("identify", &out);
    Ok(out)
}

/// `ReplyBubble.reset()` → `{ status: "reset", conversationId }`: forgets the identity and the
/// stored session (revoked on the server) and starts a fresh anonymous conversation; the
/// previous user's messages leave the screen.
#[wasm_bindgen]
pub fn reset() -> Promise {
    promise(Box::pin(async move {
        let (app_id, client) = require_init("reset")?;
        let answer = reset_session(&app_id, client).await?;
        let out = status("reset");
        js::set(
            &out,
            "conversationId",
            &js::get(&answer, keys::CONVERSATION_ID),
        );
        Ok(out)
    }))
}

fn open_or_close(method: &str, open: bool) -> Promise {
    match require_init(method) {
        Ok(_) => {
            set_open(open);
            Promise::resolve(&status(if open { "open" } else { "closed" }))
        }
        Err(e) => Promise::reject(&e.into()),
    }
}

/// `ReplyBubble.open()` → `{ status: "open" }`.
#[wasm_bindgen]
pub fn open() -> Promise {
    open_or_close("open", true)
}

/// `ReplyBubble.close()` → `{ status: "closed" }`.
#[wasm_bindgen]
pub fn close() -> Promise {
    open_or_close("close", false)
}

async fn send_text(text: String) -> Result<JsValue, WidgetError> {
    let body = MessageBody::parse(text)?;
    require_init("sendMessage")?;
    // A session dropped by the claim rule is started again before anything is sent.
    fresh_session().await?;
    let payload = js::object();
    js::set(&payload, keys::BODY, &JsValue::from_str(body.as_ref()));
    let (_, client) = require_init("sendMessage")?;
    match client.post("messages", &payload).await {
        Ok(answer) => {
            let msg = js::object();
            js::set(&msg, keys::ID, &js::get(&answer, keys::ID));
            js::set(&msg, keys::SEQ, &js::get(&answer, keys::SEQ));
            js::set(&msg, keys::AUTHOR, &JsValue::from_str("visitor"));
            js::set(&msg, keys::BODY, &JsValue::from_str(body.as_ref()));
            js::set(&msg, keys::CREATED_AT, &js::get(&answer, keys::CREATED_AT));
            incoming(&msg, false);
            let out = status("sent");
            js::set(&out, "messageId", &js::get(&answer, keys::ID));
            Ok(out)
        }
        // The session ended (another tab reset it, or 30 days unused): start a new one, on
        // which the visitor's next send goes; the composer keeps the text.
        Err(e) if e.status == 401 => {
            // Unless signing in rotated the token meanwhile (the session lives on).
            if with_state(|s| s.session.as_ref().map(|x| &x.token) == client.token.as_ref()) {
                recover().await;
            }
            Err(e)
        }
        Err(e) => {
            if let Some(ui) = ui() {
                ui.set_notice(Some(&e.message));
                if e.status == 403 {
                    ui.set_composer_enabled(false);
                }
            }
            Err(e)
        }
    }
}

/// `ReplyBubble.sendMessage(text)` → `{ status: "sent", messageId }`.
#[wasm_bindgen(js_name = sendMessage)]
pub fn send_message(text: JsValue) -> Promise {
    promise(Box::pin(async move {
        let text = match text.as_string() {
            Some(t) => t,
            None => return Err(invalid("body", "sendMessage(text) takes a string")),
        };
        send_text(text).await
    }))
}
