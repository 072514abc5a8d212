//! The `replybubble` command line: `serve` and the admin commands of DESIGN.md "Operations".
//!
//! Admin commands print one result (`--json`: exactly one JSON object) on stdout; a failure
//! exits non-zero with a one-line reason on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use replybubble_core::{Mode, Plan};

use crate::admin::{self, Output};
use crate::service::Services;
use crate::startup::{Application, Config};
use crate::store::Role;

/// Verified-identity live chat in one binary and one SQLite file.
#[derive(Debug, Parser)]
#[command(name = "replybubble", version, about)]
pub struct Cli {
    /// The database: a SQLite file (created on first use) or a postgres://user:pass@host:port/db
    /// URL (the master key then comes from REPLYBUBBLE_MASTER_KEY or REPLYBUBBLE_MASTER_KEY_FILE).
    #[arg(
        long,
        global = true,
        env = "REPLYBUBBLE_DB",
        default_value = "replybubble.db"
    )]
    pub db: PathBuf,
    /// Print exactly one JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server: widget API, dashboard, widget assets.
    Serve(ServeArgs),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCmd),
    /// Manage dashboard logins.
    #[command(subcommand)]
    Agent(AgentCmd),
    /// Configure user verification (Pro and Enterprise).
    #[command(subcommand)]
    Verification(VerificationCmd),
    /// Answer data-subject requests: export or delete what is kept about a contact.
    #[command(subcommand)]
    Contact(ContactCmd),
    /// Copy the database to OUT while the server runs (SQLite's online backup); never
    /// overwrites OUT.
    Backup {
        /// The new file to write.
        out: PathBuf,
    },
    /// Copy this SQLite database (--db FILE) into an empty PostgreSQL database, ids kept; stop
    /// the server first. Needs REPLYBUBBLE_MASTER_KEY set to the key of FILE.key.
    MigrateTo {
        /// postgres://user:password@host:port/database
        url: String,
    },
    /// Print the signature of USER_ID, as your server should compute it.
    Sign {
        /// The environment variable that holds the secret.
        #[arg(long)]
        secret_env: String,
        /// The user id to sign, exactly as you will send it.
        user_id: String,
    },
    /// Check a signature and name the likely mistake when it is invalid.
    Verify {
        /// The environment variable that holds the secret.
        #[arg(long)]
        secret_env: String,
        /// The signature to check.
        #[arg(long)]
        signature: String,
        /// The email sent with it, to recognise an email that was signed instead of the id.
        #[arg(long)]
        email: Option<String>,
        /// The user id the signature is for.
        user_id: String,
    },
}

/// `serve` flags.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "REPLYBUBBLE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// The URL the server is reached at (for snippets and printed links).
    #[arg(long, env = "REPLYBUBBLE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seed a demo workspace and owner login on first start, and serve the demo site.
    #[arg(long)]
    pub demo: bool,
    /// Rate limits on widget endpoints and dashboard login.
    #[arg(long, env = "REPLYBUBBLE_RATE_LIMITS", default_value = "on")]
    pub rate_limits: OnOff,
    /// A reverse proxy (address or CIDR range) whose X-Forwarded-For names the client; repeat
    /// for more.
    #[arg(
        long = "trusted-proxy",
        env = "REPLYBUBBLE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = crate::http::client::parse_trusted
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Serve Prometheus metrics at GET /metrics on this address (a listener of its own).
    #[arg(long, env = "REPLYBUBBLE_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// Email agents' replies to verified visitors who left (smtp://HOST:PORT,
    /// smtp://HOST:PORT?tls=required, smtps://HOST:PORT; USER:PASSWORD@ for a login).
    #[arg(long, env = "REPLYBUBBLE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender address of those emails (default: replybubble@ the public URL's host).
    #[arg(long, env = "REPLYBUBBLE_SMTP_FROM", requires = "smtp_url")]
    pub smtp_from: Option<String>,
}

