//! Unit tests of the domain rules, on a temporary store and a fixed clock: no HTTP.

use replybubble_core::decision::SendRefusal;
use replybubble_core::{signature, wire, Mode, Plan, Value};

use super::*;
use crate::store::SessionCtx;

const DAY: i64 = 24 * 3600 * 1000;

struct World {
    s: Services,
    app_id: String,
    secret: String,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// A workspace on `plan` in `mode` with a secret, on a temporary store and a fixed clock.
async fn world(plan: Plan, mode: Mode) -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut s = Services::open(&path).await.unwrap();
    s.clock = Clock::fixed(1_000 * DAY);
    let app_id = crate::crypto::new_app_id();
    s.store
        .create_workspace(app_id.clone(), "T".into(), Plan::Pro, vec![], 0)
        .await
        .unwrap();
    let secret = workspace::new_secret(&s, &app_id, false, None)
        .await
        .unwrap()
        .secret;
    s.store.set_mode(app_id.clone(), mode).await.unwrap();
    s.store.set_plan(app_id.clone(), plan).await.unwrap();
    World {
        s,
        app_id,
        secret,
        path,
        _dir: dir,
    }
}

fn obj(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect(),
    )
}

impl World {
    async fn session(&self) -> (String, SessionCtx) {
        let r = open_session(&self.s, &obj(&[("app_id", &self.app_id)]), None, None)
            .await
            .unwrap();
        let ctx = authenticate(&self.s, &r.visitor_token).await.unwrap();
        (r.visitor_token, ctx)
    }

    fn signed(&self, id: &str) -> Value {
        obj(&[
            ("id", id),
            ("signature", &signature::sign(&self.secret, id)),
        ])
    }

    async fn ctx(&self, token: &str) -> Result<SessionCtx, ServiceError> {
        authenticate(&self.s, token).await
    }

    async fn send(&self, token: &str, text: &str) -> Result<i64, ServiceError> {
        let ctx = self.ctx(token).await?;
        post_visitor_message(&self.s, &ctx, &obj(&[("body", text)]))
            .await
            .map(|m| m.id)
    }

    /// A number read straight from the database file, to check what a rule wrote.
    fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A session verified as `id` that wrote one message: (token, conversation).
    async fn verified(&self, id: &str) -> (String, i64) {
        let (anonymous, ctx) = self.session().await;
        let r = identify(&self.s, &ctx, &self.signed(id)).await.unwrap();
        assert_eq!(r.verified, Some(true));
        // Signing in rotates the token (no session fixation): the same conversation goes on.
        assert_eq!(r.conversation_id, Some(ctx.conversation_id));
        let token = r.visitor_token.expect("a new token");
        assert!(self.ctx(&anonymous).await.is_err(), "the old token ended");
        self.send(&token, "mine").await.unwrap();
        (token, ctx.conversation_id)
    }
}

/// The new session a claim-rule answer carries, from a success or an error.
fn switched(r: &Result<wire::IdentifyResponse, ServiceError>) -> Option<(String, i64)> {
    match r {
        Ok(a) => a.visitor_token.clone().zip(a.conversation_id),
        Err(ServiceError::InNewSession {
            visitor_token,
            conversation_id,
            ..
        }) => Some((visitor_token.clone(), *conversation_id)),
        Err(_) => None,
    }
}

#[actix_rt::test]
async fn the_claim_rule_replaces_a_bound_session_whatever_the_outcome() {
    let w = world(Plan::Pro, Mode::Optional).await;
    let long_name = "x".repeat(201);
    let cases: Vec<(&str, Value)> = vec![
        ("unverified", obj(&[("id", "bob")])),
        ("verified", w.signed("bob")),
        ("field error", obj(&[("id", "bob"), ("name", &long_name)])),
        ("no id", obj(&[("name", "Nobody")])),
        (
            "invalid signature",
            obj(&[("id", "bob"), ("signature", &"0".repeat(64))]),
        ),
    ];
    for (what, body) in cases {
        let (a, conv_a) = w.verified("alice").await;
        let ctx = w.ctx(&a).await.unwrap();
        let r = identify(&w.s, &ctx, &body).await;
        let (token, conv) =
            switched(&r).unwrap_or_else(|| panic!("{what}: no new session in {r:?}"));
        assert_ne!(conv, conv_a, "{what}");
        assert!(
            matches!(w.ctx(&a).await, Err(ServiceError::SessionEnded)),
            "{what}: A's session ended"
        );
        let page = messages_after(&w.s, &w.ctx(&token).await.unwrap(), 0)
            .await
            .unwrap();
        assert!(page.messages.is_empty(), "{what}: none of A's messages");
    }
}

