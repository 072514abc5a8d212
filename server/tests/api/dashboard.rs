//! The agent dashboard over real HTTP: login and sessions, CSRF on every form, roles,
//! workspace isolation, the pages and their numbers, the verification panel.

use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::{sign, spawn_app, spawn_app_with, TestApp, Ws};

const PASSWORD: &str = "correct horse battery staple";

/// A logged-in browser, reduced to its cookie and the page's CSRF token.
struct Dash<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
}

struct Page {
    status: u16,
    body: String,
    headers: awc::http::header::HeaderMap,
}

fn set_cookies(headers: &awc::http::header::HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

fn cookie_value(set: &[String], name: &str) -> Option<String> {
    set.iter().find_map(|c| {
        c.strip_prefix(&format!("{name}="))
            .map(|v| v.split(';').next().unwrap().to_owned())
    })
}

fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a csrf field")
        + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> Page {
    let mut res = app
        .client
        .get(app.url(path))
        .insert_header(("Cookie", cookie.to_owned()))
        .send()
        .await
        .unwrap();
    let body = res.body().limit(4 << 20).await.unwrap();
    Page {
        status: res.status().as_u16(),
        body: String::from_utf8_lossy(&body).into_owned(),
        headers: res.headers().clone(),
    }
}

async fn post(app: &TestApp, path: &str, cookie: &str, form: &[(&str, &str)]) -> Page {
    let mut res = app
        .client
        .post(app.url(path))
        .insert_header(("Cookie", cookie.to_owned()))
        .send_form(
            &form
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let body = res.body().limit(4 << 20).await.unwrap();
    Page {
        status: res.status().as_u16(),
        body: String::from_utf8_lossy(&body).into_owned(),
        headers: res.headers().clone(),
    }
}

async fn agent(app: &TestApp, ws: &Ws, email: &str, role: &str) {
    app.agent(ws, email, role, PASSWORD).await;
}

async fn login_attempt(app: &TestApp, email: &str, password: &str) -> Page {
    let form = get(app, "/dashboard/login", "").await;
    let pre =
        cookie_value(&set_cookies(&form.headers), "rb_login_csrf").expect("a login csrf cookie");
    let csrf = csrf_in(&form.body);
    post(
        app,
        "/dashboard/login",
        &format!("rb_login_csrf={pre}"),
        &[("email", email), ("password", password), ("csrf", &csrf)],
    )
    .await
}

async fn login<'a>(app: &'a TestApp, email: &str) -> Dash<'a> {
    let res = login_attempt(app, email, PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.headers.get("location").unwrap(), "/dashboard");
    let set = set_cookies(&res.headers);
    let session = set
        .iter()
        .find(|c| c.starts_with("rb_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/dashboard"),
        "{session}"
    );
    let cookie = format!("rb_session={}", cookie_value(&set, "rb_session").unwrap());
    let home = get(app, "/dashboard", &cookie).await;
    assert_eq!(home.status, 200);
    Dash {
        app,
        csrf: csrf_in(&home.body),
        cookie,
    }
}

impl Dash<'_> {
    async fn get(&self, path: &str) -> Page {
        get(self.app, path, &self.cookie).await
    }
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut with = vec![("csrf", self.csrf.as_str())];
        with.extend_from_slice(form);
        post(self.app, path, &self.cookie, &with).await
    }
}

/// A visitor conversation, identified as `user` when given.
async fn conversation(app: &TestApp, ws: &Ws, user: Option<(&str, &str, &str)>, text: &str) -> i64 {
    let (mut token, conv) = app.session(ws).await;
    if let Some((id, name, company)) = user {
        let r = app
            .verify(&mut token, json!({ "id": id, "signature": sign(ws, id), "name": name, "email": format!("{id}@example.com"), "company": company, "traits": { "tier": "gold" } }))
            .await;
        assert_eq!(r.body["status"], "verified");
    }
    assert_eq!(app.send(&token, text).await.status, 201);
    conv
}

#[actix_rt::test]
async fn logged_out_pages_redirect_to_the_login_page() {
    let app = spawn_app().await;
    for path in [
        "/dashboard",
        "/dashboard/conversations",
        "/dashboard/conversations/1",
        "/dashboard/contacts",
        "/dashboard/contacts/1",
        "/dashboard/integrations/verification",
    ] {
        let p = get(&app, path, "").await;
        assert_eq!(p.status, 303, "{path}");
        assert_eq!(p.headers.get("location").unwrap(), "/dashboard/login");
        let p = get(&app, path, "rb_session=rbs_forged").await;
        assert_eq!(p.status, 303, "a forged session: {path}");
    }
}

#[actix_rt::test]
async fn login_checks_the_password_the_csrf_cookie_and_logout_ends_the_session() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let wrong = login_attempt(&app, "owner@acme.test", "not the password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Email or password is wrong"));
    assert!(cookie_value(&set_cookies(&wrong.headers), "rb_session").is_none());
    let unknown = login_attempt(&app, "nobody@acme.test", PASSWORD).await;
    assert_eq!(unknown.status, 401, "the same answer for an unknown email");
    let nul = login_attempt(&app, "owner@acme.test\u{0}", PASSWORD).await;
    assert_eq!(
        nul.status, 401,
        "an email holding U+0000 is a wrong one, on both engines"
    );
    // A form posted without the login page's cookie is refused.
    let p = post(
        &app,
        "/dashboard/login",
        "",
        &[
            ("email", "owner@acme.test"),
            ("password", PASSWORD),
            ("csrf", "x"),
        ],
    )
    .await;
    assert_eq!(p.status, 403);
    let dash = login(&app, "owner@acme.test").await;
    assert!(dash
        .get("/dashboard")
        .await
        .body
        .contains("owner@acme.test"));
    // Sessions expire on the server.
    app.sql_exec("UPDATE agent_sessions SET expires_at = 0")
        .await;
    assert_eq!(
        dash.get("/dashboard").await.status,
        303,
        "an expired session logs out"
    );
    app.sql_exec("UPDATE agent_sessions SET expires_at = 9999999999999")
        .await;
    let out = dash.post("/dashboard/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(
        dash.get("/dashboard").await.status,
        303,
        "the session ended on the server"
    );
}

