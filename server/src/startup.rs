//! Building and running the HTTP server (zero2prod's `Application`): bind first, so tests can
//! ask for port 0 and read the real port back. Knows nothing of the command line: `cli` builds
//! the [`Config`].

use std::net::TcpListener;
use std::path::PathBuf;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

use crate::http::state::AppState;
use crate::service::Services;

/// What `serve` runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// `HOST:PORT` (port 0 picks a free one).
    pub addr: String,
    /// The SQLite file.
    pub db: PathBuf,
    /// The URL the server is reached at; defaults to `http://` + the bound address.
    pub public_url: Option<String>,
    /// Seed and serve the demo.
    pub demo: bool,
    /// Rate limits on.
    pub rate_limits: bool,
    /// HTTP worker threads (0: one per core).
    pub workers: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where Prometheus metrics are served (`GET /metrics`), on a listener of their own.
    pub metrics_addr: Option<String>,
    /// On PostgreSQL, how often an open stream checks what it may have missed (tests shorten
    /// it; serve uses [`crate::policy::STREAM_SAFETY_POLL_SECS`]).
    pub stream_safety_poll: std::time::Duration,
    /// The email fallback's SMTP server (`--smtp-url`) and sender (`--smtp-from`); None: off.
    pub smtp: Option<Smtp>,
    /// How often the email outbox is worked (tests shorten it; serve uses
    /// [`crate::policy::EMAIL_POLL_SECS`]).
    pub email_poll: std::time::Duration,
    /// How long a request's body may take to arrive (tests shorten it; serve uses
    /// [`crate::policy::BODY_READ_SECS`]).
    pub body_timeout: std::time::Duration,
}

/// The email fallback's SMTP settings. Its `Debug` never shows the URL, which may hold a password.
#[derive(Clone)]
pub struct Smtp {
    /// `smtp://…`, `smtps://…`, maybe with `USER:PASSWORD@`.
    pub url: String,
    /// The sender address.
    pub from: String,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("url", &"(hidden)")
            .field("from", &self.from)
            .finish()
    }
}

impl Config {
    /// A server on a free loopback port with two workers, rate limits off, no demo: what the
    /// test suites start (the server's own and the browser end-to-end tests).
    pub fn loopback(db: PathBuf) -> Config {
        Config {
            addr: "127.0.0.1:0".into(),
            db,
            public_url: None,
            demo: false,
            rate_limits: false,
            workers: 2,
            trusted_proxies: Vec::new(),
            metrics_addr: None,
            stream_safety_poll: std::time::Duration::from_secs(
                crate::policy::STREAM_SAFETY_POLL_SECS,
            ),
            smtp: None,
            email_poll: std::time::Duration::from_secs(crate::policy::EMAIL_POLL_SECS),
            body_timeout: std::time::Duration::from_secs(crate::policy::BODY_READ_SECS),
        }
    }
}

/// A server running on the current runtime: where it listens and its state.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The shared state (tests reach the services through it).
    pub state: web::Data<AppState>,
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    metrics: Option<(u16, Server)>,
    email_poll: std::time::Duration,
}