#[actix_rt::test]
async fn required_disabled_and_free_answers_also_switch() {
    for (plan, mode) in [
        (Plan::Pro, Mode::Required),
        (Plan::Pro, Mode::Off),
        (Plan::Free, Mode::Optional),
    ] {
        let w = world(Plan::Pro, Mode::Optional).await;
        let (a, _) = w.verified("alice").await;
        w.s.store.set_mode(w.app_id.clone(), mode).await.unwrap();
        w.s.store.set_plan(w.app_id.clone(), plan).await.unwrap();
        let ctx = w.ctx(&a).await.unwrap();
        let r = identify(&w.s, &ctx, &obj(&[("id", "bob")])).await;
        let (token, _) = switched(&r).unwrap_or_else(|| panic!("{plan} {mode}: {r:?}"));
        if mode == Mode::Required {
            assert!(matches!(
                r,
                Err(ServiceError::InNewSession { ref error, .. })
                    if matches!(**error, ServiceError::SignatureRejected { .. })
            ));
            assert!(matches!(
                w.send(&token, "as alice?").await,
                Err(ServiceError::SendRefused(SendRefusal::VerificationRequired))
            ));
        }
    }
}

#[actix_rt::test]
async fn the_same_id_keeps_the_session_and_anonymous_sessions_are_never_replaced() {
    let w = world(Plan::Pro, Mode::Optional).await;
    let (a, conv_a) = w.verified("alice").await;
    let ctx = w.ctx(&a).await.unwrap();
    let r = identify(&w.s, &ctx, &obj(&[("id", "alice")]))
        .await
        .unwrap();
    assert_eq!((r.visitor_token, r.verified), (None, Some(false)));
    assert_eq!(w.ctx(&a).await.unwrap().conversation_id, conv_a);
    // An anonymous session may try several ids unsigned: nothing is bound, nothing switches.
    let (t, ctx) = w.session().await;
    for id in ["x", "y"] {
        let r = identify(&w.s, &ctx, &obj(&[("id", id)])).await.unwrap();
        assert!(r.visitor_token.is_none());
    }
    assert!(w.ctx(&t).await.is_ok());
    assert_eq!(
        w.count("SELECT count(*) FROM contacts WHERE user_id IN ('x', 'y')"),
        0,
        "an unverified identify never creates a contact"
    );
}

#[actix_rt::test]
async fn concurrent_identifies_on_one_bound_session_give_one_new_session() {
    let w = world(Plan::Pro, Mode::Optional).await;
    let (a, _) = w.verified("alice").await;
    let ctx = w.ctx(&a).await.unwrap();
    let (b, c) = (obj(&[("id", "bob")]), w.signed("carol"));
    let (rb, rc) =
        futures_util::future::join(identify(&w.s, &ctx, &b), identify(&w.s, &ctx, &c)).await;
    let winners = [&rb, &rc].iter().filter(|r| switched(r).is_some()).count();
    assert_eq!(winners, 1, "{rb:?} {rc:?}");
    assert!(
        [&rb, &rc]
            .iter()
            .any(|r| matches!(r, Err(ServiceError::SessionEnded))),
        "the other finds the session ended"
    );
}

#[actix_rt::test]
async fn reset_ends_the_session_and_its_streams() {
    let w = world(Plan::Pro, Mode::Optional).await;
    let (a, _) = w.verified("alice").await;
    let ctx = w.ctx(&a).await.unwrap();
    let mut stream = w.s.hub.subscribe(
        ctx.conversation_id,
        crate::hub::StreamOwner::Visitor(ctx.session_id),
    );
    let fresh = reset(&w.s, &ctx).await.unwrap();
    assert!(!fresh.verified);
    assert!(matches!(w.ctx(&a).await, Err(ServiceError::SessionEnded)));
    assert!(stream.recv().await.is_none(), "the stream closed");
    assert!(matches!(
        reset(&w.s, &ctx).await,
        Err(ServiceError::SessionEnded)
    ));
}

#[actix_rt::test]
async fn a_regenerated_secret_ends_verified_status_and_marks_later_messages() {
    let w = world(Plan::Pro, Mode::Optional).await;
    let (a, _) = w.verified("alice").await;
    assert!(w.ctx(&a).await.unwrap().verified_now());
    workspace::new_secret(&w.s, &w.app_id, true, None)
        .await
        .unwrap();
    let ctx = w.ctx(&a).await.unwrap();
    assert!(!ctx.verified_now());
    w.send(&a, "after").await.unwrap();
    assert_eq!(
        w.count("SELECT verified FROM messages WHERE body = 'after'"),
        0
    );
    assert_eq!(
        w.count("SELECT verified FROM messages WHERE body = 'mine'"),
        1
    );
    // In Required mode the same session may not send at all, nor fill in the contact form.
    workspace::set_mode(&w.s, &w.app_id, Mode::Required)
        .await
        .unwrap();
    let ctx = w.ctx(&a).await.unwrap();
    assert!(matches!(
        w.send(&a, "blocked").await,
        Err(ServiceError::SendRefused(SendRefusal::SignatureExpired))
    ));
    assert!(matches!(
        visitor_details(&w.s, &ctx, &obj(&[("name", "A")])).await,
        Err(ServiceError::SendRefused(SendRefusal::SignatureExpired))
    ));
}