#[actix_rt::test]
async fn login_attempts_are_rate_limited() {
    let app = spawn_app_with(true).await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let mut statuses = Vec::new();
    for _ in 0..(replybubble_server::policy::RATE_LOGIN_PER_IP.burst + 2) {
        statuses.push(
            login_attempt(&app, "owner@acme.test", "wrong password!")
                .await
                .status,
        );
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

#[actix_rt::test]
async fn every_form_refuses_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let conv = conversation(&app, &ws, None, "hello").await;
    let dash = login(&app, "owner@acme.test").await;
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/dashboard/conversations/{conv}/reply"),
            vec![("body", "hi")],
        ),
        (
            format!("/dashboard/conversations/{conv}/status"),
            vec![("status", "closed")],
        ),
        (
            "/dashboard/integrations/verification/secret".into(),
            vec![("action", "regenerate"), ("confirm", "yes")],
        ),
        (
            "/dashboard/integrations/verification/mode".into(),
            vec![("mode", "required")],
        ),
        (
            "/dashboard/settings/widget".into(),
            WIDGET_FORM.with("position", "left"),
        ),
        ("/dashboard/presence".into(), vec![("presence", "away")]),
        ("/dashboard/notifications".into(), vec![("sound", "on")]),
        (
            format!("/dashboard/conversations/{conv}/read"),
            vec![("seq", "1")],
        ),
        ("/dashboard/heartbeat".into(), vec![]),
        ("/dashboard/settings/hours".into(), vec![("mode", "always")]),
        ("/dashboard/logout".into(), vec![]),
    ];
    for (path, fields) in &forms {
        for csrf in ["", "wrong-token"] {
            let mut with = vec![("csrf", csrf)];
            with.extend_from_slice(fields);
            let p = post(&app, path, &dash.cookie, &with).await;
            assert_eq!(p.status, 403, "{path} with csrf {csrf:?}");
        }
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM messages WHERE author = 'agent'")
            .await,
        0
    );
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM workspaces WHERE mode = 'required' OR secret_version > 1"
        )
        .await,
        0
    );
    assert_eq!(dash.get("/dashboard").await.status, 200, "still logged in");
}

#[actix_rt::test]
async fn another_workspaces_ids_are_not_found() {
    let app = spawn_app().await;
    let mine = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let theirs = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &mine, "me@mine.test", "owner").await;
    let conv = conversation(
        &app,
        &theirs,
        Some(("x1", "Secret Person", "Theirs Inc")),
        "their message",
    )
    .await;
    let contact = app.sql_count("SELECT id FROM contacts").await;
    let dash = login(&app, "me@mine.test").await;
    for path in [
        format!("/dashboard/conversations/{conv}"),
        format!("/dashboard/contacts/{contact}"),
        format!("/dashboard/conversations/{conv}/events"),
    ] {
        let p = dash.get(&path).await;
        assert_eq!(p.status, 404, "{path}");
        assert!(!p.body.contains("Secret Person") && !p.body.contains("their message"));
    }
    assert_eq!(
        dash.post(
            &format!("/dashboard/conversations/{conv}/reply"),
            &[("body", "hi")]
        )
        .await
        .status,
        404
    );
    assert_eq!(
        dash.post(
            &format!("/dashboard/conversations/{conv}/status"),
            &[("status", "closed")]
        )
        .await
        .status,
        404
    );
    assert!(!dash
        .get("/dashboard/conversations")
        .await
        .body
        .contains("Secret Person"));
    assert!(!dash
        .get("/dashboard/contacts")
        .await
        .body
        .contains("Secret Person"));
    assert_eq!(
        app.sql_count("SELECT count(*) FROM messages WHERE author = 'agent'")
            .await,
        0
    );
}

#[actix_rt::test]
async fn the_identified_rate_and_the_counts_match_the_data() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let dash = login(&app, "owner@acme.test").await;
    let home = dash.get("/dashboard").await.body;
    assert!(
        home.contains("data-test=\"identified-rate\">—<"),
        "no conversations: a dash"
    );
    conversation(&app, &ws, Some(("ada", "Ada", "ACME")), "one").await;
    conversation(&app, &ws, Some(("bob", "Bob", "Bobco")), "two").await;
    conversation(&app, &ws, None, "three").await;
    // An unverified identify does not count as identified.
    let (t, _) = app.session(&ws).await;
    app.identify(&t, json!({ "id": "mallory", "email": "ada@example.com" }))
        .await;
    app.send(&t, "four").await;
    // Visitors who never wrote are not counted at all, identified or not.
    let (quiet, _) = app.session(&ws).await;
    let (quiet_verified, _) = app.session(&ws).await;
    app.identify(
        &quiet_verified,
        json!({ "id": "carol", "signature": sign(&ws, "carol") }),
    )
    .await;
    let _ = quiet;
    let home = dash.get("/dashboard").await.body;
    assert!(
        home.contains("data-test=\"identified-rate\">50.0%<"),
        "2 of 4: {home}"
    );
    assert!(home.contains("2 of 4 conversations"));
    assert!(home.contains("data-test=\"open\">4<"));
    assert!(home.contains("data-test=\"contacts\">3<"));
}

#[actix_rt::test]
async fn conversations_list_verified_people_filter_and_page_by_fifty() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    conversation(
        &app,
        &ws,
        Some(("ada", "Ada Lovelace", "Analytical Engines")),
        "I need help",
    )
    .await;
    for i in 0..54 {
        conversation(&app, &ws, None, &format!("anonymous {i}")).await;
    }
    let dash = login(&app, "agent@acme.test").await;
    let all = dash.get("/dashboard/conversations").await.body;
    assert_eq!(all.matches("class=\"row\"").count(), 50, "one page is 50");
    assert!(all.contains("anonymous 53"), "newest activity first");
    assert!(all.contains("Visitor #"));
    let next = all
        .split("href=\"/dashboard/conversations?before=")
        .nth(1)
        .expect("a next page")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let older = dash
        .get(&format!("/dashboard/conversations?before={next}"))
        .await
        .body;
    assert_eq!(older.matches("class=\"row\"").count(), 5);
    assert!(
        older.contains("Ada Lovelace")
            && older.contains("Analytical Engines")
            && older.contains("ada@example.com")
    );
    assert!(older.contains("class=\"verified\""), "the Verified badge");
    let only = dash.get("/dashboard/conversations?identified=1").await.body;
    assert_eq!(only.matches("class=\"row\"").count(), 1);
    assert!(only.contains("Ada Lovelace") && !only.contains("Visitor #"));
    assert!(
        only.contains("aria-checked=\"true\""),
        "the toggle shows its state"
    );
    assert_eq!(
        dash.get("/dashboard/conversations?before=garbage")
            .await
            .status,
        400
    );
}

