//! Logging in to the dashboard over HTTP as a browser does: the login form's CSRF cookie and
//! field, then the POST. Shared by the process and proxy tests.

/// Logs in at `base` (from `forwarded_for` when given, through a trusted proxy): the status.
#[allow(dead_code)] // not every test binary logs in this way
pub async fn dashboard_login(
    c: &awc::Client,
    base: &str,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> u16 {
    post_login(c, base, email, password, forwarded_for)
        .await
        .status()
        .as_u16()
}

/// Logs in at `base`: the `Cookie` header of the dashboard session and the CSRF token its
/// forms carry.
#[allow(dead_code)] // not every test binary posts dashboard forms
pub async fn dashboard_session(
    c: &awc::Client,
    base: &str,
    email: &str,
    password: &str,
) -> (String, String) {
    let res = post_login(c, base, email, password, None).await;
    assert_eq!(res.status().as_u16(), 303, "logged in");
    let session = res
        .headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("rb_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("a session cookie");
    let cookie = format!("rb_session={session}");
    let mut home = c
        .get(format!("{base}/dashboard"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    let html = String::from_utf8(home.body().await.unwrap().to_vec()).unwrap();
    (cookie, csrf_in(&html))
}

fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a csrf field")
        + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

async fn post_login(
    c: &awc::Client,
    base: &str,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> awc::ClientResponse<
    impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>,
> {
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
    let csrf = csrf_in(&html);
    with_from(c.post(format!("{base}/dashboard/login")))
        .insert_header(("Cookie", format!("rb_login_csrf={pre}")))
        .send_form(&[("email", email), ("password", password), ("csrf", &csrf)])
        .await
        .unwrap()
}