#[actix_rt::test]
async fn sessions_expire_after_30_idle_days_and_use_keeps_them_alive() {
    let w = world(Plan::Pro, Mode::Optional).await;
    let (kept, _) = w.session().await;
    let (idle, _) = w.session().await;
    w.s.clock.advance(20 * DAY);
    w.ctx(&kept).await.unwrap();
    w.s.clock.advance(20 * DAY);
    assert!(w.ctx(&kept).await.is_ok(), "used 20 days ago");
    assert!(
        matches!(w.ctx(&idle).await, Err(ServiceError::SessionEnded)),
        "unused for 40 days"
    );
    let swept = sweep(&w.s).await.unwrap();
    assert_eq!((swept.sessions, swept.conversations), (1, 1));
}

#[actix_rt::test]
async fn every_identify_is_recorded_in_the_same_transaction() {
    let w = world(Plan::Pro, Mode::Required).await;
    let (_, ctx) = w.session().await;
    let r = identify(&w.s, &ctx, &obj(&[("id", "u1")])).await;
    assert!(matches!(r, Err(ServiceError::SignatureRejected { .. })));
    let r = identify(&w.s, &ctx, &obj(&[("id", "u2"), ("email", "nope")])).await;
    assert!(matches!(r, Err(ServiceError::Field(_))));
    assert_eq!(
        w.count("SELECT count(*) FROM identify_events WHERE result IN ('rejected', 'invalid')"),
        2
    );
}

#[actix_rt::test]
async fn a_repeated_identify_that_changes_nothing_writes_nothing_until_an_hour_passed() {
    let w = world(Plan::Pro, Mode::Optional).await;
    let (_, ctx) = w.session().await;
    let sig = signature::sign(&w.secret, "ada");
    let as_ada = |name: &str| obj(&[("id", "ada"), ("signature", &sig), ("name", name)]);
    let updated = || w.count("SELECT updated_at FROM contacts WHERE user_id = 'ada'");
    let t0 = w.s.clock.now_ms();
    let ok = |r: Result<wire::IdentifyResponse, ServiceError>| {
        let r = r.unwrap();
        assert_eq!(r.verified, Some(true));
        r.contact.unwrap().name
    };
    assert_eq!(
        ok(identify(&w.s, &ctx, &as_ada("Ada")).await).as_deref(),
        Some("Ada")
    );
    assert_eq!(updated(), t0);
    w.s.clock.advance(10 * 60_000);
    assert_eq!(
        ok(identify(&w.s, &ctx, &as_ada("Ada")).await).as_deref(),
        Some("Ada")
    );
    assert_eq!(updated(), t0, "nothing changed: nothing written");
    w.s.clock.advance(10 * 60_000);
    assert_eq!(
        ok(identify(&w.s, &ctx, &as_ada("Ada L.")).await).as_deref(),
        Some("Ada L."),
        "a changed field is written at once"
    );
    assert_eq!(updated(), t0 + 20 * 60_000);
    w.s.clock.advance(60 * 60_000);
    identify(&w.s, &ctx, &as_ada("Ada L.")).await.unwrap();
    assert_eq!(
        updated(),
        t0 + 80 * 60_000,
        "an hour later the contact is touched"
    );
    // Every call is still recorded, and counted once per hour per user id.
    assert_eq!(w.count("SELECT count(*) FROM identify_events"), 4);
    assert_eq!(w.count("SELECT sum(calls) FROM identify_hourly"), 4);
    assert_eq!(
        w.count("SELECT last_checked_hour FROM identify_users WHERE user_id = 'ada'"),
        (t0 + 80 * 60_000) / 3_600_000 * 3_600_000
    );
}