#[actix_rt::test]
async fn a_conversation_shows_messages_and_the_contact_card_and_takes_replies() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    let conv = conversation(
        &app,
        &ws,
        Some(("ada", "Ada Lovelace", "Analytical Engines")),
        "Where is my order?",
    )
    .await;
    conversation(
        &app,
        &ws,
        Some(("ada", "Ada Lovelace", "Analytical Engines")),
        "Another question",
    )
    .await;
    let dash = login(&app, "agent@acme.test").await;
    let page = dash
        .get(&format!("/dashboard/conversations/{conv}"))
        .await
        .body;
    assert!(page.contains("Where is my order?"));
    assert!(
        page.contains("Ada Lovelace")
            && page.contains("ada@example.com")
            && page.contains("Analytical Engines")
    );
    assert!(page.contains("tier") && page.contains("gold"), "traits");
    assert!(
        page.contains("Another question"),
        "other conversations of the contact"
    );
    let r = dash
        .post(
            &format!("/dashboard/conversations/{conv}/reply"),
            &[("body", "It ships today")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(app.sql_count(&format!("SELECT count(*) FROM messages WHERE conversation_id = {conv} AND author = 'agent' AND agent_id IS NOT NULL")).await, 1);
    assert!(dash
        .get(&format!("/dashboard/conversations/{conv}"))
        .await
        .body
        .contains("It ships today"));
    assert_eq!(
        dash.post(
            &format!("/dashboard/conversations/{conv}/reply"),
            &[("body", " ")]
        )
        .await
        .status,
        400
    );
    assert_eq!(
        dash.post(
            &format!("/dashboard/conversations/{conv}/status"),
            &[("status", "closed")]
        )
        .await
        .status,
        303
    );
    assert!(dash
        .get(&format!("/dashboard/conversations/{conv}"))
        .await
        .body
        .contains("Reopen"));
    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) FROM conversations WHERE id = {conv} AND status = 'closed'"
        ))
        .await,
        1
    );
    dash.post(
        &format!("/dashboard/conversations/{conv}/status"),
        &[("status", "open")],
    )
    .await;
    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) FROM conversations WHERE id = {conv} AND status = 'open'"
        ))
        .await,
        1
    );
    let contact = app.sql_count("SELECT id FROM contacts").await;
    let cpage = dash
        .get(&format!("/dashboard/contacts/{contact}"))
        .await
        .body;
    assert!(
        cpage.contains("Ada Lovelace")
            && cpage.contains("It ships today")
            && cpage.contains("Another question")
    );
    assert!(dash
        .get("/dashboard/contacts")
        .await
        .body
        .contains("Ada Lovelace"));
}

#[actix_rt::test]
async fn what_visitors_typed_is_shown_as_text_never_as_html() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let conv = conversation(&app, &ws, Some(("x1", evil, evil)), evil).await;
    let dash = login(&app, "agent@acme.test").await;
    for path in [
        format!("/dashboard/conversations/{conv}"),
        "/dashboard/conversations".into(),
        "/dashboard/contacts".into(),
    ] {
        let page = dash.get(&path).await.body;
        assert!(
            !page.contains("<script>alert") && !page.contains("<img src=x"),
            "{path}"
        );
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                || page.contains("&#60;script&#62;"),
            "{path}"
        );
    }
}

#[actix_rt::test]
async fn dashboard_pages_carry_security_headers() {
    let app = spawn_app().await;
    let p = get(&app, "/dashboard/login", "").await;
    let h = |k: &str| {
        p.headers
            .get(k)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(
        h("content-security-policy").contains("frame-ancestors 'none'")
            && h("content-security-policy").contains("script-src 'self'")
    );
    assert_eq!(h("x-frame-options"), "DENY");
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("referrer-policy"), "same-origin");
}

#[actix_rt::test]
async fn the_verification_panel_is_for_owners_and_gated_by_the_plan() {
    let app = spawn_app().await;
    let free = app.workspace(Plan::Free, Mode::Off, &[]).await;
    agent(&app, &free, "owner@free.test", "owner").await;
    agent(&app, &free, "agent@free.test", "agent").await;
    let a = login(&app, "agent@free.test").await;
    assert_eq!(
        a.get("/dashboard/integrations/verification").await.status,
        403
    );
    assert!(
        !a.get("/dashboard")
            .await
            .body
            .contains("/dashboard/integrations/verification\""),
        "no link for agents"
    );
    let o = login(&app, "owner@free.test").await;
    let page = o.get("/dashboard/integrations/verification").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("available on Pro and Enterprise plans"));
    assert_eq!(
        o.post(
            "/dashboard/integrations/verification/secret",
            &[("action", "generate")]
        )
        .await
        .status,
        402
    );
    assert_eq!(
        o.post(
            "/dashboard/integrations/verification/mode",
            &[("mode", "optional")]
        )
        .await
        .status,
        402
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM workspaces WHERE secret IS NOT NULL")
            .await,
        0
    );
}

