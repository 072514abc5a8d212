//! Behind a real reverse proxy (nginx from Debian, started here on loopback): `--trusted-proxy`
//! and the X-Forwarded-For rule give each visitor their own rate-limit bucket, and nobody can
//! choose theirs by sending the header.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use replybubble_core::Plan;
use replybubble_server::startup::{Application, Config};
use replybubble_server::store::sqlite::{open_and_migrate, workspaces};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "common/login.rs"]
mod login;
use login::dashboard_login;

struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx in front of `upstream`, connecting to it from 127.0.0.3. None (after saying so
/// loudly) when nginx is not installed, outside CI; CI must never skip.
fn nginx(upstream: u16) -> Option<Nginx> {
    let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(bin) = bin else {
        if std::env::var_os("CI").is_some() {
            panic!("nginx is not installed: `cargo xtask setup` installs it (apt nginx)");
        }
        eprintln!("SKIPPED: nginx is not installed (apt install nginx); CI runs this test");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let p = dir.path().display();
    let conf = format!(
        r#"worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {p}/body;
  proxy_temp_path {p}/proxy;
  fastcgi_temp_path {p}/fastcgi;
  uwsgi_temp_path {p}/uwsgi;
  scgi_temp_path {p}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_bind 127.0.0.3;
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
"#
    );
    let path = dir.path().join("nginx.conf");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(conf.as_bytes())
        .unwrap();
    let mut child = Command::new(bin)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&path)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx starts");
    // Ready when it accepts connections.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Nginx {
                child,
                port,
                _dir: dir,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "nginx did not start: {}",
        std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
    );
}

/// `POST /api/v1/widget/session` sent from the local address `from` to `to`, with extra
/// headers: the status.
async fn session_from(from: &str, to: SocketAddr, app_id: &str, headers: &str) -> u16 {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(to).await.unwrap();
    let body = format!("{{\"app_id\":\"{app_id}\"}}");
    let request = format!(
        "POST /api/v1/widget/session HTTP/1.1\r\nHost: chat.test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[actix_rt::test]
async fn behind_nginx_each_visitor_has_a_bucket_and_forwarded_for_cannot_be_spoofed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("proxy.db");
    let app_id = replybubble_server::crypto::new_app_id();
    workspaces::create(
        &open_and_migrate(&db).unwrap(),
        &app_id,
        "P",
        Plan::Free,
        &[],
        0,
    )
    .unwrap();
    let app = Application::start(Config {
        rate_limits: true,
        trusted_proxies: vec!["127.0.0.3/32".parse().unwrap()],
        ..Config::loopback(db)
    })
    .await
    .unwrap();
    let app_port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let Some(proxy) = nginx(app_port) else { return };
    let via_proxy: SocketAddr = format!("127.0.0.1:{}", proxy.port).parse().unwrap();
    let direct: SocketAddr = format!("127.0.0.1:{app_port}").parse().unwrap();
    let burst = replybubble_server::policy::RATE_SESSION_PER_IP.burst;

    // Visitor 127.0.0.5 spends its burst through the proxy, then is limited.
    for _ in 0..burst {
        assert_eq!(session_from("127.0.0.5", via_proxy, &app_id, "").await, 200);
    }
    assert_eq!(session_from("127.0.0.5", via_proxy, &app_id, "").await, 429);
    // Another visitor through the same proxy has a bucket of its own.
    assert_eq!(session_from("127.0.0.6", via_proxy, &app_id, "").await, 200);
    // Naming another address in X-Forwarded-For changes nothing: the proxy appends the real one.
    assert_eq!(
        session_from(
            "127.0.0.5",
            via_proxy,
            &app_id,
            "X-Forwarded-For: 127.0.0.9\r\n"
        )
        .await,
        429
    );
    // A visitor cannot pose as the limited one either.
    assert_eq!(
        session_from(
            "127.0.0.6",
            via_proxy,
            &app_id,
            "X-Forwarded-For: 127.0.0.5\r\n"
        )
        .await,
        200
    );
    // Straight to the server (not through a trusted proxy) the header is ignored entirely.
    for _ in 0..burst {
        assert_eq!(
            session_from(
                "127.0.0.7",
                direct,
                &app_id,
                "X-Forwarded-For: 127.0.0.8\r\n"
            )
            .await,
            200
        );
    }
    assert_eq!(
        session_from(
            "127.0.0.7",
            direct,
            &app_id,
            "X-Forwarded-For: 127.0.0.8\r\n"
        )
        .await,
        429
    );
    assert_eq!(session_from("127.0.0.8", direct, &app_id, "").await, 200);
}

#[actix_rt::test]
async fn dashboard_login_is_limited_per_email_whatever_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("login.db");
    let conn = open_and_migrate(&db).unwrap();
    let app_id = replybubble_server::crypto::new_app_id();
    workspaces::create(&conn, &app_id, "L", Plan::Pro, &[], 0).unwrap();
    let hash = replybubble_server::crypto::hash_password("correct horse battery");
    workspaces::create_agent(
        &conn,
        &app_id,
        "owner@l.test",
        replybubble_server::store::Role::Owner,
        &hash,
        0,
    )
    .unwrap();
    let app = Application::start(Config {
        rate_limits: true,
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Config::loopback(db)
    })
    .await
    .unwrap();
    let c = awc::Client::builder().disable_redirects().finish();
    // Each attempt comes from another address (as a botnet's would), for one email.
    let mut statuses = Vec::new();
    for i in 0..7 {
        let from = format!("198.51.100.{i}");
        let status = dashboard_login(
            &c,
            &app.base,
            "Owner@L.test",
            "wrong password!",
            Some(&from),
        )
        .await;
        statuses.push(status);
    }
    let burst = replybubble_server::policy::RATE_LOGIN_PER_EMAIL.burst as usize;
    assert!(statuses[..burst].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[burst..].iter().all(|s| *s == 429), "{statuses:?}");
}