impl Application {
    /// Opens the database (migrating it), seeds or locks the demo owner, and binds the address.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let mut services = Services::open(&config.db).await?;
        services.safety_poll = config.stream_safety_poll;
        if let Some(smtp) = &config.smtp {
            services.mailer = Some(std::sync::Arc::new(crate::mailer::Mailer::new(
                &smtp.url, &smtp.from,
            )?));
        }
        if services.store.shared() {
            // Other servers of the database write too: hear what they announce.
            actix_web::rt::spawn(crate::service::follow_notices(services.clone()));
        }
        let demo = crate::service::demo::prepare(&services, config.demo).await?;
        let listener = TcpListener::bind(&config.addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
        let local = listener.local_addr()?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}"))
            .trim_end_matches('/')
            .to_owned();
        let state = web::Data::new(AppState {
            services,
            public_url,
            demo,
            limits: crate::ratelimit::Limits::new(config.rate_limits),
            trusted_proxies: config.trusted_proxies.clone(),
            body_timeout: config.body_timeout,
        });
        let data = state.clone();
        let with_demo = config.demo;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(from_fn(crate::http::deadline::body_deadline))
                .wrap(from_fn(crate::http::head::as_get))
                .wrap(from_fn(crate::telemetry::log_requests))
                .configure(|cfg| crate::http::configure(cfg, with_demo))
                .default_service(web::to(crate::http::error::not_found))
        })
        .listen(listener)?
        // Signals are ours (`run_until_stopped`): streams end first, then in-flight requests
        // finish within this cap.
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_SECS);
        if config.workers > 0 {
            server = server.workers(config.workers);
        }
        let metrics = match &config.metrics_addr {
            Some(addr) => Some(crate::http::metrics::server(addr)?),
            None => None,
        };
        Ok(Application {
            port: local.port(),
            server: server.run(),
            state,
            metrics,
            email_poll: config.email_poll,
        })
    }

    /// Builds the server and runs it on the current actix runtime (tests).
    pub async fn start(config: Config) -> anyhow::Result<Running> {
        let app = Application::build(config).await?;
        let running = Running {
            base: format!("http://127.0.0.1:{}", app.port()),
            state: app.state(),
        };
        actix_web::rt::spawn(app.run_until_stopped());
        Ok(running)
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|m| m.0)
    }

    /// The shared state (tests reach the services through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Runs until SIGTERM or SIGINT, with the housekeeping timer beside it. On a signal it stops
    /// accepting, ends every event stream at once (clients reconnect and fill their gap),
    /// finishes the requests in flight (at most 5 s), and returns once every acknowledged write
    /// is committed (the writer answers only after its commit).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let housekeeping = actix_web::rt::spawn(housekeeping(self.state.clone()));
        let outbox = actix_web::rt::spawn(outbox(self.state.clone(), self.email_poll));
        let handle = self.server.handle();
        let hub = self.state.services.hub.clone();
        let (metrics_handle, metrics_task) = match self.metrics {
            Some((_, server)) => (Some(server.handle()), Some(actix_web::rt::spawn(server))),
            None => (None, None),
        };
        let signals = actix_web::rt::spawn(async move {
            stop_signal().await;
            tracing::info!("shutting down: ending event streams, finishing requests");
            hub.close_all();
            if let Some(m) = metrics_handle {
                m.stop(true).await;
            }
            handle.stop(true).await;
        });
        let result = self.server.await;
        if let Some(task) = metrics_task {
            task.abort();
        }
        housekeeping.abort();
        outbox.abort();
        signals.abort();
        result
    }
}

/// How long in-flight requests get to finish after a stop signal.
const SHUTDOWN_SECS: u64 = 5;

/// Waits for SIGTERM (systemd, Kubernetes) or SIGINT (Ctrl-C).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = actix_web::rt::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = actix_web::rt::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = actix_web::rt::signal::ctrl_c().await;
    }
}

/// The email fallback's worker: every `every`, emails the due replies (nothing without
/// `--smtp-url`). A round that fails is logged and the next one tries again: the outbox keeps
/// every queued email until the SMTP server took it.
async fn outbox(state: web::Data<AppState>, every: std::time::Duration) {
    if state.services.mailer.is_none() {
        return;
    }
    let mut tick = actix_web::rt::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(error) = crate::service::email::run_once(&state.services).await {
            tracing::error!(error = %crate::http::error::chain(&error), "the email outbox round failed");
        }
    }
}

/// Every minute: forgets closed streams, expired tickets and rate-limit keys whose buckets are
/// full again (memory stays flat under a stream of new visitors). Every hour: deletes ended
/// sessions and the conversations that never started.
async fn housekeeping(state: web::Data<AppState>) {
    use crate::policy::{PRUNE_SECS, SWEEP_MINUTES};
    let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(PRUNE_SECS));
    let sweep_every = (SWEEP_MINUTES * 60 / PRUNE_SECS).max(1);
    for round in 0u64.. {
        tick.tick().await;
        state.services.hub.prune();
        state.limits.shrink();
        if round % sweep_every != 0 {
            continue;
        }
        match crate::service::sweep(&state.services).await {
            Ok(swept) => tracing::info!(
                sessions = swept.sessions,
                conversations = swept.conversations,
                retained_out = swept.retained_out,
                identify_events = swept.events,
                "swept ended sessions and conversations past their retention"
            ),
            Err(error) => {
                tracing::error!(error = %crate::http::error::chain(&error), "the sweep failed")
            }
        }
    }
}