#[actix_rt::test]
async fn the_secret_is_shown_once_and_regenerate_needs_confirmation() {
    let app = spawn_app().await;
    let app_id = replybubble_server::crypto::new_app_id();
    app.store()
        .create_workspace(app_id.clone(), "Fresh".into(), Plan::Pro, Vec::new(), 0)
        .await
        .unwrap();
    let ws = Ws {
        app_id,
        secret: None,
    };
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let o = login(&app, "owner@acme.test").await;
    assert!(o
        .get("/dashboard/integrations/verification")
        .await
        .body
        .contains("Generate Secret"));
    let posted = o
        .post(
            "/dashboard/integrations/verification/secret",
            &[("action", "generate")],
        )
        .await;
    assert_eq!(
        (
            posted.status,
            posted.headers.get("location").and_then(|v| v.to_str().ok())
        ),
        (303, Some("/dashboard/integrations/verification")),
        "post/redirect/get"
    );
    assert!(!posted.body.contains("rbsec_"));
    let shown = o.get("/dashboard/integrations/verification").await;
    assert_eq!(shown.status, 200);
    let at = shown.body.find("data-test=\"secret\">").unwrap() + 19;
    let secret = shown.body[at..].split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("rbsec_"), "{secret}");
    assert!(shown
        .body
        .contains("shown once and cannot be retrieved later"));
    assert!(
        shown.body.contains("data-copy=\"secret-value\""),
        "a copy button"
    );
    for path in [
        "/dashboard/integrations/verification",
        "/dashboard",
        "/dashboard/conversations",
        "/dashboard/contacts",
    ] {
        assert!(
            !o.get(path).await.body.contains(&secret),
            "{path} shows the secret again"
        );
    }
    let stored = app.sql_rows("SELECT secret FROM workspaces").await[0][0]
        .clone()
        .unwrap();
    assert!(
        replybubble_server::crypto::SecretBox::is_sealed(&stored) && !stored.contains(&secret),
        "stored sealed, never in clear"
    );
    assert_eq!(
        app.state
            .services
            .secrets
            .open(
                &stored,
                &replybubble_server::service::secret_context(&ws.app_id)
            )
            .unwrap(),
        secret
    );
    // Regenerate without ticking the confirmation changes nothing.
    assert_eq!(
        o.post(
            "/dashboard/integrations/verification/secret",
            &[("action", "regenerate")]
        )
        .await
        .status,
        400
    );
    let again = o
        .post(
            "/dashboard/integrations/verification/secret",
            &[("action", "regenerate"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(again.status, 303);
    let again = o.get("/dashboard/integrations/verification").await;
    assert!(!again.body.contains(&secret));
    assert!(again.body.contains("data-test=\"secret\">rbsec_"));
    // A refresh of the page neither shows the secret again nor regenerates it.
    let refreshed = o.get("/dashboard/integrations/verification").await;
    assert!(!refreshed.body.contains("data-test=\"secret\""));
    let version = app.sql_count("SELECT secret_version FROM workspaces").await;
    assert_eq!(version, 2);
    // The old secret fails at once.
    let (token, _) = app.session(&ws).await;
    o.post(
        "/dashboard/integrations/verification/mode",
        &[("mode", "required")],
    )
    .await;
    let r = app
        .identify(
            &token,
            json!({ "id": "u1", "signature": replybubble_core::signature::sign(&secret, "u1") }),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "signature_invalid"));
}

#[actix_rt::test]
async fn the_mode_form_and_the_activity_with_required_readiness() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Off, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let o = login(&app, "owner@acme.test").await;
    for mode in ["optional", "required", "off", "optional"] {
        assert_eq!(
            o.post(
                "/dashboard/integrations/verification/mode",
                &[("mode", mode)]
            )
            .await
            .status,
            303
        );
        assert_eq!(
            app.sql_count(&format!(
                "SELECT count(*) FROM workspaces WHERE mode = '{mode}'"
            ))
            .await,
            1
        );
    }
    assert_eq!(
        o.post(
            "/dashboard/integrations/verification/mode",
            &[("mode", "strict")]
        )
        .await
        .status,
        400
    );
    let panel = o.get("/dashboard/integrations/verification").await.body;
    assert!(panel.contains("data-test=\"readiness\">—<"));
    assert!(panel.contains(&ws.app_id), "the snippet carries the app id");
    let (mut token, _) = app.session(&ws).await;
    let sig = sign(&ws, "ada");
    for _ in 0..3 {
        let r = app
            .verify(&mut token, json!({ "id": "ada", "signature": sig }))
            .await;
        assert_eq!(r.body["status"], "verified", "{:?}", r.body);
    }
    let (token, _) = app.session(&ws).await;
    // One visitor repeating a bad call weighs as one user id.
    for _ in 0..40 {
        app.identify(&token, json!({ "id": "ghost" })).await;
    }
    let (token, _) = app.session(&ws).await;
    app.identify(
        &token,
        json!({ "id": "mail_user", "email": "m@x.io", "signature": sign(&ws, "m@x.io") }),
    )
    .await;
    let panel = o.get("/dashboard/integrations/verification").await.body;
    assert!(
        panel.contains("data-test=\"readiness\">66.7%<"),
        "2 of 3 user ids would be rejected: {panel}"
    );
    assert!(panel.contains("(41 of 44 calls)"), "{panel}");
    assert!(
        panel.contains(
            "<code>ghost</code></td><td>signature_missing</td><td>—</td><td class=\"num\">40</td>"
        ),
        "one row for the repeated failure, with its call count: {panel}"
    );
    assert!(panel.contains("Unverified: signature invalid (signed_email)"));
    assert!(panel.contains("Unverified: signature missing"));
    assert!(
        panel.contains("mail_user") && panel.contains("ghost"),
        "failures list the user id as sent"
    );
    assert!(
        !panel.contains(&sig) && !panel.contains(&sign(&ws, "m@x.io")),
        "never a signature"
    );
}

