//! The widget as a visitor gets it, in headless Chromium on loopback: a shop page on another
//! origin pastes the documented async snippet. Each sample is a fresh browser (an empty cache)
//! that opens one page (the first view) and then another page of the same site (repeat views).
//! The page records when the launcher first has a layout box (polled every animation frame)
//! and Resource Timing gives the bytes on the wire of the loader, the glue and the wasm (the
//! server sends `Timing-Allow-Origin: *` so a page may read them).

use anyhow::{bail, Context, Result};
use replybubble_core::signature;
use replybubble_e2e::{host_page, Browser};
use serde_json::{json, Value as Json};

use crate::report::{median, Report, Row};
use crate::server::{Running, Site};

/// One page view.
#[derive(Debug, Clone, Copy)]
struct View {
    visible_ms: f64,
    widget_bytes: f64,
}

const PROBE: &str = r#"<script>
window.__bench = {};
(function poll() {
  var h = document.querySelector('replybubble-root');
  var b = h && h.shadowRoot && h.shadowRoot.getElementById('launcher');
  if (b && b.getBoundingClientRect().width > 0) { window.__bench.visible = performance.now(); return; }
  requestAnimationFrame(poll);
})();
</script>"#;

/// Waits for the launcher, then reads the timing and the widget's transfer sizes.
const READ_VIEW: &str = r#"
var base = arguments[0];
return new Promise(function (done, fail) {
  var until = Date.now() + 20000;
  (function wait() {
    if (window.__bench.visible) {
      var bytes = performance.getEntriesByType('resource')
        .filter(function (e) { return e.name.indexOf(base) === 0 && (e.name.indexOf('/widget.js') > 0 || e.name.indexOf('/pkg/') > 0); })
        .reduce(function (n, e) { return n + e.transferSize; }, 0);
      return done({ visible: window.__bench.visible, bytes: bytes });
    }
    if (Date.now() > until) return fail(new Error('the launcher never appeared'));
    setTimeout(wait, 10);
  })();
});"#;

/// Times `n` identify() calls one after the other, in ms.
const TIME_IDENTIFY: &str = r#"
var user = arguments[0], n = arguments[1], times = [];
function one(i) {
  if (i === n) return Promise.resolve(times);
  var t0 = performance.now();
  return window.ReplyBubble.identify(user).then(function (r) {
    if (r.status !== 'verified') throw new Error('identify answered ' + JSON.stringify(r));
    times.push(performance.now() - t0);
    return one(i + 1);
  });
}
return one(0);"#;

async fn view(browser: &Browser, url: &str, base: &str) -> Result<View> {
    browser
        .client
        .goto(url)
        .await
        .map_err(|e| anyhow::anyhow!("opening {url}: {e}"))?;
    let v = browser
        .client
        .execute(READ_VIEW, vec![json!(base)])
        .await
        .map_err(|e| anyhow::anyhow!("reading the view: {e}"))?;
    let num = |k: &str| v[k].as_f64().with_context(|| format!("no {k} in {v}"));
    Ok(View {
        visible_ms: num("visible")?,
        widget_bytes: num("bytes")?,
    })
}

/// Measures and adds the widget's rows.
pub async fn measure(
    running: &Running,
    site: &Site,
    quick: bool,
    report: &mut Report,
) -> Result<()> {
    let samples = if quick { 3 } else { 11 };
    let page = host_page(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>{PROBE}</head>
<body><h1>A shop</h1><p>Products, prices, a cart.</p>
<script async src="{base}/widget.js" data-app-id="{app_id}"></script></body></html>"#,
        base = running.base,
        app_id = site.app_id,
    ));
    let id = "browser_user";
    let user =
        json!({ "id": id, "signature": signature::sign(&site.secret, id), "name": "Browser User" });
    let (mut first, mut repeat, mut identify) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..samples {
        let browser = Browser::start().await;
        let result: Result<()> = async {
            first.push(view(&browser, &format!("{page}?view=first"), &running.base).await?);
            for k in 0..2 {
                repeat
                    .push(view(&browser, &format!("{page}?view=repeat{k}"), &running.base).await?);
            }
            let times = browser
                .client
                .execute(TIME_IDENTIFY, vec![user.clone(), json!(20)])
                .await
                .map_err(|e| anyhow::anyhow!("identify(): {e}"))?;
            let Json::Array(times) = times else {
                bail!("identify timings: {times}");
            };
            // The first call binds the session; the next ones are the steady state.
            identify.extend(times.iter().skip(1).filter_map(Json::as_f64));
            Ok(())
        }
        .await;
        browser.close().await;
        result.with_context(|| format!("browser sample {i}"))?;
    }
    let med = |views: &[View], f: fn(&View) -> f64| median(views.iter().map(f).collect());
    let first_bytes = med(&first, |v| v.widget_bytes);
    let repeat_bytes = med(&repeat, |v| v.widget_bytes);
    let first_ms = med(&first, |v| v.visible_ms);
    let repeat_ms = med(&repeat, |v| v.visible_ms);
    let identify_ms = median(identify.clone());
    eprintln!(
        "    first view {first_bytes:.0} B, {first_ms:.0} ms; repeat {repeat_bytes:.0} B, {repeat_ms:.0} ms; identify {identify_ms:.2} ms"
    );
    report.rows.push(Row::new(
        "widget",
        "bytes on the wire, first view (loader + glue + wasm, brotli)",
        format!("{:.1} KB", first_bytes / 1024.0),
        "≤ 30 KB (Crisp 130 KB, Chatwoot 170–300 KB, Intercom 182 KB+)".into(),
        first_bytes <= 30.0 * 1024.0,
    ));
    report.rows.push(Row::new(
        "widget",
        "bytes on the wire, repeat view",
        format!("{:.2} KB", repeat_bytes / 1024.0),
        "≤ 2 KB".into(),
        repeat_bytes <= 2.0 * 1024.0,
    ));
    report.rows.push(Row::new(
        "widget",
        format!("bubble visible after navigation start, first view (median of {samples})"),
        format!("{first_ms:.0} ms"),
        "≤ 150 ms".into(),
        first_ms <= 150.0,
    ));
    report.rows.push(Row::new(
        "widget",
        format!(
            "bubble visible after navigation start, repeat view (median of {})",
            repeat.len()
        ),
        format!("{repeat_ms:.0} ms"),
        "≤ 100 ms".into(),
        repeat_ms <= 100.0,
    ));
    report.rows.push(Row::new(
        "widget",
        format!(
            "identify() from the call to the resolved Promise (median of {})",
            identify.len()
        ),
        format!("{identify_ms:.2} ms"),
        "≤ 10 ms".into(),
        identify_ms <= 10.0,
    ));
    Ok(())
}
