//! Integrations > User Verification (owners only): the plan gate, the secret (shown once), the
//! mode, the snippet, the verification activity and Required readiness.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use replybubble_core::{limits, Mode, Plan};

use super::{
    check_csrf, or_dash, percent, render, see_other, snippet, state, when, Agent, Nav, DAY_MS,
};
use crate::crypto;
use crate::error::PageError;
use crate::store::dashboard::{self, AgentCtx, OutcomeCount};
use crate::store::{now_ms, workspaces};

fn owner(agent: &AgentCtx) -> Result<(), PageError> {
    if agent.is_owner() {
        Ok(())
    } else {
        Err(PageError::OwnersOnly)
    }
}

/// A readable label for one outcome row.
pub fn outcome_label(o: &OutcomeCount) -> String {
    let code = o.code.as_deref().unwrap_or("");
    let hint = o.hint.as_deref();
    match (o.result.as_str(), code) {
        ("verified", _) => "Verified".into(),
        ("disabled", _) => "Not checked (mode Off)".into(),
        ("plan_upgrade_required", _) => "Refused: free plan (402)".into(),
        ("unverified", "signature_missing") => "Unverified: signature missing".into(),
        ("rejected", "signature_missing") => "Rejected in Required: signature missing".into(),
        ("rejected", "signature_expired") => {
            "Rejected in Required: signature expired (secret regenerated)".into()
        }
        (result, "signature_invalid") => {
            let who = if result == "rejected" {
                "Rejected in Required"
            } else {
                "Unverified"
            };
            match hint {
                Some(h) => format!("{who}: signature invalid ({h})"),
                None => format!("{who}: signature invalid"),
            }
        }
        ("invalid", _) => format!("Invalid field: {}", hint.unwrap_or("?")),
        (result, code) => format!("{result} {code}"),
    }
}

/// Required readiness: of the last 7 days' identify calls whose signature was checked
/// (verified, unverified, rejected), the share Required mode would have rejected.
pub fn readiness(week: &[OutcomeCount]) -> (String, String) {
    let checked: i64 = week
        .iter()
        .filter(|o| matches!(o.result.as_str(), "verified" | "unverified" | "rejected"))
        .map(|o| o.count)
        .sum();
    let failing: i64 = week
        .iter()
        .filter(|o| matches!(o.result.as_str(), "unverified" | "rejected"))
        .map(|o| o.count)
        .sum();
    if checked == 0 {
        return (
            "—".into(),
            "No checked identify() calls in the last 7 days (calls made while the mode is Off are not checked). Switch to Optional to measure."
                .into(),
        );
    }
    let share = percent(failing, checked);
    let advice = if failing == 0 {
        "Every checked call was validly signed: switching to Required would reject none of them."
    } else {
        "Fix the failures below (their hints say how) before switching to Required."
    };
    (share.clone(), format!("{share} of the last 7 days' identify() calls ({failing} of {checked}) would have been rejected in Required mode. {advice}"))
}

#[derive(Template)]
#[template(path = "dashboard/verification.html")]
struct Panel {
    nav: Nav,
    app_id: String,
    plan: String,
    free: bool,
    mode: String,
    has_secret: bool,
    secret_version: u32,
    new_secret: Option<String>,
    snippet: String,
    day: Vec<(String, i64)>,
    week: Vec<(String, i64)>,
    failures: Vec<(String, String, String, String)>,
    readiness: String,
    readiness_detail: String,
}

async fn panel(
    req: &HttpRequest,
    agent: &AgentCtx,
    new_secret: Option<String>,
) -> Result<HttpResponse, PageError> {
    let state = state(req);
    let ws = agent.workspace_id;
    let app_id = agent.app_id.clone();
    let (current, day, week, failures) = state
        .store
        .read(move |c| {
            let now = now_ms();
            Ok((
                workspaces::by_app_id(c, &app_id)?,
                dashboard::outcome_counts(c, ws, now - DAY_MS)?,
                dashboard::outcome_counts(c, ws, now - limits::READINESS_DAYS * DAY_MS)?,
                dashboard::failures(c, ws, limits::FAILURES_SHOWN)?,
            ))
        })
        .await?;
    let (readiness, readiness_detail) = readiness(&week);
    let label = |v: &Vec<OutcomeCount>| v.iter().map(|o| (outcome_label(o), o.count)).collect();
    render(&Panel {
        nav: Nav::new(agent, "verification"),
        app_id: current.app_id.clone(),
        plan: current.plan.to_string(),
        free: current.plan == Plan::Free,
        mode: current.mode.to_string(),
        has_secret: current.secret_version > 0,
        secret_version: current.secret_version,
        new_secret,
        snippet: snippet(&state, &current.app_id),
        day: label(&day),
        week: label(&week),
        failures: failures
            .iter()
            .map(|f| {
                (
                    when(f.at).0,
                    or_dash(&f.user_id),
                    or_dash(&f.code),
                    or_dash(&f.hint),
                )
            })
            .collect(),
        readiness,
        readiness_detail,
    })
}