#[actix_rt::test]
async fn the_conversation_stream_sends_what_came_after_the_page_then_live_messages() {
    use futures_util::StreamExt;
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    let (token, conv) = app.session(&ws).await;
    let first = app.send(&token, "rendered with the page").await.body["seq"]
        .as_i64()
        .unwrap();
    let second = app
        .send(&token, "written before the stream opened")
        .await
        .body["seq"]
        .as_i64()
        .unwrap();
    let dash = login(&app, "agent@acme.test").await;
    let mut res = app
        .client
        .get(app.url(&format!(
            "/dashboard/conversations/{conv}/events?after={first}"
        )))
        .insert_header(("Cookie", dash.cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let third = app.send(&token, "live").await.body["seq"].as_i64().unwrap();
    let mut text = String::new();
    while !text.contains(&format!("id: {third}\n")) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), res.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(
        !text.contains(&format!("id: {first}\n")),
        "nothing the page already has"
    );
    let (at2, at3) = (
        text.find(&format!("id: {second}\n")).unwrap(),
        text.find(&format!("id: {third}\n")).unwrap(),
    );
    assert!(at2 < at3, "in order");
}

#[actix_rt::test]
async fn visitors_who_never_wrote_leave_no_trace_in_the_inbox() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let dash = login(&app, "owner@acme.test").await;
    // Two page views, one of them by a verified user, nobody writes.
    let (_, quiet) = app.session(&ws).await;
    let (mut t, quiet_verified) = app.session(&ws).await;
    app.verify(
        &mut t,
        json!({ "id": "ada", "signature": sign(&ws, "ada") }),
    )
    .await;
    let list = dash.get("/dashboard/conversations").await.body;
    assert!(list.contains("No conversations"), "{list}");
    assert!(!list.contains("Visitor #"), "{list}");
    let home = dash.get("/dashboard").await.body;
    assert!(home.contains("data-test=\"identified-rate\">—<"), "{home}");
    assert!(home.contains("data-test=\"open\">0<"));
    for id in [quiet, quiet_verified] {
        assert_eq!(
            dash.get(&format!("/dashboard/conversations/{id}"))
                .await
                .status,
            404
        );
    }
    // The contact form's details start a conversation; so does a first message.
    let (v, details) = app.session(&ws).await;
    let r = app
        .post(
            "/api/v1/widget/visitor",
            Some(&v),
            json!({ "name": "Grace", "email": "grace@example.com" }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(app.send(&t, "now I write").await.status, 201);
    let list = dash.get("/dashboard/conversations").await.body;
    assert!(
        list.contains(&format!("/dashboard/conversations/{details}\"")),
        "{list}"
    );
    assert!(list.contains(&format!("/dashboard/conversations/{quiet_verified}\"")));
    assert!(!list.contains(&format!("/dashboard/conversations/{quiet}\"")));
    let home = dash.get("/dashboard").await.body;
    assert!(home.contains("1 of 2 conversations"), "{home}");
}

#[actix_rt::test]
async fn a_message_sent_unverified_in_a_verified_conversation_is_marked() {
    let app = spawn_app().await;
    let mut ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let (mut token, conv) = app.session(&ws).await;
    app.send(&token, "before identify").await;
    app.verify(
        &mut token,
        json!({ "id": "frank", "signature": sign(&ws, "frank") }),
    )
    .await;
    app.send(&token, "while verified").await;
    app.regenerate(&mut ws).await;
    app.send(&token, "after regenerate").await;
    let dash = login(&app, "owner@acme.test").await;
    let page = dash
        .get(&format!("/dashboard/conversations/{conv}"))
        .await
        .body;
    let item = |text: &str| {
        let at = page.find(&format!("<p>{text}</p>")).expect(text);
        page[at..].split("</li>").next().unwrap().to_owned()
    };
    assert!(item("before identify").contains("Sent unverified"));
    assert!(!item("while verified").contains("Sent unverified"));
    assert!(item("after regenerate").contains("Sent unverified"));
    // An anonymous conversation marks nothing: there is no verified identity to contrast.
    let (anon, anon_conv) = app.session(&ws).await;
    app.send(&anon, "just a visitor").await;
    let page = dash
        .get(&format!("/dashboard/conversations/{anon_conv}"))
        .await
        .body;
    assert!(!page.contains("Sent unverified"));
}

#[actix_rt::test]
async fn a_dashboard_stream_ends_at_logout() {
    use futures_util::StreamExt;
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    let (token, conv) = app.session(&ws).await;
    app.send(&token, "hello").await;
    let dash = login(&app, "agent@acme.test").await;
    let mut res = app
        .client
        .get(app.url(&format!("/dashboard/conversations/{conv}/events")))
        .insert_header(("Cookie", dash.cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let hello = res.next().await.unwrap().unwrap();
    assert!(std::str::from_utf8(&hello).unwrap().contains(": connected"));
    assert_eq!(dash.post("/dashboard/logout", &[]).await.status, 303);
    app.send(&token, "after logout").await;
    // The stream ends (None) rather than delivering the new message.
    let mut rest = String::new();
    while let Some(Ok(chunk)) = tokio::time::timeout(std::time::Duration::from_secs(10), res.next())
        .await
        .expect("the stream ends at logout")
    {
        rest.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(!rest.contains("after logout"), "{rest}");
}

#[actix_rt::test]
async fn owners_export_and_delete_a_contact_from_its_page_agents_cannot() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    conversation(&app, &ws, Some(("ada", "Ada", "ACME")), "my order").await;
    let id = app
        .sql_count("SELECT id FROM contacts WHERE user_id = 'ada'")
        .await;
    let owner = login(&app, "owner@acme.test").await;
    let page = owner.get(&format!("/dashboard/contacts/{id}")).await.body;
    assert!(page.contains("Export data (JSON)") && page.contains("Delete contact"));
    let helper = login(&app, "agent@acme.test").await;
    assert!(!helper
        .get(&format!("/dashboard/contacts/{id}"))
        .await
        .body
        .contains("Delete contact"));
    for action in ["export", "delete"] {
        let path = format!("/dashboard/contacts/{id}/{action}");
        assert_eq!(
            helper.post(&path, &[("confirm", "yes")]).await.status,
            403,
            "agents may not {action}"
        );
        let no_csrf = post(&app, &path, &owner.cookie, &[("confirm", "yes")]).await;
        assert_eq!(no_csrf.status, 400, "{action} needs the CSRF token");
    }
    let export = owner
        .post(&format!("/dashboard/contacts/{id}/export"), &[])
        .await;
    assert_eq!(export.status, 200);
    assert!(export.headers.get("content-disposition").is_some());
    let doc: serde_json::Value = serde_json::from_str(&export.body).unwrap();
    assert_eq!(doc["contact"]["user_id"], "ada");
    assert_eq!(doc["conversations"][0]["messages"][0]["body"], "my order");
    // Deleting needs the confirmation, then removes the contact and its conversations.
    assert_eq!(
        owner
            .post(&format!("/dashboard/contacts/{id}/delete"), &[])
            .await
            .status,
        400
    );
    let gone = owner
        .post(
            &format!("/dashboard/contacts/{id}/delete"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(gone.status, 303);
    assert_eq!(
        owner.get(&format!("/dashboard/contacts/{id}")).await.status,
        404
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM messages WHERE body = 'my order'")
            .await,
        0
    );
}

#[actix_rt::test]
async fn the_conversation_view_shows_the_latest_fifty_messages_and_links_to_older_ones() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    let (token, conv) = app.session(&ws).await;
    for i in 1..=120 {
        assert_eq!(app.send(&token, &format!("note #{i};")).await.status, 201);
    }
    let dash = login(&app, "agent@acme.test").await;
    let shown = |html: &str| -> Vec<u32> {
        html.split("note #")
            .skip(1)
            .map(|s| s.split(';').next().unwrap().parse().unwrap())
            .collect()
    };
    let older = |html: &str| -> Option<String> {
        let at = html.find("← Older messages")?;
        let href = html[..at].rsplit("href=\"").next()?;
        Some(
            href.split('"')
                .next()?
                .replace("&#x3d;", "=")
                .replace("&#61;", "="),
        )
    };
    let latest = dash.get(&format!("/dashboard/conversations/{conv}")).await;
    assert_eq!(latest.status, 200);
    assert_eq!(shown(&latest.body), (71..=120).collect::<Vec<_>>());
    assert!(
        latest.body.contains("data-events="),
        "the latest page goes live"
    );
    let second = dash
        .get(&older(&latest.body).expect("a link to older messages"))
        .await;
    assert_eq!(shown(&second.body), (21..=70).collect::<Vec<_>>());
    assert!(
        !second.body.contains("data-events="),
        "an older page is not live"
    );
    assert!(second.body.contains("Latest messages"));
    let third = dash.get(&older(&second.body).expect("a second link")).await;
    assert_eq!(shown(&third.body), (1..=20).collect::<Vec<_>>());
    assert_eq!(
        older(&third.body),
        None,
        "nothing older than the first message"
    );

    let bad = dash
        .get(&format!("/dashboard/conversations/{conv}?before=yesterday"))
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("before must be a message position"),
        "{}",
        bad.body
    );
}

/// The Settings > Widget form as the page posts it (every field), with defaults.
struct WidgetForm([(&'static str, &'static str); 9]);

const WIDGET_FORM: WidgetForm = WidgetForm([
    ("color", "#4f46e5"),
    ("position", "right"),
    ("offset_x", "20"),
    ("offset_y", "20"),
    ("z_index", "2147483000"),
    ("title", ""),
    ("subtitle", ""),
    ("launcher_label", ""),
    ("locale", "auto"),
]);

impl WidgetForm {
    /// The form with `field` set to `value`.
    fn with<'a>(&self, field: &str, value: &'a str) -> Vec<(&'a str, &'a str)> {
        self.0
            .iter()
            .map(|(f, v)| (*f, if *f == field { value } else { *v }))
            .collect()
    }
}

#[actix_rt::test]
async fn owners_set_the_widgets_appearance_and_a_wrong_field_keeps_what_was_typed() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    let o = login(&app, "owner@acme.test").await;
    let page = o.get("/dashboard/settings/widget").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("value=\"#4f46e5\"")
            && page.body.contains("placeholder=\"Chat with us\"")
    );

    // A wrong colour: 400, the form again with every typed value and the error naming the field.
    let mut form = WIDGET_FORM.with("color", "#12345");
    form[5] = ("title", "Help desk <b>");
    let bad = o.post("/dashboard/settings/widget", &form).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("color must be a hex colour"),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("value=\"#12345\""),
        "the typed colour is kept"
    );
    assert!(
        bad.body.contains("value=\"Help desk &#60;b&#62;\"")
            || bad.body.contains("value=\"Help desk &lt;b&gt;\""),
        "the typed title is kept, escaped"
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM workspaces WHERE widget_title IS NOT NULL")
            .await,
        0,
        "nothing saved"
    );
    let bad = o
        .post(
            "/dashboard/settings/widget",
            &WIDGET_FORM.with("offset_x", "500"),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad
        .body
        .contains("offset_x must be a whole number of pixels from 0 to 400"));

    let mut form = WIDGET_FORM.with("color", "#0F766E");
    form[1] = ("position", "left");
    form[5] = ("title", "Help desk");
    form[8] = ("locale", "de");
    let ok = o.post("/dashboard/settings/widget", &form).await;
    assert_eq!(ok.status, 303);
    assert_eq!(
        ok.headers.get("location").unwrap(),
        "/dashboard/settings/widget?saved=1"
    );
    let shown = o.get("/dashboard/settings/widget?saved=1").await;
    assert!(shown.body.contains("data-test=\"saved\"") && shown.body.contains("value=\"#0f766e\""));
    // The widget gets it with its session: German strings, the own title.
    let s = app
        .post(
            "/api/v1/widget/session",
            None,
            json!({ "app_id": ws.app_id, "locale": "en-US" }),
        )
        .await;
    let a = &s.body["appearance"];
    assert_eq!(a["color"], "#0f766e");
    assert_eq!(a["position"], "left");
    assert_eq!(a["locale"], "de", "a fixed locale wins over the browser's");
    assert_eq!(a["strings"]["title"], "Help desk");
    assert_eq!(a["strings"]["placeholder"], "Nachricht schreiben …");

    // Agents cannot open or post it.
    let a = login(&app, "agent@acme.test").await;
    assert_eq!(a.get("/dashboard/settings/widget").await.status, 403);
    assert_eq!(
        a.post(
            "/dashboard/settings/widget",
            &WIDGET_FORM.with("color", "#000000")
        )
        .await
        .status,
        403
    );
    assert!(
        !a.get("/dashboard")
            .await
            .body
            .contains("/dashboard/settings/widget"),
        "no link for agents"
    );
}

