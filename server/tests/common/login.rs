//! Logging in to the dashboard over HTTP as a browser does: the login form's CSRF cookie and
//! field, then the POST. Shared by the process and proxy tests.

/// Logs in at `base` (from `forwarded_for` when given, through a trusted proxy): the status.
pub async fn dashboard_login(
    c: &awc::Client,
    base: &str,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> u16 {
    let with_from = |req: awc::ClientRequest| match forwarded_for {
        Some(from) => req.insert_header(("X-Forwarded-For", from.to_owned())),
        None => req,
    };
    let mut form = with_from(c.get(format!("{base}/dashboard/login")))
        .send()
        .await
        .unwrap();
    let pre = form
        .headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("rb_login_csrf="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("a login csrf cookie");
    let html = String::from_utf8(form.body().await.unwrap().to_vec()).unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..].split('"').next().unwrap().to_owned();
    with_from(c.post(format!("{base}/dashboard/login")))
        .insert_header(("Cookie", format!("rb_login_csrf={pre}")))
        .send_form(&[("email", email), ("password", password), ("csrf", &csrf)])
        .await
        .unwrap()
        .status()
        .as_u16()
}
