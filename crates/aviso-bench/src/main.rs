//! `aviso-bench`: Aviso's benchmarks on loopback, each against a baseline measured in the
//! same run (a bare tokio-tungstenite reader, a smaller store, an unconditional poller).
//! `scripts/bench` builds it in release, runs it and rewrites `BENCHMARKS.md`; `--smoke`
//! runs every benchmark at tiny sizes and checks only that each produces numbers.
//!
//! # Layout
//!
//! - [`report`]: the result rows, the table, the machine description.
//! - [`measure`]: percentiles and `/proc` readings.
//! - [`harness`]: demo server, tokens, engines, the bare reader.
//! - one module per benchmark: [`latency`] (1) and [`latency_django`] (1, through the real
//!   Django + Redis server), [`burst`] (2), [`footprint`] (3), [`startup`] (4), [`herd`] (5),
//!   [`polling`] (6), [`store_scale`] (7), and [`desktop`] (the desktop app's parts of 3 and
//!   4, against a bare Tauri window) with [`desktop_panel`] (the panel during a burst, driven
//!   through [`webdriver`]).

mod burst;
mod desktop;
mod desktop_panel;
mod footprint;
mod harness;
mod herd;
mod latency;
mod latency_django;
mod measure;
mod polling;
mod report;
mod startup;
mod store_scale;
mod webdriver;
mod windows;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use report::Row;

/// The sizes of one run.
struct Sizes {
    store: usize,
    latency_events: usize,
    latency_rate: f64,
    django_events: usize,
    django_rate: f64,
    bursts: Vec<usize>,
    herd: usize,
    poll_cycles: usize,
    startup_repeats: usize,
    idle_window: Duration,
    panel: desktop_panel::Sizes,
    /// How long one benchmark may take before it counts as hung (and fails, saying where).
    limit: Duration,
}

impl Sizes {
    /// What the issue asks for.
    fn full() -> Sizes {
        Sizes {
            store: 100_000,
            latency_events: 2_000,
            latency_rate: 500.0,
            django_events: 2_000,
            // The seed's send path (a row, then async_to_sync(group_send)) takes ~22 ms per
            // notification here, so the server cannot send much more than ~45/s.
            django_rate: 25.0,
            bursts: vec![10_000, 100_000],
            herd: 1_000,
            poll_cycles: 25,
            startup_repeats: 7,
            idle_window: Duration::from_secs(60),
            panel: desktop_panel::Sizes {
                prefill: 1_000,
                scroll_steps: 20,
            },
            limit: Duration::from_secs(45 * 60),
        }
    }

    /// Just enough for each benchmark to run through (CI): no figure of it means anything.
    fn smoke() -> Sizes {
        Sizes {
            store: 2_000,
            latency_events: 50,
            latency_rate: 200.0,
            django_events: 30,
            django_rate: 25.0,
            bursts: vec![300],
            herd: 20,
            poll_cycles: 5,
            startup_repeats: 2,
            idle_window: Duration::from_secs(1),
            panel: desktop_panel::Sizes {
                prefill: 60,
                scroll_steps: 3,
            },
            limit: Duration::from_secs(5 * 60),
        }
    }
}

const ALL: [&str; 10] = [
    "store",
    "latency",
    "django",
    "burst",
    "herd",
    "polling",
    "startup",
    "footprint",
    "desktop",
    "windows",
];

#[derive(Default)]
struct Args {
    smoke: bool,
    only: Option<Vec<String>>,
    cli: Option<PathBuf>,
    app: Option<PathBuf>,
    bare: Option<PathBuf>,
    windows: Option<PathBuf>,
    write: Option<PathBuf>,
    note: Option<String>,
    role: Option<String>,
    server: Option<String>,
    n: usize,
}