#[actix_rt::test]
async fn the_conversation_view_shows_the_page_the_visitor_is_on() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let (token, conv) = app.session(&ws).await;
    let page = |url: &'static str, title: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            app.post(
                "/api/v1/widget/page",
                Some(&token),
                json!({ "url": url, "title": title }),
            )
            .await
            .status
        }
    };
    assert_eq!(page("https://shop.example/", "Home").await, 204);
    assert_eq!(page("https://shop.example/pricing", "Pricing").await, 204);
    assert_eq!(app.send(&token, "Which plan has SSO?").await.status, 201);
    assert_eq!(
        page("https://shop.example/checkout", "Checkout <script>").await,
        204
    );
    let o = login(&app, "owner@acme.test").await;
    let view = o.get(&format!("/dashboard/conversations/{conv}")).await;
    assert!(
        view.body.contains("href=\"https://shop.example/checkout\""),
        "{}",
        view.body
    );
    assert!(
        view.body.contains("Checkout &#60;script&#62;")
            || view.body.contains("Checkout &lt;script&gt;"),
        "escaped title"
    );
    assert!(
        view.body
            .contains("Started on <a href=\"https://shop.example/pricing\""),
        "the start page is where the first message was written"
    );
}

/// `GET /api/v1/widget/status` for `ws`.
async fn status(app: &TestApp, ws: &Ws) -> serde_json::Value {
    let r = app
        .get(&format!("/api/v1/widget/status?app_id={}", ws.app_id), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

use replybubble_server::store::now_ms;

#[actix_rt::test]
async fn the_widget_is_online_while_an_agent_with_an_open_dashboard_chose_online() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    assert_eq!(
        status(&app, &ws).await,
        json!({ "online": false, "next_open": null, "hide": false }),
        "nobody has opened the dashboard"
    );
    let o = login(&app, "owner@acme.test").await;
    assert_eq!(
        status(&app, &ws).await["online"],
        true,
        "a dashboard page was opened"
    );
    assert!(o
        .get("/dashboard")
        .await
        .body
        .contains("presence-toggle on"));
    assert_eq!(o.post("/dashboard/heartbeat", &[]).await.status, 204);
    // Away: offline at once, and the sidebar says so.
    let away = o.post("/dashboard/presence", &[("presence", "away")]).await;
    assert_eq!(away.status, 303);
    assert_eq!(status(&app, &ws).await["online"], false);
    assert!(o.get("/dashboard").await.body.contains(">Away</button>"));
    assert_eq!(
        o.post("/dashboard/presence", &[("presence", "busy")])
            .await
            .status,
        400
    );
    o.post("/dashboard/presence", &[("presence", "online")])
        .await;
    assert_eq!(status(&app, &ws).await["online"], true);
    // Ten minutes without an open dashboard: away.
    app.sql_exec(format!(
        "UPDATE agents SET last_seen_at = {}",
        now_ms() - 11 * 60_000
    ))
    .await;
    assert_eq!(status(&app, &ws).await["online"], false);
    // Back, then logged out: away at once.
    let again = login(&app, "owner@acme.test").await;
    assert_eq!(status(&app, &ws).await["online"], true);
    assert_eq!(again.post("/dashboard/logout", &[]).await.status, 303);
    assert_eq!(
        status(&app, &ws).await["online"],
        false,
        "logging out is leaving"
    );
    // Unknown or missing app ids are named.
    let r = app.get("/api/v1/widget/status?app_id=app_nope", None).await;
    assert_eq!((r.status, r.code()), (404, "unknown_app"));
    let r = app.get("/api/v1/widget/status", None).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("app_id"))
    );
}

