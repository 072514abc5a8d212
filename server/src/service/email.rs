//! The email fallback (DESIGN.md "Agents' day"): an agent's reply that the visitor did not see
//! live is emailed to the conversation's **verified** contact (never an address typed into the
//! contact form), once the visitor has had no open event stream for 2 minutes, at most once per
//! conversation per 10 minutes, with a link back to the page the chat started on when that page
//! is on one of the workspace's allowed origins. Only the user id is signed, so the contact's
//! email is used only when the owner trusts unsigned emails (`trust_unsigned_email`). A durable
//! outbox row per conversation stays until the SMTP server took the email: a crash or an outage
//! delays it, never loses it.

use crate::mailer::{Email, Mailer};
use crate::policy::{
    EMAIL_AFTER_ABSENCE_SECS, EMAIL_EVERY_MINUTES, EMAIL_LEASE_SECS, EMAIL_RETRY_MAX_SECS,
    EMAIL_RETRY_SECS,
};
use crate::store::{EmailJob, EmailReply};

use super::{ServiceError, Services};

/// How many conversations one round of the worker handles at most.
const ROUND: usize = 20;

/// What became of one queued conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Emailed, covering replies up to this position.
    Sent(i64),
    /// Nothing to send: no verified contact with an email, or no reply the visitor missed.
    Dropped,
    /// Not yet: the visitor is (or was just) here, or the last email is too recent.
    Later(i64),
    /// The SMTP server did not take it: tried again at this time.
    Failed(i64),
    /// The SMTP server refused it for good (no such mailbox, …): logged, not retried. The replies
    /// stay in the conversation for the visitor's next visit.
    Refused,
}

/// One round of the outbox: claims what is due, one conversation at a time, and handles it.
/// Returns what happened to each.
pub async fn run_once(s: &Services) -> Result<Vec<(i64, Outcome)>, ServiceError> {
    let Some(mailer) = s.mailer.clone() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    // One claim per conversation: its lease outlasts its sending (every SMTP step times out
    // after 15 s), so another server never takes it up while this one is still sending.
    for _ in 0..ROUND {
        let now = s.clock.now_ms();
        let Some(job) = s
            .store
            .claim_emails(now, now + EMAIL_LEASE_SECS * 1000, 1)
            .await?
            .pop()
        else {
            break;
        };
        let outcome = handle(s, &mailer, &job, now).await?;
        out.push((job.conversation_id, outcome));
    }
    Ok(out)
}

/// Runs one send in a task of its own, so a panic inside the SMTP library (a header it cannot
/// write, say) is one failed send that stays queued with its error, not the end of the worker
/// for every workspace.
async fn contained(
    send: impl std::future::Future<Output = Result<(), crate::mailer::MailError>> + Send + 'static,
) -> Result<(), crate::mailer::MailError> {
    match tokio::spawn(send).await {
        Ok(result) => result,
        Err(e) => Err(crate::mailer::MailError::Panicked(e.to_string())),
    }
}

/// How many replies one email carries at most; more wait for the next one.
const REPLIES_PER_EMAIL: usize = 50;

async fn handle(
    s: &Services,
    mailer: &Mailer,
    job: &EmailJob,
    now: i64,
) -> Result<Outcome, ServiceError> {
    let id = job.conversation_id;
    // Taken off the queue (a reply queued meanwhile keeps it), what was looked at covered.
    let done = |covered: i64, emailed: bool| {
        s.store
            .finish_email(id, job.queued_seq, covered, emailed.then_some(now), now)
    };
    // Only the user id is signed: the contact's email is what its browser sent, so it is written
    // to only where the owner chose to trust that (Integrations > User Verification).
    let Some(to) = job
        .to
        .clone()
        .filter(|t| !t.is_empty() && job.trust_unsigned_email)
    else {
        done(job.queued_seq, false).await?;
        return Ok(Outcome::Dropped);
    };
    // The visitor is here, or left less than 2 minutes ago: look again 2 minutes after.
    let seen = job.stream_seen_at.unwrap_or(0);
    let absent_from = seen + EMAIL_AFTER_ABSENCE_SECS * 1000;
    if absent_from > now {
        s.store.reschedule_email(id, absent_from, None).await?;
        return Ok(Outcome::Later(absent_from));
    }
    // Replies that arrived while no stream of theirs was open.
    let replies: Vec<EmailReply> = s
        .store
        .email_replies(id, job.emailed_seq, seen, REPLIES_PER_EMAIL)
        .await?;
    let Some(last) = replies.last().map(|r| r.seq) else {
        done(job.queued_seq, false).await?;
        return Ok(Outcome::Dropped);
    };
    if let Some(next) = job
        .emailed_at
        .map(|at| at + EMAIL_EVERY_MINUTES * 60_000)
        .filter(|next| *next > now)
    {
        s.store.reschedule_email(id, next, None).await?;
        return Ok(Outcome::Later(next));
    }
    let email = compose(job, &to, &replies);
    let (sender, sent) = (mailer.clone(), email.clone());
    match contained(async move { sender.send(&sent).await }).await {
        Ok(()) => {
            // A full email may have left replies for the next one: then the row stays.
            let upto = if replies.len() == REPLIES_PER_EMAIL {
                last
            } else {
                job.queued_seq
            };
            s.store.finish_email(id, upto, last, Some(now), now).await?;
            tracing::info!(
                conversation_id = id,
                replies = replies.len(),
                "reply emailed"
            );
            Ok(Outcome::Sent(last))
        }
        Err(e) if e.is_permanent() => {
            tracing::error!(conversation_id = id, error = ?e, "the SMTP server refused a reply's email for good; not retried");
            done(last, false).await?;
            Ok(Outcome::Refused)
        }
        Err(e) => {
            let wait = (EMAIL_RETRY_SECS << job.attempts.min(10)).min(EMAIL_RETRY_MAX_SECS);
            let again = now + wait * 1000;
            // Logged whole, once; the row keeps the reason for operators.
            tracing::warn!(conversation_id = id, attempts = job.attempts + 1, error = ?e, "emailing a reply failed; it stays queued");
            s.store
                .reschedule_email(id, again, Some(format!("{e}: {}", source_text(&e))))
                .await?;
            Ok(Outcome::Failed(again))
        }
    }
}