/// on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// `workspace` subcommands.
#[derive(Debug, Subcommand)]
pub enum WorkspaceCmd {
    /// Create a workspace and print its app id.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// free, pro or enterprise.
        #[arg(long, default_value = "free", value_parser = parse_plan)]
        plan: Plan,
        /// An origin allowed to load the widget (repeat for more; none means any).
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
    /// List workspaces.
    List,
    /// Delete conversations idle longer than DAYS (checked hourly), or `off` to keep them.
    SetRetention {
        /// The workspace.
        app_id: String,
        /// Days (1 or more), or off.
        #[arg(value_parser = parse_retention)]
        days: Retention,
    },
    /// Change how a workspace's widget looks and speaks (only the options given change; an
    /// empty --title, --subtitle or --launcher-label goes back to the language's).
    SetAppearance {
        /// The workspace.
        app_id: String,
        /// The launcher's and header's colour, #rrggbb or #rgb.
        #[arg(long)]
        color: Option<String>,
        /// left or right.
        #[arg(long)]
        position: Option<String>,
        /// Pixels from the side edge (0-400).
        #[arg(long, allow_hyphen_values = true)]
        offset_x: Option<String>,
        /// Pixels from the bottom edge (0-400).
        #[arg(long, allow_hyphen_values = true)]
        offset_y: Option<String>,
        /// The widget's CSS z-index (0-2147483647).
        #[arg(long, allow_hyphen_values = true)]
        z_index: Option<String>,
        /// The panel's title (at most 60 characters).
        #[arg(long)]
        title: Option<String>,
        /// The line under the title (at most 120 characters).
        #[arg(long)]
        subtitle: Option<String>,
        /// The launcher's accessible label (at most 60 characters).
        #[arg(long)]
        launcher_label: Option<String>,
        /// auto (the visitor's browser language), en, de, fr or es.
        #[arg(long)]
        locale: Option<String>,
    },
    /// Set business hours in a time zone (days not given are closed), or --always-open; and
    /// whether the launcher hides while nobody can answer.
    SetHours {
        /// The workspace.
        app_id: String,
        /// The hours' IANA time zone, e.g. Europe/Berlin.
        #[arg(long)]
        time_zone: Option<String>,
        /// A day's hours: mon=09:00-17:00 (repeat per day; mon tue wed thu fri sat sun).
        #[arg(long = "day", value_name = "DAY=HH:MM-HH:MM")]
        days: Vec<String>,
        /// No hours: open whenever an agent is online.
        #[arg(long, conflicts_with_all = ["time_zone", "days"])]
        always_open: bool,
        /// Hide the launcher while nobody can answer (alone: on; or on/off).
        #[arg(long, num_args = 0..=1, default_missing_value = "on")]
        hide_when_offline: Option<OnOff>,
    },
    /// Change a workspace's plan.
    SetPlan {
        /// The workspace.
        app_id: String,
        /// free, pro or enterprise.
        #[arg(value_parser = parse_plan)]
        plan: Plan,
    },
}

/// `contact` subcommands.
#[derive(Debug, Subcommand)]
pub enum ContactCmd {
    /// Print one JSON document: the contact, its conversations and messages, its identify calls.
    Export {
        /// The workspace.
        app_id: String,
        /// The user id (as your site sends it to identify()).
        #[arg(long)]
        user_id: String,
    },
    /// Delete the contact, its conversations, messages, sessions and identify calls; print what
    /// was deleted.
    Delete {
        /// The workspace.
        app_id: String,
        /// The user id (as your site sends it to identify()).
        #[arg(long)]
        user_id: String,
    },
}

