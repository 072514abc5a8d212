//! `identify()`: the core decision, the claim rule and the activity record.

use replybubble_core::identify::{decide, CurrentSecret, IdentifyResult, Outcome};
use replybubble_core::wire::{self, IdentifyResponse, IdentifyStatus, Prefill};
use replybubble_core::{FieldError, IdentifyUser, Value};

use super::session::fresh_session;
use super::{ServiceError, Services};
use crate::hub::StreamOwner;
use crate::store::{IdentifyEvent, IdentifyWrite, SessionCtx};

/// `POST identify`: the decision table, the claim rule and the activity record.
///
/// The claim rule: a session bound to user A is never used by anyone else. An identify on it
/// whose `id` is not A's ends it and continues on a fresh anonymous session, whatever the
/// outcome (verified, unverified, disabled, 402, 403, 400), and the answer (success or error)
/// carries the new `visitor_token` and `conversation_id`. The check runs inside the writer's
/// transaction, so of concurrent identifies on one session exactly one gets a new session and
/// the others find it ended (401).
///
/// No session fixation: a verified identify that binds the calling session answers with a new
/// `visitor_token` for the same conversation; the old token no longer works and its streams end.
pub async fn identify(
    s: &Services,
    ctx: &SessionCtx,
    raw: &Value,
) -> Result<IdentifyResponse, ServiceError> {
    let now = s.clock.now_ms();
    let sent_id: Option<String> = match raw.get("id") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let parsed = IdentifyUser::parse(raw).map(|p| p.user);
    // The secret is stored sealed: opened here, for this one decision.
    let secret = match &ctx.secret {
        Some(sealed) => Some((
            s.secrets
                .open(&sealed.value, &super::secret_context(&ctx.app_id))?,
            sealed.version,
        )),
        None => None,
    };
    let outcome = parsed.as_ref().ok().map(|user| {
        let current = secret.as_ref().map(|(value, version)| CurrentSecret {
            value,
            version: *version,
        });
        decide(ctx.plan, ctx.mode, current, user)
    });
    let result = outcome.map_or(IdentifyResult::Invalid, |o| o.result());
    crate::metrics::METRICS
        .identify
        .get_or_create(&crate::metrics::IdentifyLabels {
            result: result.to_string(),
        })
        .inc();
    let event = IdentifyEvent {
        workspace_id: ctx.workspace_id,
        at: now,
        user_id: sent_id.as_deref().map(replybubble_core::user::id_for_log),
        result,
        code: match (&outcome, &parsed) {
            (Some(o), _) => o.code(),
            (None, _) => Some(FieldError::CODE),
        },
        hint: match (&outcome, &parsed) {
            (Some(o), _) => o.hint().map(|h| h.as_str().to_owned()),
            (None, Err(e)) => Some(e.field().to_owned()),
            (None, Ok(_)) => None,
        },
    };
    let session_id = ctx.session_id;
    let verified_user = match (outcome, &parsed) {
        (Some(Outcome::Verified { secret_version }), Ok(user)) => {
            Some((user.clone(), secret_version))
        }
        _ => None,
    };
    let (token, fresh) = fresh_session();
    let applied = s
        .store
        .identify(IdentifyWrite {
            session_id,
            sent_id,
            verified: verified_user,
            fresh,
            event,
            now,
        })
        .await?;
    if applied.switched.is_some() || applied.rotated {
        s.end_streams(StreamOwner::Visitor(session_id));
    }
    let rotated = applied.rotated.then(|| token.clone());
    let switched = applied.switched.map(|n| (token, n.conversation_id));
    // Every answer, success or error, carries the new session when there is one.
    let in_new_session = |error: ServiceError| match &switched {
        Some((token, conversation_id)) => ServiceError::InNewSession {
            error: Box::new(error),
            visitor_token: token.clone(),
            conversation_id: *conversation_id,
        },
        None => error,
    };
    let user = match parsed {
        Ok(user) => user,
        Err(e) => return Err(in_new_session(e.into())),
    };
    let mut answer = IdentifyResponse {
        status: IdentifyStatus::Disabled,
        verified: None,
        contact: None,
        conversation_id: switched.as_ref().map(|s| s.1),
        visitor_token: switched.as_ref().map(|s| s.0.clone()),
        reason: None,
        hint: None,
        prefill: None,
    };
    match outcome.expect("a parsed user has an outcome") {
        Outcome::Verified { .. } => {
            let claimed = applied.claimed.expect("a verified identify claims");
            let c = claimed.contact;
            answer.status = IdentifyStatus::Verified;
            answer.verified = Some(true);
            answer.conversation_id = Some(claimed.conversation_id);
            if rotated.is_some() {
                answer.visitor_token = rotated;
            }
            answer.contact = Some(wire::Contact {
                id: c.user_id,
                email: c.email,
                name: c.name,
                company: c.company,
                phone: c.phone,
            });
            Ok(answer)
        }
        Outcome::PlanUpgradeRequired => Err(in_new_session(
            replybubble_core::decision::PlanUpgradeRequired.into(),
        )),
        Outcome::Disabled => Ok(answer),
        Outcome::Unverified { reason, hint } => {
            let text = |o: Option<&str>| o.map(str::to_owned);
            answer.status = IdentifyStatus::Unverified;
            answer.verified = Some(false);
            answer.reason = Some(reason);
            answer.hint = hint;
            answer.prefill = Some(Prefill {
                email: text(user.email.as_ref().map(AsRef::as_ref)),
                name: text(user.name.as_ref().map(AsRef::as_ref)),
                company: text(user.company.as_ref().map(AsRef::as_ref)),
                phone: text(user.phone.as_ref().map(AsRef::as_ref)),
            });
            Ok(answer)
        }
        Outcome::Rejected { reason, hint } => {
            Err(in_new_session(ServiceError::SignatureRejected {
                reason,
                hint,
            }))
        }
    }
}

/// The claim rule when an identify could not be served (over its rate limits, or a body that
/// cannot be read): a session bound to a user is ended unless the call named that same user,
/// so whoever calls next starts on a fresh session. `sent_id` is the `id` the body carried, when
/// it could be read. Answers whether the session was ended.
pub async fn end_unless_owner(
    s: &Services,
    ctx: &SessionCtx,
    sent_id: Option<&str>,
) -> Result<bool, ServiceError> {
    match ctx.bound_user_id.as_deref() {
        Some(owner) if sent_id != Some(owner) => {
            super::session::end_session(s, ctx).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