/// The innermost cause's text (the SMTP server's words or the connection error).
fn source_text(e: &dyn std::error::Error) -> String {
    let mut cause = e.source();
    let mut text = String::new();
    while let Some(c) = cause {
        text = c.to_string();
        cause = c.source();
    }
    text
}

/// The agent's name as the email shows it: the login's part before the `@`, capitalised.
fn agent_name(email: Option<&str>) -> String {
    let local = email
        .and_then(|e| e.split('@').next())
        .filter(|l| !l.is_empty())
        .unwrap_or("Our team");
    let mut chars = local.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The email: the replies with their agents' names, and the link back.
pub fn compose(job: &EmailJob, to: &str, replies: &[EmailReply]) -> Email {
    let greeting = match job.contact_name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("Hi {n},"),
        None => "Hi,".to_owned(),
    };
    // A name stored by an older release may hold a line break: one line, in headers and text.
    let name = one_line(&job.workspace_name);
    let mut text = format!("{greeting}\n\nyou have a reply from {name} in your chat:\n\n");
    let mut html = format!(
        "<p>{}</p><p>you have a reply from {} in your chat:</p>",
        escape(&greeting),
        escape(&name)
    );
    for r in replies {
        let who = agent_name(r.agent_email.as_deref());
        text.push_str(&format!("{who} wrote:\n{}\n\n", r.body));
        html.push_str(&format!(
            "<p><strong>{}</strong> wrote:</p><blockquote style=\"margin:0 0 16px;padding:8px 12px;border-left:3px solid #4f46e5;white-space:pre-wrap\">{}</blockquote>",
            escape(&who),
            escape(&r.body)
        ));
    }
    // The page is what the visitor reported: linked only when it is on an allowed origin.
    let page = job
        .page_url
        .as_ref()
        .filter(|u| replybubble_core::page::on_allowed_origin(u, &job.origins));
    if let Some(url) = page {
        text.push_str(&format!("Continue the conversation: {url}\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\">Continue the conversation</a></p>",
            escape(url)
        ));
    }
    Email {
        to: to.to_owned(),
        subject: format!("New reply from {name}"),
        from_name: name,
        text,
        html,
    }
}

/// `text` with every control character (line breaks, tabs) as a space.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> EmailJob {
        EmailJob {
            conversation_id: 7,
            queued_seq: 2,
            attempts: 0,
            workspace_name: "Acme <Coffee>".into(),
            to: Some("ada@example.com".into()),
            contact_name: Some("Ada".into()),
            page_url: Some("https://acme.example/orders?x=\"1\"".into()),
            emailed_at: None,
            emailed_seq: 0,
            stream_seen_at: None,
            trust_unsigned_email: true,
            origins: vec!["https://acme.example".into()],
        }
    }

    #[test]
    fn the_email_carries_the_replies_the_agent_and_the_link_escaped_in_html() {
        let replies = [EmailReply {
            seq: 2,
            body: "Your order <#1042> ships today & arrives Friday.".into(),
            agent_email: Some("sam@acme.example".into()),
            created_at: 1,
        }];
        let e = compose(&job(), "ada@example.com", &replies);
        assert_eq!(e.subject, "New reply from Acme <Coffee>");
        assert!(
            e.text.contains("Hi Ada,")
                && e.text
                    .contains("Sam wrote:\nYour order <#1042> ships today & arrives Friday.")
        );
        assert!(e
            .text
            .contains("Continue the conversation: https://acme.example/orders?x=\"1\""));
        assert!(e
            .html
            .contains("Your order &lt;#1042&gt; ships today &amp; arrives Friday."));
        assert!(e
            .html
            .contains("href=\"https://acme.example/orders?x=&quot;1&quot;\""));
        assert!(!e.html.contains("<Coffee>"));
        assert_eq!(agent_name(None), "Our team");
    }

    #[actix_rt::test]
    async fn a_panic_while_sending_is_a_failed_send_not_a_dead_worker() {
        let e = contained(async { panic!("header with a line break") })
            .await
            .unwrap_err();
        assert!(matches!(e, crate::mailer::MailError::Panicked(_)), "{e:?}");
        assert!(!e.is_permanent(), "it stays queued and is tried again");
        assert_eq!(contained(async { Ok(()) }).await.ok(), Some(()));
    }

    #[test]
    fn a_page_off_the_allowed_origins_is_not_linked() {
        let job = EmailJob {
            page_url: Some("https://evil.example/login".into()),
            ..job()
        };
        let e = compose(&job, "ada@example.com", &[]);
        assert!(
            !e.text.contains("evil") && !e.html.contains("evil"),
            "{}",
            e.text
        );
        assert!(!e.text.contains("Continue the conversation"));
    }

    #[test]
    fn a_name_with_a_line_break_goes_into_the_headers_on_one_line() {
        let job = EmailJob {
            workspace_name: "Acme\r\nBcc: all@evil.example".into(),
            ..job()
        };
        let e = compose(&job, "ada@example.com", &[]);
        assert_eq!(e.from_name, "Acme  Bcc: all@evil.example");
        assert_eq!(e.subject, "New reply from Acme  Bcc: all@evil.example");
    }
}
