//! The dashboard at a site's scale: each page requested [`SAMPLES`] times by a logged-in owner
//! over loopback, one at a time, after one warm-up request; the median of the times from
//! sending the request to the last byte of the page. That is the server's time plus a loopback
//! round trip, an upper bound on the server time the budget names.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::report::{Report, Row};
use crate::seed::Seeded;
use crate::server::{Running, OWNER, PASSWORD};

/// Requests per page.
pub const SAMPLES: usize = 21;

struct Dash {
    client: awc::Client,
    base: String,
    cookie: String,
}

impl Dash {
    async fn login(base: &str) -> Result<Dash> {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .disable_redirects()
            .finish();
        let mut form = client
            .get(format!("{base}/dashboard/login"))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("GET /dashboard/login: {e}"))?;
        let pre = cookie(form.headers(), "rb_login_csrf").context("no login CSRF cookie")?;
        let html = String::from_utf8(form.body().await?.to_vec())?;
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .context("no csrf field on the login page")?
            .to_owned();
        let res = client
            .post(format!("{base}/dashboard/login"))
            .insert_header(("Cookie", format!("rb_login_csrf={pre}")))
            .send_form(&[("email", OWNER), ("password", PASSWORD), ("csrf", &csrf)])
            .await
            .map_err(|e| anyhow::anyhow!("POST /dashboard/login: {e}"))?;
        let session = cookie(res.headers(), "rb_session")
            .with_context(|| format!("login failed: {}", res.status()))?;
        Ok(Dash {
            client,
            base: base.to_owned(),
            cookie: format!("rb_session={session}"),
        })
    }

    /// One GET: the page and how long it took to the last byte.
    async fn get(&self, path: &str) -> Result<(String, Duration)> {
        let started = Instant::now();
        let mut res = self
            .client
            .get(format!("{}{path}", self.base))
            .insert_header(("Cookie", self.cookie.clone()))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("GET {path}: {e}"))?;
        let body = res.body().limit(64 << 20).await?;
        let took = started.elapsed();
        if !res.status().is_success() {
            bail!("GET {path}: {}", res.status());
        }
        Ok((String::from_utf8(body.to_vec())?, took))
    }

    /// The median of [`SAMPLES`] GETs after a warm-up, and the page's size.
    async fn time(&self, path: &str) -> Result<(Duration, usize)> {
        let (page, _) = self.get(path).await?;
        let mut times = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            times.push(self.get(path).await?.1);
        }
        times.sort();
        Ok((times[SAMPLES / 2], page.len()))
    }
}

fn cookie(headers: &awc::http::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// The href of the "Older conversations" link.
fn next_page(html: &str) -> Option<String> {
    let at = html.find("Older conversations")?;
    let href = html[..at].rsplit("href=\"").next()?;
    Some(href.split('"').next()?.replace("&amp;", "&"))
}

/// Times every dashboard page.
pub async fn measure(running: &Running, seeded: &Seeded, report: &mut Report) -> Result<()> {
    let dash = Dash::login(&running.base).await?;
    // Twenty pages deep in the inbox, by its own links.
    let mut deep = "/dashboard/conversations".to_owned();
    for _ in 1..20 {
        let (html, _) = dash.get(&deep).await?;
        deep = next_page(&html).context("the inbox has fewer than 20 pages")?;
    }
    let pages = [
        ("home", "/dashboard".to_owned()),
        ("conversations", "/dashboard/conversations".to_owned()),
        (
            "conversations, verified only",
            "/dashboard/conversations?identified=1".to_owned(),
        ),
        ("conversations, page 20", deep),
        ("contacts", "/dashboard/contacts".to_owned()),
        (
            "a contact",
            format!("/dashboard/contacts/{}", seeded.contact),
        ),
        (
            "a conversation of 600 messages",
            format!("/dashboard/conversations/{}", seeded.long_conversation),
        ),
        (
            "user verification",
            "/dashboard/integrations/verification".to_owned(),
        ),
    ];
    for (name, path) in pages {
        let (median, bytes) = dash.time(&path).await?;
        let ms = median.as_secs_f64() * 1e3;
        eprintln!("    {name}: {ms:.2} ms ({bytes} B)");
        let budget = if name == "user verification" {
            20.0
        } else {
            10.0
        };
        report.rows.push(Row::new(
            "dashboard",
            format!("{name}, median ({} KB page)", bytes / 1024),
            format!("{ms:.1} ms"),
            format!("≤ {budget:.0} ms"),
            ms <= budget,
        ));
    }
    Ok(())
}
