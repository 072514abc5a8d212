//! Sending email over SMTP (lettre): the email fallback's transport (DESIGN.md "Agents' day").
//! Knows nothing of conversations: the service builds the email, this sends it.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why an email could not be sent (or the mailer not made).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `--smtp-url` is not an SMTP URL lettre takes.
    #[error("--smtp-url {url:?} is not an SMTP URL (smtp://HOST:PORT, smtp://HOST:PORT?tls=required or smtps://HOST:PORT, with USER:PASSWORD@ when the server wants a login)")]
    Url {
        /// The URL without its password.
        url: String,
        /// Why.
        #[source]
        source: lettre::transport::smtp::Error,
    },
    /// An address lettre refuses.
    #[error("{what} {address:?} is not an email address")]
    Address {
        /// Which one (the sender, the recipient).
        what: &'static str,
        /// It.
        address: String,
        /// Why.
        #[source]
        source: lettre::address::AddressError,
    },
    /// The message could not be built.
    #[error("could not build the email")]
    Build(#[source] lettre::error::Error),
    /// The SMTP server did not take it (down, refused, timed out).
    #[error("the SMTP server did not take the email")]
    Send(#[source] lettre::transport::smtp::Error),
    /// Sending panicked (a bug in us or the SMTP library); the email stays queued.
    #[error("sending the email panicked: {0}")]
    Panicked(String),
}

impl MailError {
    /// Whether trying again cannot help: an address that is no address, a message that cannot be
    /// built, or the SMTP server's permanent refusal (5xx: no such mailbox, …).
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Address { .. } | MailError::Build(_) => true,
            MailError::Send(e) => e.is_permanent(),
            MailError::Url { .. } | MailError::Panicked(_) => false,
        }
    }
}

/// One email, plain text and HTML.
#[derive(Debug, Clone)]
pub struct Email {
    /// The recipient.
    pub to: String,
    /// The sender's display name (the address is `--smtp-from`'s).
    pub from_name: String,
    /// Subject.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (escaped by whoever built it).
    pub html: String,
}

/// An SMTP transport and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `--smtp-from`, checked once at start.
    from: lettre::Address,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

/// The URL as it may be shown: without a password.
fn shown(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

impl Mailer {
    /// A mailer for `url` (`smtp://`, `smtps://`) sending as `from`.
    pub fn new(url: &str, from: &str) -> Result<Mailer, MailError> {
        let from = from
            .parse::<lettre::Address>()
            .map_err(|source| MailError::Address {
                what: "--smtp-from",
                address: from.to_owned(),
                source,
            })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|source| MailError::Url {
                url: shown(url),
                source,
            })?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        Ok(Mailer { transport, from })
    }

    /// Sends one email; returns when the SMTP server took it.
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let from = Mailbox::new(Some(email.from_name.clone()), self.from.clone());
        let to: Mailbox = email.to.parse().map_err(|source| MailError::Address {
            what: "the recipient",
            address: email.to.clone(),
            source,
        })?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(email.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(email.html.clone()),
                    ),
            )
            .map_err(MailError::Build)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(MailError::Send)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_named_and_passwords_never_shown() {
        let e = Mailer::new("smtp://127.0.0.1:2525", "not an address").unwrap_err();
        assert!(
            e.to_string().starts_with("--smtp-from \"not an address\""),
            "{e}"
        );
        let e = Mailer::new("http://user:s3cret@mail.example:25", "chat@example.com").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("is not an SMTP URL") && !text.contains("s3cret"),
            "{text}"
        );
        assert!(Mailer::new("smtp://127.0.0.1:2525", "chat@example.com").is_ok());
    }
}