#[actix_rt::test]
async fn outside_business_hours_the_status_says_when_they_open_and_hides_when_asked() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let o = login(&app, "owner@acme.test").await;
    // Open all day every day but today (UTC): closed now, open at midnight.
    let day = 86_400_000;
    let today = ((now_ms() / day + 3) % 7) as usize; // 1970-01-01 was a Thursday
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut form: Vec<(String, String)> = vec![
        ("mode".into(), "week".into()),
        ("time_zone".into(), "UTC".into()),
        ("hide_when_offline".into(), "on".into()),
    ];
    for (i, d) in days.iter().enumerate() {
        if i != today {
            form.push((format!("{d}_open"), "on".into()));
        }
        form.push((format!("{d}_from"), "00:00".into()));
        form.push((format!("{d}_to"), "24:00".into()));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = o.post("/dashboard/settings/hours", &pairs).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let s = status(&app, &ws).await;
    let midnight = (now_ms() / day + 1) * day;
    let expected = humantime::format_rfc3339_millis(
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(midnight as u64),
    )
    .to_string();
    assert_eq!(
        s,
        json!({ "online": false, "next_open": expected, "hide": true }),
        "the agent is online, but it is outside the hours"
    );
    let page = o.get("/dashboard/settings/hours").await;
    assert!(page.body.contains("Now: away."), "{}", page.body);

    // A wrong entry: 400, the form again with what was typed, the field named, nothing saved.
    let mut bad = pairs.clone();
    bad.retain(|(k, _)| *k != "tue_to");
    bad.push(("tue_to", "8 pm"));
    bad.retain(|(k, _)| *k != "tue_open");
    bad.push(("tue_open", "on"));
    let r = o.post("/dashboard/settings/hours", &bad).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("tue must be a time like 09:00"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"8 pm\""), "what was typed stays");
    let mut bad_zone = pairs.clone();
    bad_zone.retain(|(k, _)| *k != "time_zone");
    bad_zone.push(("time_zone", "Mars/Olympus"));
    let r = o.post("/dashboard/settings/hours", &bad_zone).await;
    assert!(r.status == 400 && r.body.contains("time_zone must be an IANA time zone"));
    assert_eq!(
        status(&app, &ws).await["next_open"],
        json!(expected),
        "unchanged"
    );

    // Always open again (hide stays on): online, nothing hidden.
    let r = o
        .post(
            "/dashboard/settings/hours",
            &[("mode", "always"), ("hide_when_offline", "on")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        status(&app, &ws).await,
        json!({ "online": true, "next_open": null, "hide": false })
    );
    let agent_page = {
        agent(&app, &ws, "agent@acme.test", "agent").await;
        login(&app, "agent@acme.test").await
    };
    assert_eq!(
        agent_page.get("/dashboard/settings/hours").await.status,
        403
    );
}