pub async fn page(req: HttpRequest, Agent(agent): Agent) -> Result<HttpResponse, PageError> {
    owner(&agent)?;
    panel(&req, &agent, None).await
}

#[derive(Deserialize)]
pub struct SecretForm {
    csrf: String,
    action: String,
    confirm: Option<String>,
}

/// Generate or Regenerate: answers the panel with the new secret, this once (never stored in
/// a page again, never logged; the answer is `no-store`).
pub async fn secret(
    req: HttpRequest,
    Agent(agent): Agent,
    form: web::Form<SecretForm>,
) -> Result<HttpResponse, PageError> {
    owner(&agent)?;
    check_csrf(&agent, &form.csrf)?;
    agent.plan.check_verification()?;
    let regenerate = match form.action.as_str() {
        "generate" => false,
        "regenerate" if form.confirm.as_deref() == Some("yes") => true,
        "regenerate" => {
            return Err(PageError::BadRequest(
                "tick \"I understand the current secret stops working at once\" to regenerate"
                    .into(),
            ))
        }
        _ => {
            return Err(PageError::BadRequest(
                "action must be generate or regenerate".into(),
            ))
        }
    };
    let secret = crypto::new_secret();
    let (app_id, value) = (agent.app_id.clone(), secret.clone());
    state(&req)
        .store
        .write(move |c| workspaces::store_secret(c, &app_id, &value, regenerate))
        .await?;
    tracing::info!(regenerate, "verification secret changed");
    panel(&req, &agent, Some(secret)).await
}

#[derive(Deserialize)]
pub struct ModeForm {
    csrf: String,
    mode: String,
}

pub async fn mode(
    req: HttpRequest,
    Agent(agent): Agent,
    form: web::Form<ModeForm>,
) -> Result<HttpResponse, PageError> {
    owner(&agent)?;
    check_csrf(&agent, &form.csrf)?;
    agent.plan.check_verification()?;
    let mode: Mode = form
        .mode
        .parse()
        .map_err(|e: replybubble_core::decision::UnknownName| {
            PageError::BadRequest(e.to_string())
        })?;
    let app_id = agent.app_id.clone();
    state(&req)
        .store
        .write(move |c| workspaces::set_mode(c, &app_id, mode))
        .await?;
    Ok(see_other("/dashboard/integrations/verification"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(result: &str, code: Option<&str>, hint: Option<&str>, count: i64) -> OutcomeCount {
        OutcomeCount {
            result: result.into(),
            code: code.map(Into::into),
            hint: hint.map(Into::into),
            count,
        }
    }

    #[test]
    fn readiness_counts_only_checked_calls() {
        assert_eq!(readiness(&[]).0, "—");
        assert_eq!(readiness(&[o("disabled", None, None, 9)]).0, "—");
        let week = [
            o("verified", None, None, 6),
            o("unverified", Some("signature_missing"), None, 3),
            o(
                "rejected",
                Some("signature_invalid"),
                Some("signed_email"),
                1,
            ),
            o("invalid", Some("invalid_field"), Some("name"), 5),
            o("disabled", None, None, 4),
        ];
        let (share, detail) = readiness(&week);
        assert_eq!(share, "40.0%");
        assert!(detail.contains("4 of 10"), "{detail}");
        assert_eq!(readiness(&[o("verified", None, None, 3)]).0, "0.0%");
    }

    #[test]
    fn outcome_labels_name_result_reason_and_hint() {
        assert_eq!(
            outcome_label(&o(
                "unverified",
                Some("signature_invalid"),
                Some("id_whitespace"),
                1
            )),
            "Unverified: signature invalid (id_whitespace)"
        );
        assert_eq!(
            outcome_label(&o("rejected", Some("signature_expired"), None, 1)),
            "Rejected in Required: signature expired (secret regenerated)"
        );
        assert_eq!(
            outcome_label(&o("invalid", Some("invalid_field"), Some("email"), 1)),
            "Invalid field: email"
        );
    }
}
