//! `cargo xtask bench` runs this after building the release server and the widget: it seeds a
//! real site's scale into a fresh database, starts `target/release/replybubble`, loads it with
//! wrk, times the dashboard's pages, measures the widget in headless Chromium as a visitor gets
//! it, and writes one table of figures beside their budgets to `BENCHMARKS.md`.
//!
//! Usage: `replybubble-bench --server PATH --out PATH [--quick] [--keep DIR] [--postgres URL]`
//! (`--quick`: a tenth of the data and shorter runs, to check the bench itself; `--keep`: the
//! database goes to DIR and stays there; `--postgres`: the throughput runs again with
//! `--db postgres://…` on a new database of that server).

mod browser;
mod load;
mod pages;
mod report;
mod seed;
mod server;
mod waits;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

/// What the command line asked for.
pub struct Args {
    /// The release `replybubble` binary.
    pub server: PathBuf,
    /// Where the report goes.
    pub out: PathBuf,
    /// A tenth of the data, short runs.
    pub quick: bool,
    /// Keep the database in this folder (to look into it afterwards).
    pub keep: Option<PathBuf>,
    /// A PostgreSQL server (`postgres://…/postgres`) to run the throughput runs on as well.
    pub postgres: Option<String>,
}

fn args() -> Result<Args> {
    let mut server = None;
    let mut out = None;
    let mut quick = false;
    let mut keep = None;
    let mut postgres = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--server" => server = it.next().map(PathBuf::from),
            "--out" => out = it.next().map(PathBuf::from),
            "--quick" => quick = true,
            "--keep" => keep = it.next().map(PathBuf::from),
            "--postgres" => postgres = it.next(),
            other => bail!(
                "unknown argument {other}: use --server PATH --out PATH [--quick] [--keep DIR] [--postgres URL]"
            ),
        }
    }
    Ok(Args {
        server: server.context("--server PATH (the release replybubble binary) is required")?,
        out: out.context("--out PATH (where BENCHMARKS.md goes) is required")?,
        quick,
        keep,
        postgres,
    })
}

fn main() -> std::process::ExitCode {
    match actix_rt::System::new().block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let args = args()?;
    let started = std::time::Instant::now();
    let temp = tempfile::tempdir()?;
    let dir = match &args.keep {
        Some(keep) => {
            std::fs::create_dir_all(keep)?;
            keep.clone()
        }
        None => temp.path().to_owned(),
    };
    let scale = if args.quick {
        seed::Scale::QUICK
    } else {
        seed::Scale::SITE
    };
    let site = server::Site::create(&args.server, &server::Site::sqlite_file(&dir))?;
    eprintln!("==> seeding {scale}");
    let seeded = seed::seed(&site.db, &site.app_id, &scale)?;
    eprintln!("    {:.1} s", started.elapsed().as_secs_f64());
    let running = server::Running::start(&args.server, &site.db)?;
    let mut report = report::Report::new(&scale);

    eprintln!(
        "==> dashboard pages (median of {} requests each)",
        pages::SAMPLES
    );
    pages::measure(&running, &seeded, &mut report).await?;

    eprintln!("==> throughput with wrk");
    load::measure(&running, &site, args.quick, "SQLite", &mut report).await?;

    eprintln!("==> the widget in Chromium");
    browser::measure(&running, &site, args.quick, &mut report).await?;
    drop(running);

    if let Some(admin) = &args.postgres {
        eprintln!("==> throughput with wrk, on PostgreSQL");
        let url = server::Site::postgres_database(admin).await?;
        let site = server::Site::create(&args.server, std::path::Path::new(&url))?;
        let running = server::Running::start(&args.server, &site.db)?;
        load::measure(&running, &site, args.quick, "PostgreSQL", &mut report).await?;
    }

    report.core_cpu = report::criterion_estimates();
    report.elapsed = started.elapsed();
    let text = report.render(&args);
    println!("{text}");
    std::fs::write(&args.out, &text).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}