#[actix_rt::test]
async fn the_home_counts_kept_by_triggers_match_the_rows_through_every_change() {
    use crate::store::ConversationStatus;
    let w = world(Plan::Pro, Mode::Optional).await;
    let ws =
        w.s.store
            .workspace(w.app_id.clone())
            .await
            .unwrap()
            .unwrap()
            .id;
    let check = |step: &str| {
        let kept = w.count("SELECT open_conversations * 1000000 + contacts FROM workspace_counts");
        let real = w.count(
            "SELECT (SELECT count(*) FROM conversations WHERE status = 'open' AND started_at IS NOT NULL) * 1000000
                  + (SELECT count(*) FROM contacts)",
        );
        assert_eq!(kept, real, "after {step}");
    };
    check("the start");
    let (token, ctx) = w.session().await;
    check("a page view (not started)");
    w.send(&token, "hello").await.unwrap();
    check("the first message");
    let (_, ada) = w.verified("ada").await;
    let (_, bob) = w.verified("bob").await;
    check("two verified users wrote");
    assert_eq!(
        w.count("SELECT open_conversations FROM workspace_counts"),
        3
    );
    w.s.store
        .set_conversation_status(ws, ctx.conversation_id, ConversationStatus::Closed)
        .await
        .unwrap();
    check("a close");
    w.s.store
        .set_conversation_status(ws, ctx.conversation_id, ConversationStatus::Closed)
        .await
        .unwrap();
    check("closing a closed conversation");
    w.send(&token, "are you there?").await.unwrap();
    check("a message reopened it");
    privacy::delete(&w.s, &w.app_id, "ada").await.unwrap();
    check("a contact deleted with its conversation");
    w.s.store
        .set_conversation_status(ws, bob, ConversationStatus::Closed)
        .await
        .unwrap();
    privacy::set_retention(&w.s, &w.app_id, Some(1))
        .await
        .unwrap();
    w.s.clock.advance(3 * DAY);
    sweep(&w.s).await.unwrap();
    check("retention deleted the idle conversations");
    let gone = format!("SELECT count(*) FROM conversations WHERE id IN ({ada}, {bob})");
    assert_eq!(w.count(&gone), 0);
    let stats = w.s.store.home(ws, 0).await.unwrap();
    assert_eq!((stats.open, stats.contacts), (0, 1));
}

#[actix_rt::test]
async fn stream_tickets_are_single_use_expire_and_need_a_live_session() {
    let w = world(Plan::Pro, Mode::Optional).await;
    let (token, ctx) = w.session().await;
    let t = events_ticket(&w.s, &ctx).await.unwrap().ticket;
    let target = redeem_ticket(&w.s, &t).await.unwrap();
    assert_eq!(
        (target.session_id, target.conversation_id),
        (ctx.session_id, ctx.conversation_id)
    );
    assert!(matches!(
        redeem_ticket(&w.s, &t).await,
        Err(ServiceError::TicketInvalid)
    ));
    let late = events_ticket(&w.s, &ctx).await.unwrap().ticket;
    w.s.clock.advance(61_000);
    assert!(matches!(
        redeem_ticket(&w.s, &late).await,
        Err(ServiceError::TicketInvalid)
    ));
    let orphan = events_ticket(&w.s, &ctx).await.unwrap().ticket;
    reset(&w.s, &w.ctx(&token).await.unwrap()).await.unwrap();
    assert!(matches!(
        redeem_ticket(&w.s, &orphan).await,
        Err(ServiceError::SessionEnded)
    ));
    // Expired tickets are swept; a swept session takes its tickets with it.
    let (_, other) = w.session().await;
    events_ticket(&w.s, &other).await.unwrap();
    assert_eq!(w.count("SELECT count(*) FROM stream_tickets"), 1);
    w.s.clock.advance(31 * DAY);
    sweep(&w.s).await.unwrap();
    assert_eq!(w.count("SELECT count(*) FROM stream_tickets"), 0);
}

#[actix_rt::test]
async fn a_reply_queued_while_its_email_is_handled_keeps_the_queue_row() {
    let w = world(Plan::Pro, Mode::Optional).await;
    let (_, ctx) = w.session().await;
    let conv = ctx.conversation_id;
    let now = w.s.clock.now_ms();
    w.s.store.queue_email(conv, 2, now).await.unwrap();
    let job =
        w.s.store
            .claim_emails(now, now + 60_000, 1)
            .await
            .unwrap()
            .pop()
            .unwrap();
    assert_eq!(job.queued_seq, 2);
    // An agent replies (position 4) while the worker sends the email for position 2.
    w.s.store.queue_email(conv, 4, now).await.unwrap();
    w.s.store
        .finish_email(conv, job.queued_seq, 2, Some(now), now)
        .await
        .unwrap();
    assert_eq!(
        w.count("SELECT count(*) FROM email_outbox WHERE queued_seq = 4"),
        1,
        "the newer reply is still queued"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT due_at FROM email_outbox WHERE conversation_id = {conv}"
        )),
        now,
        "due again at once (the 10-minute rule decides when it goes)"
    );
    // Handled with nothing newer queued: gone.
    let job =
        w.s.store
            .claim_emails(now, now + 60_000, 1)
            .await
            .unwrap()
            .pop()
            .unwrap();
    w.s.store
        .finish_email(conv, job.queued_seq, 4, None, now)
        .await
        .unwrap();
    assert_eq!(w.count("SELECT count(*) FROM email_outbox"), 0);
    assert_eq!(
        w.count(&format!(
            "SELECT emailed_seq FROM conversations WHERE id = {conv}"
        )),
        4
    );
}