fn parse_args() -> Result<Args> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--smoke" => args.smoke = true,
            "--only" => args.only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--cli" => args.cli = Some(value()?.into()),
            "--app" => args.app = Some(value()?.into()),
            "--bare" => args.bare = Some(value()?.into()),
            "--windows" => args.windows = Some(value()?.into()),
            "--write" => args.write = Some(value()?.into()),
            "--note" => args.note = Some(value()?),
            "--role" => args.role = Some(value()?),
            "--server" => args.server = Some(value()?),
            "--n" => args.n = value()?.parse()?,
            "-h" | "--help" => {
                println!(
                    "aviso-bench [--smoke] [--only {}] [--cli PATH] [--app PATH] [--bare PATH] [--windows TARGET_DIR] [--write BENCHMARKS.md] [--note TEXT]",
                    ALL.join(",")
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if let Some(only) = &args.only {
        if let Some(bad) = only.iter().find(|o| !ALL.contains(&o.as_str())) {
            bail!("unknown benchmark {bad}; known: {}", ALL.join(", "));
        }
    }
    Ok(args)
}

/// A binary of the workspace next to this one (same profile), unless given.
fn find_sibling(given: Option<PathBuf>, name: &str) -> Option<PathBuf> {
    given.or_else(|| {
        let exe = std::env::current_exe().ok()?;
        let path = exe.parent()?.join(name);
        path.is_file().then_some(path)
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    if let Some(role) = &args.role {
        let server = args.server.as_deref().context("--server is required")?;
        return match role.as_str() {
            "burst-engine" => burst::child("engine", server, args.n).await,
            "burst-bare" => burst::child("bare", server, args.n).await,
            "bare-idle" => footprint::bare_idle(server).await,
            other => bail!("unknown role {other}"),
        };
    }
    let sizes = if args.smoke {
        Sizes::smoke()
    } else {
        Sizes::full()
    };
    let cli = find_sibling(args.cli.clone(), "aviso-cli");
    let app = find_sibling(args.app.clone(), "aviso");
    let bare = find_sibling(args.bare.clone(), "examples/bare_window");
    // `scripts/windows`' target dir and its Wine runner (both beside this repository's root).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Not in the smoke pass: `scripts/test` runs scripts/windows beside it, so its build may
    // be half made (the smoke pass checks that each benchmark runs; this one only reads
    // what scripts/windows left and starts a .exe under Wine).
    let windows_build = (!args.smoke)
        .then(|| {
            windows::Build::find(
                &args
                    .windows
                    .clone()
                    .unwrap_or_else(|| root.join("target-win")),
                &root.join("scripts/lib/windows/wine-run"),
            )
        })
        .flatten();
    let selected = |name: &str| {
        args.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|x| x == name))
    };

    let mut rows: Vec<Row> = Vec::new();
    let mut failures = Vec::new();
    for name in ALL.iter().copied().filter(|n| selected(n)) {
        eprintln!("== {name}");
        let run = async {
            match name {
                "store" => store_scale::run(sizes.store),
                "latency" => {
                    latency::run(sizes.latency_events, sizes.latency_rate, cli.as_deref()).await
                }
                "django" => latency_django::run(sizes.django_events, sizes.django_rate).await,
                "burst" => burst::run(&sizes.bursts).await,
                "herd" => herd::run(sizes.herd).await,
                "polling" => polling::run(sizes.poll_cycles).await,
                "startup" => startup::run(sizes.startup_repeats, cli.as_deref()).await,
                "footprint" => footprint::run(sizes.idle_window, cli.as_deref()).await,
                "desktop" => {
                    desktop::run(
                        sizes.idle_window,
                        sizes.bursts[0],
                        app.as_deref(),
                        bare.as_deref(),
                        sizes.panel,
                    )
                    .await
                }
                "windows" => windows::run(sizes.startup_repeats, windows_build.as_ref()).await,
                _ => unreachable!("checked in parse_args"),
            }
        };
        // A hung benchmark fails with what it was waiting on (read while it still runs).
        let mut run = std::pin::pin!(run);
        let result = tokio::select! {
            result = &mut run => result,
            () = tokio::time::sleep(sizes.limit) => Err(anyhow::anyhow!(
                "did not finish within {} s; its processes then: {}",
                sizes.limit.as_secs(),
                measure::still_running()
            )),
        };
        match result {
            Ok(r) if r.is_empty() => failures.push(format!("{name}: no figures")),
            Ok(r) => {
                for row in &r {
                    if row.aviso.contains("NaN") || row.baseline.contains("NaN") {
                        failures.push(format!("{name}: {} is not a number", row.metric));
                    }
                }
                rows.extend(r);
            }
            Err(e) => {
                eprintln!("{name} failed: {e:#}");
                rows.push(Row::new(name, "FAILED", format!("{e:#}")));
                failures.push(format!("{name}: {e:#}"));
            }
        }
    }

    let table = report::table(&rows);
    println!("{table}");
    if let Some(path) = &args.write {
        std::fs::write(
            path,
            markdown(&table, &rows, args.note.as_deref(), cli.is_some()),
        )
        .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if !failures.is_empty() {
        bail!(
            "{} benchmark(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}

fn markdown(table: &str, rows: &[Row], note: Option<&str>, had_cli: bool) -> String {
    let mut md = String::from("# Benchmarks\n\n");
    md.push_str(&format!(
        "Written by `scripts/bench` on {}. Everything runs on loopback (127.0.0.1); every \
         comparison ran both sides in the same run, so read the deltas and ratios rather than \
         the absolute figures.\n\n",
        report::now_utc()
    ));
    md.push_str("## Machine\n\n");
    md.push_str(&report::machine());
    if let Some(note) = note {
        md.push_str(&format!("- note: {note}\n"));
    }
    if !had_cli {
        md.push_str("- `aviso-cli` was not found next to `aviso-bench`: its rows are skipped\n");
    }
    md.push_str("\n## Rerun\n\n```sh\nscripts/bench                 # release build, every benchmark, rewrites this file\nscripts/bench --only store,latency\ncargo run -q -p aviso-bench -- --smoke   # tiny sizes, no timing asserted (CI)\n```\n\n");
    md.push_str("## Results\n\n");
    md.push_str(table);
    let missed: Vec<&Row> = rows.iter().filter(|r| r.met == Some(false)).collect();
    md.push_str("\n## Missed targets\n\n");
    if missed.is_empty() {
        md.push_str("None in this run.\n");
    } else {
        for r in &missed {
            md.push_str(&format!(
                "- {} — {}: {} (target {})",
                r.bench, r.metric, r.aviso, r.target
            ));
            if r.baseline != "—" {
                md.push_str(&format!("; baseline of this run {}", r.baseline));
                if r.delta != "—" {
                    md.push_str(&format!(", Aviso {}", r.delta));
                }
            }
            md.push('\n');
        }
        md.push_str(
            "\nOnly this run's figures are here: where the cost goes is in the other rows of the \
             same benchmark above (floors, breakdowns, largest mappings); analyses of earlier \
             runs live in the issue notes, not in this file.\n",
        );
    }
    md.push_str(METHODS);
    md
}

const METHODS: &str = "
## What each benchmark does

1. **Delivery latency** — the embedded demo server sends events one at a time at a steady rate, each \
stamped with the wall clock as it is sent; an in-process engine (`Engine::open`, the `smartsales` \
preset), an `aviso-cli watch` process and a bare tokio-tungstenite reader are connected to the same \
server at once, and each notes when it sees the event (the engine's `Notification` event, the CLI's \
stdout line, the bare reader's parsed frame). Target: p99 at most 1 ms above the bare reader. In the same run a second engine on the `smartsales-sse` preset and a bare SSE reader (one reqwest streaming GET, `data:` lines parsed, nothing else) read the same events from the demo's event stream: the SSE engine against the bare SSE reader (same target), and both SSE readers against the bare WebSocket reader (what the transport itself costs).
2. **Burst ingest** — a fresh demo server stores and sends N notifications in one go, once the \
child's engine is live and the catch-up that follows its connection is done (sent earlier, the \
burst would come through that catch-up's REST pages on some runs and over the socket on others); a \
child process with an engine counts `Notification` events until all N arrived and checks the store holds \
N; then the same with a child that only reads and parses the frames. Rate = N / (send start → last \
event). Peak memory is each child's `VmHWM`.
3. **Footprint** — `aviso-cli watch` connected and idle, and a bare reader process on the same \
server, over the same window: PSS and RSS summed over each process tree from \
`/proc/PID/smaps_rollup`, CPU (each thread's time on a CPU, `schedstat`) and context switches of \
every thread.
4. **Start-up** — a new engine on an empty data directory until its session is live (after the \
REST catch-up), and a new `aviso-cli watch` process until it prints its `live` line, against a bare \
WebSocket handshake. The page cache is warm.
5. **Reconnect herd** — N accounts in one engine (N WebSockets); the demo server is killed, 3 \
notifications are stored while it is down, and it is restarted on the same port at once. Reconnect \
time is from the kill to each session's `live`; the accept rate is sampled from the server's \
counter every 50 ms. The backoff is shortened through a profile override (`[reconnect]`).
6. **Polling cost** — an engine on the polling transport (`transport = \"polling\"`), nothing new on \
the server, through a byte-counting TCP proxy; requests from the demo server's counters. Baseline: \
what seed 000's frontend does every 15 s (an unconditional GET of the list and of the unread count).
7. **Store scale** — a SQLite store of N notifications (ingested in batches of 1,000): unread \
count, mark all read (queued for the server, as the panel does) and the panel's first page of 50, \
against the same store with 1,000. Search: a second store of N varied notifications (the demo's \
seven kinds and six customers), queries as typed (the first letter, a name, two words, a word \
without its accent, an order number), the first 50 hits, against the same at 1,000; and the same \
queries on the store filled newest first, as a catch-up whose pages come newest first fills it.

3/4 (desktop). **The desktop app** — the release `aviso` binary inside the headless session of \
`scripts/lib/in-session` (Xvfb, dbus-run-session, dunst), with an account on a quiet demo server \
(token from `AVISO_TOKEN`) and `tests/desktop/sni-watcher.py` as the tray host: spawn → tray item \
registered; PSS/RSS of the process tree, CPU and wake-ups tray-resident; `aviso --toggle` until the \
panel's web process is up; the same figures with the panel open (measured from 8 s after its web \
process started, so the page load is not \"idle\"), PSS after closing it again, and the toasts dunst \
receives for a burst (the first burst size) while tray-resident. CPU is each thread's time on a CPU \
(`/proc/PID/task/TID/schedstat`, ns), wake-ups its context switches, summed thread by thread over the \
tree. **The floor**, measured in the same run right after the app and alone (PSS splits shared pages \
among the processes that map them): `examples/bare_window.rs`, a bare Tauri 2 program that shows a \
static page in a window of the panel's size, and the same with no window (the floor of a \
tray-resident app, which has no webview), both with the toolkit environment Aviso sets for itself \
(`GDK_GL=disable`), so the deltas are what Aviso adds.
2 (desktop panel). **The panel during a burst** — through WebDriver (`tauri-driver` + WebKitWebDriver, as \
`tests/desktop.rs`), the app tray-resident on a quiet demo server holding 1,000 notifications. Open: \
`aviso --toggle` until the panel's list is on screen: the panel marks the first animation frame that \
shows rows (`performance.mark(\"aviso:list-rendered\")`, `ui/src/components/FeedList.svelte`), and \
`performance.timeOrigin` + its time is compared with the wall clock of the toggle; with no burst (a \
second opening, the network process warm) and with a burst of the first burst size sent just before \
the toggle. Scroll: in the page, `scrollTop` moves one viewport at a time, 20 times; a step lasts until \
the row at the new position is in the DOM and one more frame has passed; quiet, and with another \
burst sent as the scrolling starts (the panel then receives it while it scrolls).
1 (Django + Redis). **Delivery latency through the real seed-000 server** — `tests/servers/django` \
under daphne with its Redis channel layer, started by the fixtures of \
`crates/aviso-testkit/src/seed_servers.rs`. `POST /__test/smartsales/timed/` makes the server \
send N notifications at a steady rate from a thread, each through the seed's own \
`send_admin_notification` with `datos.t_ns` stamped just before that call, so the server's whole send \
path (row, Redis, daphne) is inside every figure, the same for both sides. A bare tokio-tungstenite \
reader joins first, then an in-process engine (`smartsales` preset); both note when they see each \
event. The rate is low (25/s) because the seed's send path takes ~22 ms per notification here.
";