/// `agent` subcommands.
#[derive(Debug, Subcommand)]
pub enum AgentCmd {
    /// Create a dashboard login; the password is read from the first line of stdin.
    Create {
        /// The workspace's app id.
        #[arg(long)]
        workspace: String,
        /// Login email.
        #[arg(long)]
        email: String,
        /// owner or agent.
        #[arg(long, default_value = "agent", value_parser = parse_role)]
        role: Role,
        /// Read the password from stdin (required: passwords never go in arguments).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// `verification` subcommands.
#[derive(Debug, Subcommand)]
pub enum VerificationCmd {
    /// Set the mode: off, optional or required.
    Mode {
        /// The workspace.
        app_id: String,
        /// off, optional or required.
        #[arg(value_parser = parse_mode)]
        mode: Mode,
    },
    /// Generate the first secret and print it, once.
    GenerateSecret {
        /// The workspace.
        app_id: String,
    },
    /// Replace the secret (the old one stops working at once) and print the new one, once.
    RegenerateSecret {
        /// The workspace.
        app_id: String,
    },
    /// Whether the email fallback writes to the email a verified contact's browser sent (only
    /// the user id is signed): on or off (default off).
    TrustUnsignedEmail {
        /// The workspace.
        app_id: String,
        /// on or off.
        trust: OnOff,
    },
}

fn parse_plan(s: &str) -> Result<Plan, String> {
    s.parse()
        .map_err(|e: replybubble_core::decision::UnknownName| e.to_string())
}

/// A retention: days, or off.
#[derive(Debug, Clone, Copy)]
pub struct Retention(pub Option<u32>);

fn parse_retention(s: &str) -> Result<Retention, String> {
    match s {
        "off" => Ok(Retention(None)),
        _ => match s.parse::<u32>() {
            Ok(d) if d >= 1 => Ok(Retention(Some(d))),
            _ => Err(format!("{s:?} is not a number of days (1 or more) or off")),
        },
    }
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse()
        .map_err(|e: replybubble_core::decision::UnknownName| e.to_string())
}

/// Parses the arguments, runs the command and turns the result into an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // One line, as every other failure: clap's own text is several.
            let text = e.render().to_string();
            let line = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!(
                "replybubble: {} (see --help)",
                line.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(out) => {
            out.print(json);
            ExitCode::SUCCESS
        }
        Err(e) => {
            let line = e.to_string().replace('\n', " ");
            eprintln!("replybubble: {line}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Output> {
    let db = cli.db;
    match cli.command {
        Command::Serve(args) => {
            serve(args, db)?;
            Ok(Output::none())
        }
        Command::Workspace(WorkspaceCmd::Create {
            name,
            plan,
            origins,
        }) => on_store(&db, |s| async move {
            admin::workspace_create(&s, &name, plan, &origins).await
        }),
        Command::Workspace(WorkspaceCmd::SetRetention { app_id, days }) => {
            on_store(&db, |s| async move {
                admin::workspace_set_retention(&s, &app_id, days.0).await
            })
        }
        Command::Workspace(WorkspaceCmd::SetHours {
            app_id,
            time_zone,
            days,
            always_open,
            hide_when_offline,
        }) => on_store(&db, |s| async move {
            let hide = hide_when_offline.map(|h| h == OnOff::On);
            admin::workspace_set_hours(&s, &app_id, time_zone.as_deref(), &days, always_open, hide)
                .await
        }),
        Command::Workspace(WorkspaceCmd::SetAppearance {
            app_id,
            color,
            position,
            offset_x,
            offset_y,
            z_index,
            title,
            subtitle,
            launcher_label,
            locale,
        }) => on_store(&db, |s| async move {
            let given = [
                ("color", color),
                ("position", position),
                ("offset_x", offset_x),
                ("offset_y", offset_y),
                ("z_index", z_index),
                ("title", title),
                ("subtitle", subtitle),
                ("launcher_label", launcher_label),
                ("locale", locale),
            ];
            let changes: Vec<(&str, &str)> = given
                .iter()
                .filter_map(|(f, v)| v.as_deref().map(|v| (*f, v)))
                .collect();
            admin::workspace_set_appearance(&s, &app_id, &changes).await
        }),
        Command::Contact(ContactCmd::Export { app_id, user_id }) => on_store(&db, |s| async move {
            admin::contact_export(&s, &app_id, &user_id).await
        }),
        Command::Contact(ContactCmd::Delete { app_id, user_id }) => on_store(&db, |s| async move {
            admin::contact_delete(&s, &app_id, &user_id).await
        }),
        Command::Workspace(WorkspaceCmd::List) => {
            on_store(&db, |s| async move { admin::workspace_list(&s).await })
        }
        Command::Workspace(WorkspaceCmd::SetPlan { app_id, plan }) => {
            on_store(&db, |s| async move {
                admin::workspace_set_plan(&s, &app_id, plan).await
            })
        }
        Command::Agent(AgentCmd::Create {
            workspace,
            email,
            role,
            password_stdin: _,
        }) => {
            let password = admin::password_from_stdin()?;
            on_store(&db, |s| async move {
                admin::agent_create(&s, &workspace, &email, role, &password).await
            })
        }
        Command::Verification(VerificationCmd::Mode { app_id, mode }) => {
            on_store(&db, |s| async move {
                admin::verification_mode(&s, &app_id, mode).await
            })
        }
        Command::Verification(VerificationCmd::GenerateSecret { app_id }) => {
            on_store(&db, |s| async move {
                admin::verification_secret(&s, &app_id, false).await
            })
        }
        // The fix for a lost master key, so it opens the database without the key check.
        Command::Verification(VerificationCmd::RegenerateSecret { app_id }) => {
            actix_web::rt::System::new().block_on(async move {
                let s = Services::open_to_replace_a_secret(&db).await?;
                admin::verification_secret(&s, &app_id, true).await
            })
        }
        Command::Verification(VerificationCmd::TrustUnsignedEmail { app_id, trust }) => {
            on_store(&db, |s| async move {
                admin::verification_email_trust(&s, &app_id, trust == OnOff::On).await
            })
        }
        Command::Backup { out } => admin::backup(&db, &out),
        Command::MigrateTo { url } => {
            actix_web::rt::System::new().block_on(async move { admin::migrate_to(&db, &url).await })
        }
        Command::Sign {
            secret_env,
            user_id,
        } => admin::sign(&secret_env, &user_id),
        Command::Verify {
            secret_env,
            signature,
            email,
            user_id,
        } => admin::verify(&secret_env, &signature, &user_id, email.as_deref()),
    }
}

/// Opens the store `--db` names (migrating it) and runs an admin command on it.
fn on_store<F, Fut>(db: &std::path::Path, command: F) -> anyhow::Result<Output>
where
    F: FnOnce(Services) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Output>>,
{
    actix_web::rt::System::new().block_on(async move { command(Services::open(db).await?).await })
}

/// `replybubble serve`: builds the [`Config`] from the flags, starts the server and prints where
/// it is (and the demo's login).
fn serve(args: ServeArgs, db: PathBuf) -> anyhow::Result<()> {
    crate::telemetry::init();
    // The email fallback's sender: --smtp-from, else replybubble@ the public URL's host name.
    let smtp = args.smtp_url.clone().map(|url| {
        let from = args.smtp_from.unwrap_or_else(|| {
            let host = args
                .public_url
                .as_deref()
                .and_then(|u| u.split("://").nth(1))
                .and_then(|rest| rest.split(['/', ':']).next())
                .filter(|h| h.contains('.') && !h.chars().all(|c| c.is_ascii_digit() || c == '.'))
                .unwrap_or("localhost");
            format!("replybubble@{host}")
        });
        crate::startup::Smtp { url, from }
    });
    let config = Config {
        addr: args.addr,
        db,
        public_url: args.public_url,
        demo: args.demo,
        rate_limits: args.rate_limits == OnOff::On,
        workers: 0,
        trusted_proxies: args.trusted_proxies,
        metrics_addr: args.metrics_addr,
        stream_safety_poll: std::time::Duration::from_secs(crate::policy::STREAM_SAFETY_POLL_SECS),
        smtp,
        email_poll: std::time::Duration::from_secs(crate::policy::EMAIL_POLL_SECS),
        body_timeout: std::time::Duration::from_secs(crate::policy::BODY_READ_SECS),
    };
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config.clone()).await?;
        let state = app.state();
        let metrics_port = app.metrics_port();
        tracing::info!(url = %state.public_url, db = %crate::store::describe(&config.db), "replybubble is listening");
        println!("ReplyBubble is running at {}", state.public_url);
        println!("  dashboard: {}/dashboard", state.public_url);
        if let (Some(port), Some(addr)) = (metrics_port, &config.metrics_addr) {
            let host = addr.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
            println!("  metrics:   http://{host}:{port}/metrics");
        }
        if let Some(demo) = &state.demo {
            println!("  demo site: {}/demo", state.public_url);
            println!("  login:     {} / {}", demo.email, demo.password);
            println!("  app id:    {}", demo.app_id);
        }
        app.run_until_stopped().await?;
        Ok(())
    })
}