/// Reads an inbox stream until its next `conversation` event.
async fn next_change<S>(res: &mut S, buf: &mut String) -> serde_json::Value
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    use futures_util::StreamExt;
    loop {
        if let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            if let Some(data) = frame
                .strip_prefix("event: conversation\n")
                .and_then(|f| f.strip_prefix("data: "))
            {
                return serde_json::from_str(data.trim()).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), res.next())
            .await
            .expect("an inbox event within 10 s")
            .expect("the stream is open")
            .unwrap();
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[actix_rt::test]
async fn the_inbox_stream_tells_an_agent_of_their_workspaces_conversations_only() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let other = app.workspace(Plan::Free, Mode::Off, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let o = login(&app, "owner@acme.test").await;
    let mut res = app
        .client
        .get(app.url("/dashboard/inbox/events"))
        .insert_header(("Cookie", o.cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    for _ in 0..200 {
        if app.state.services.hub.open_streams(0) == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Another workspace's visitor writes first: nothing for this agent.
    let (stranger, _) = app.session(&other).await;
    assert_eq!(
        app.send(&stranger, "secret of another shop").await.status,
        201
    );
    let (token, conv) = app.session(&ws).await;
    assert_eq!(app.send(&token, "Is my order late?").await.status, 201);
    let mut buf = String::new();
    let c = next_change(&mut res, &mut buf).await;
    assert_eq!(c["id"], conv, "the first event is this workspace's: {c}");
    assert_eq!(
        (
            &c["preview"],
            &c["waiting"],
            &c["unread"],
            &c["visitor"],
            &c["count"]
        ),
        (
            &json!("Is my order late?"),
            &json!(true),
            &json!(true),
            &json!(true),
            &json!(1)
        )
    );
    assert!(!buf.contains("another shop"));
    // The agent opens it (read) and replies: no longer waiting, count 0.
    let view = o.get(&format!("/dashboard/conversations/{conv}")).await;
    assert_eq!(view.status, 200);
    let list = o.get("/dashboard/conversations").await;
    assert!(
        list.body.contains("<title>(1) Conversations"),
        "the count in the tab title"
    );
    assert!(
        list.body
            .contains(&format!("<li data-id=\"{conv}\" class=\"waiting\">")),
        "read, still waiting: {}",
        list.body
    );
    let r = o
        .post(
            &format!("/dashboard/conversations/{conv}/reply"),
            &[("body", "On its way!")],
        )
        .await;
    assert_eq!(r.status, 303);
    let c = next_change(&mut res, &mut buf).await;
    assert_eq!(
        (&c["waiting"], &c["unread"], &c["visitor"], &c["count"]),
        (&json!(false), &json!(false), &json!(false), &json!(0))
    );
    let list = o.get("/dashboard/conversations").await;
    assert!(
        list.body.contains("<title>Conversations"),
        "no count when nothing waits"
    );
    // A new visitor message makes it unread again.
    assert_eq!(app.send(&token, "Thanks!").await.status, 201);
    let c = next_change(&mut res, &mut buf).await;
    assert_eq!((&c["unread"], &c["waiting"]), (&json!(true), &json!(true)));
    let r = o
        .post(
            &format!("/dashboard/conversations/{conv}/read"),
            &[("seq", "3")],
        )
        .await;
    assert_eq!(r.status, 204);
    let list = o.get("/dashboard/conversations").await;
    assert!(list
        .body
        .contains(&format!("<li data-id=\"{conv}\" class=\"waiting\">")));
    // Another workspace's conversation is not found.
    let (_, foreign) = app.session(&other).await;
    let r = o
        .post(
            &format!("/dashboard/conversations/{foreign}/read"),
            &[("seq", "1")],
        )
        .await;
    assert_eq!(r.status, 404);
}

#[actix_rt::test]
async fn notification_settings_are_per_agent_and_kept_on_the_server() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    let o = login(&app, "owner@acme.test").await;
    let page = o.get("/dashboard/conversations").await;
    assert!(
        page.body
            .contains("data-notify-sound=\"\" data-notify-browser=\"\""),
        "off until opted in"
    );
    let r = o
        .post(
            "/dashboard/notifications",
            &[("sound", "on"), ("browser", "on")],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = o.get("/dashboard").await;
    assert!(page
        .body
        .contains("data-notify-sound=\"1\" data-notify-browser=\"1\""));
    let a = login(&app, "agent@acme.test").await;
    assert!(
        a.get("/dashboard")
            .await
            .body
            .contains("data-notify-sound=\"\""),
        "another agent's own"
    );
    o.post("/dashboard/notifications", &[("browser", "on")])
        .await;
    assert!(o
        .get("/dashboard")
        .await
        .body
        .contains("data-notify-sound=\"\" data-notify-browser=\"1\""));
}

/// A conversation of a visitor verified as `id` who sent `email` and the name Ada Lovelace.
async fn signed_in(app: &TestApp, ws: &Ws, id: &str, email: &str) -> i64 {
    let (mut token, conv) = app.session(ws).await;
    let r = app
        .verify(
            &mut token,
            json!({ "id": id, "signature": sign(ws, id), "name": "Ada Lovelace", "email": email }),
        )
        .await;
    assert_eq!(r.body["status"], "verified");
    assert_eq!(app.send(&token, "hello").await.status, 201);
    conv
}

/// A dashboard's live inbox stream (`GET /dashboard/inbox/events`), open.
async fn open_inbox(
    app: &TestApp,
    dash: &Dash<'_>,
) -> awc::ClientResponse<
    impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
> {
    let res = app
        .client
        .get(app.url("/dashboard/inbox/events"))
        .insert_header(("Cookie", dash.cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    res
}

/// The signed identity and what the browser merely sent are told apart (issue 21, point 4):
/// the user id stands with the badge, name/email/company are marked unsigned, and two verified
/// contacts with one email are flagged, in the list, the live inbox and the conversation view.
#[actix_rt::test]
async fn the_signed_user_id_stands_with_the_badge_and_a_copied_email_is_flagged() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let dash = login(&app, "owner@acme.test").await;
    let mut inbox = open_inbox(&app, &dash).await;
    let ada = signed_in(&app, &ws, "ada_42", "ada@engines.test").await;
    // Another signed-in user copies Ada's name and email onto their own id.
    let copy = signed_in(&app, &ws, "mallory_7", "ADA@engines.test").await;
    let list = dash.get("/dashboard/conversations").await.body;
    let row = |id: i64| {
        let at = list.find(&format!("<li data-id=\"{id}\"")).expect("listed");
        list[at..].split("</li>").next().unwrap().to_owned()
    };
    for (id, uid) in [(ada, "ada_42"), (copy, "mallory_7")] {
        let r = row(id);
        assert!(
            r.contains(&format!(">{uid}</code>")),
            "the user id with the badge: {r}"
        );
        assert!(r.contains("data-test=\"unsigned\""), "{r}");
        assert!(r.contains("data-test=\"email-shared\""), "{r}");
    }
    let view = dash
        .get(&format!("/dashboard/conversations/{copy}"))
        .await
        .body;
    assert!(view.contains(">mallory_7</code>"), "{view}");
    assert!(view.contains("data-test=\"email-shared\""));
    assert!(view.contains("data-test=\"unsigned\""));
    // The live inbox carries the same facts.
    let mut buf = String::new();
    let event = loop {
        let e = next_change(&mut inbox, &mut buf).await;
        if e["user_id"] == "mallory_7" {
            break e;
        }
    };
    assert_eq!(event["email_shared"], true, "{event}");
    assert_eq!(event["unsigned"], true);
    // A contact alone with its email is not flagged; one with only an id is not "unsigned".
    let solo = signed_in(&app, &ws, "bob_1", "bob@x.test").await;
    let bare = {
        let (mut token, conv) = app.session(&ws).await;
        app.verify(
            &mut token,
            json!({ "id": "id_only", "signature": sign(&ws, "id_only") }),
        )
        .await;
        app.send(&token, "only an id").await;
        conv
    };
    let list = dash.get("/dashboard/conversations").await.body;
    let row = |id: i64| {
        let at = list.find(&format!("<li data-id=\"{id}\"")).expect("listed");
        list[at..].split("</li>").next().unwrap().to_owned()
    };
    assert!(!row(solo).contains("email-shared"));
    assert!(
        !row(bare).contains("data-test=\"unsigned\""),
        "{}",
        row(bare)
    );
    assert!(row(bare).contains(">id_only</code>"));
}

/// Words typed before identify() are marked wherever they show under a verified name: the
/// list's preview and the live inbox event (which the notification's title reads), not only
/// the thread (issue 21, point 5).
#[actix_rt::test]
async fn words_sent_unverified_are_marked_in_the_list_and_the_live_inbox() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    let dash = login(&app, "owner@acme.test").await;
    let (mut token, conv) = app.session(&ws).await;
    app.send(&token, "typed before signing in").await;
    app.verify(
        &mut token,
        json!({ "id": "frank", "signature": sign(&ws, "frank") }),
    )
    .await;
    let list = dash.get("/dashboard/conversations").await.body;
    let at = list.find(&format!("<li data-id=\"{conv}\"")).unwrap();
    let row = list[at..].split("</li>").next().unwrap();
    assert!(row.contains("data-test=\"sent-unverified\""), "{row}");

    let mut inbox = open_inbox(&app, &dash).await;
    let mut events = Vec::new();
    let mut buf = String::new();
    for text in ["signed in now", "and again"] {
        app.send(&token, text).await;
        events.push(loop {
            let e = next_change(&mut inbox, &mut buf).await;
            if e["preview"] == text {
                break e;
            }
        });
        if text == "signed in now" {
            // The secret is regenerated: the next words are no longer verified.
            let mut ws = ws.clone();
            app.regenerate(&mut ws).await;
        }
    }
    assert_eq!(events[0]["last_unverified"], false, "{}", events[0]);
    assert_eq!(events[1]["last_unverified"], true, "{}", events[1]);
    let list = dash.get("/dashboard/conversations").await.body;
    let at = list.find(&format!("<li data-id=\"{conv}\"")).unwrap();
    assert!(list[at..]
        .split("</li>")
        .next()
        .unwrap()
        .contains("sent-unverified"));
}

/// Integrations > User Verification: the owner turns the email fallback's trust in unsigned
/// emails on and off (CSRF-checked; owners only; off by default).
#[actix_rt::test]
async fn the_owner_turns_trust_in_unsigned_email_on_and_off() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    agent(&app, &ws, "owner@acme.test", "owner").await;
    agent(&app, &ws, "agent@acme.test", "agent").await;
    let trust = || async {
        app.store()
            .workspace(ws.app_id.clone())
            .await
            .unwrap()
            .unwrap()
            .trust_unsigned_email
    };
    assert!(!trust().await, "off by default");
    let owner = login(&app, "owner@acme.test").await;
    let panel = owner.get("/dashboard/integrations/verification").await.body;
    assert!(panel.contains("Trust unsigned email for the email fallback"));
    assert!(!panel.contains("name=\"trust\" value=\"on\" checked"));
    let path = "/dashboard/integrations/verification/email-trust";
    assert_eq!(owner.post(path, &[("trust", "on")]).await.status, 303);
    assert!(trust().await);
    let panel = owner.get("/dashboard/integrations/verification").await.body;
    assert!(panel.contains("name=\"trust\" value=\"on\" checked"));
    let bad = owner.post(path, &[("trust", "yes")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("trust"), "{}", bad.body);
    assert_eq!(owner.post(path, &[]).await.status, 303);
    assert!(!trust().await);
    let forged = post(
        &app,
        path,
        &owner.cookie,
        &[("csrf", "nope"), ("trust", "on")],
    )
    .await;
    assert_eq!(forged.status, 403);
    let agent = login(&app, "agent@acme.test").await;
    assert_eq!(agent.post(path, &[("trust", "on")]).await.status, 403);
    assert!(!trust().await);
}
