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

/// Why a target was missed and what would fix it, for the closing note.
fn explain(row: &Row) -> Option<&'static str> {
    let b = row.bench.as_str();
    let m = row.metric.as_str();
    Some(if b.starts_with("7") && m.starts_with("search") {
        "Store scale, search: the newest matches are read from FTS5 in rowid order from both \
         ends (`store/search.rs`, `newest_matches`), so the cost is the number of matches read \
         before the newest are known, plus FTS5's own work for the query: for a one- or \
         two-letter prefix it merges the posting lists of every word with that prefix (~5 ms \
         for \"p\" over 100,000 here, once per end read). If a short prefix misses, a prefix \
         index (`prefix = '1 2'` on the FTS5 table: measured ~0.3 ms for \"p\", ~1.5 µs more \
         per notification stored) trades ingest for it; if rows stored in a mixed order make the \
         scan read on, compare the rows stored oldest first and newest first."
    } else if b.starts_with("7") {
        "Store scale, mark all read: `Store::mark_all_read` updates every unread row, maintains \
         the partial index of unread rows and returns every id (for the `read` event), so it \
         costs O(unread): ~2.6 ms per 1,000. A per-account read watermark (everything up to \
         (created_at, id) is read; later reads are individual rows), with a `read_all` event \
         instead of the id list, makes it O(1)."
    } else if b.contains("Django") {
        "Latency through Django + Redis: the engine and the bare reader sit on the same server \
         path (the seed's send_admin_notification: a SQLite row, then async_to_sync(group_send) \
         through Redis, then daphne), which dominates the absolute figures (~10 ms median, \
         tens of ms at p99 on 2 cores). A miss here means the engine's per-frame work met the \
         Python server's CPU use on a 2-core machine; compare with the demo-server rows."
    } else if b.starts_with("1") && m.contains("SSE") {
        "Latency over SSE: compare the engine over SSE with the bare SSE reader of the same run \
         (the transport's own cost is the bare SSE reader against the bare WebSocket one). The \
         engine's per-event work is the WebSocket path's plus storing the event id after the \
         batch (one more SQLite write per batch); a miss on 2 shared cores is worth a rerun \
         on a quiet machine before acting."
    } else if b.starts_with("1") && m.contains("aviso-cli") {
        "CLI latency is the engine's path plus one more process hop (a JSON line through a \
         pipe): on 2 cores shared with other work the extra p99 is mostly the scheduling of a \
         second process. Rerun on a quiet machine before acting; if it stays, profile the \
         CLI's print path (one stdout lock and flush per event)."
    } else if b.starts_with("1") {
        "Engine latency: the median is within a fraction of a ms of the bare reader; the tail \
         is where the engine's per-frame work (one SQLite transaction, then a COUNT(*) of the \
         unread rows for the `unread` event, before the notification event leaves) meets a \
         busy machine. Emitting the notification before the count, and keeping the count \
         incrementally, takes the count off the path; rerun on a quiet machine to see how \
         much of the tail is noise."
    } else if b.starts_with("2") && m.contains("notif/s") {
        "Burst ingest below 50,000/s: per frame the link runs its own SQLite transaction, \
         then `unread_count` (a COUNT(*) over the partial index of unread rows, O(unread)) \
         and two events. Fix in the engine (`link.rs`): ingest the frames already queued on \
         the socket as one batch (one transaction per wake-up) and emit one `unread` per \
         batch, with the count kept incrementally. Peak memory grows with the burst size \
         (+47 MiB at 10,000, +437 MiB at 100,000): not attributed yet; a heap profile of the \
         engine child (heaptrack) would tell where it queues."
    } else if b.starts_with("2") {
        "Burst, not all stored within the limit: a consequence of the O(N²) ingest above, not \
         a loss (the rest waits in the socket and arrives later; the 10,000 burst stores all). \
         Peak memory grows with the burst too; where it goes is not attributed yet (a heap \
         profile of the engine child, e.g. heaptrack, would tell)."
    } else if b.starts_with("3 footprint (desktop)") && m.starts_with("tray") && m.contains("PSS") {
        "Tray-resident PSS: the bare Tauri program with no window (same run, same \
         `GDK_GL=disable`) is the floor, ~46 MiB here: linking WebKitGTK alone maps \
         libwebkit2gtk (~11 MiB of relocated data and symbol tables), JavaScriptCore, the \
         flite voices WebKit links for speech (~10 MiB of relocations) and GTK. On top of it \
         Aviso adds ~21 MiB, mostly its own binary (~17 MiB, of which ~13.6 MiB is code: the \
         kernel maps code 64 KiB around each page touched, so tokio, rustls, SQLite, zbus and \
         the engine's start-up paths leave most of the 20 MB text resident; clean file pages, \
         which the kernel can drop under pressure but PSS counts) and ~4 MiB of heap. See the \
         rows \"PSS anon / file-backed\" and \"largest mappings\": ~50 of the ~67 MiB are \
         file-backed. Already done: `GDK_GL=disable` keeps GTK from loading Mesa and libLLVM \
         at start (-31 MiB: 90–98 MiB before it). What would reach 60 MiB: the panel in a process \
         of its own started on demand (`aviso --panel`, talking to the tray process over a \
         local socket), so the tray process links no WebKit/JSC/flite (~-28 MiB, to ~40 MiB); \
         smaller code (opt-level \"s\" for the desktop-only crates) would only shave a few MiB."
    } else if b.starts_with("3 footprint (desktop)") && m.contains("PSS") {
        "Panel-open PSS: the bare Tauri window of the same run is the floor (~190 MiB: its own \
         process ~75, WebKit's network process ~27, web process ~88). Aviso's panel adds \
         ~+17 MiB in its own process (its binary and heap, as tray-resident) and ~+25 MiB in \
         the web process (JavaScriptCore and WebKit code a Svelte app with CSS exercises that \
         a static page does not, its JS heap and the Inter font), so it lands at 225–234 MiB, \
         around the 230 MiB target from run to run. Both processes also carry libLLVM \
         (~20 MiB each) because WebKit initialises EGL (Mesa's llvmpipe here) even when it \
         does not composite with GL; that is the floor's too. Already done: `GDK_GL=disable` \
         (285–293 MiB before it). Next steps, in order of effect: the panel \
         in its own process (the tray process then maps no WebKit at all), system fonts \
         instead of the bundled variable Inter, WebKit's cache model `DocumentViewer`."
    } else if b.starts_with("4 start-up (desktop)") {
        "Tray registration: GTK initialisation and libayatana's D-Bus registration run before \
         the item appears; creating the tray before the engine opens and catches up would \
         move it earlier."
    } else if b.starts_with("3 footprint (desktop)") && m.starts_with("panel open") {
        "Panel-open idle CPU: the bare Tauri window of the same run already uses ~0.07–0.10 % \
         of a core idle (its web process's main thread wakes a few times a minute for \
         ~3 ms: WebKit's own timers, and the UI process's memory-pressure monitor), so the \
         0.1 % target is at the floor. Aviso adds ~0.03–0.05 pp, all from threads of the \
         shell, none from the page: the engine's WAL checkpoint thread polls the WAL size \
         once a second (~8 ms/min; `store.rs`, could wait for commits instead), an idle \
         `blocking` executor thread (zbus) wakes twice a second (~5 ms/min), tokio's workers \
         ~4 ms/min. The page itself is idle: the panel used to burn ~3 % of a core and ~230 \
         wake-ups/s in its first minute, all of it WebKit's overlay scrollbar fading out \
         (60 fps for ~4 s, rendered through llvmpipe); it now has a styled scrollbar that \
         does not fade, with the pulsing status dot limited to a few pulses \
         and the clocks stopped while the panel is hidden."
    } else if b.starts_with("3") {
        "Idle CPU above target: heartbeat pings every 20 s and the 5 min safety poll should be \
         the only wake-ups; more means a timer ticks while idle (e.g. a periodic interval that \
         could be a deadline)."
    } else if b.starts_with("4") {
        "Start-up above target: catch-up over REST runs before the WebSocket is trusted; \
         opening the socket and the catch-up concurrently would cut one round trip."
    } else if b.starts_with("5") {
        "Herd: a first accept before the minimum means some session retried without the floor; \
         a last accept beyond twice the cap means retries that hit the port while the server \
         was still stopping (see how long the stop took) failed and drew from the doubled \
         ceiling, or queued behind the accept loop; a loss means a catch-up after the \
         reconnect did not run for some session."
    } else if b.starts_with("6") {
        "Polling: an idle poll should be one conditional list request answered 304; more \
         requests mean the unread count is fetched on every cycle, which the 304 already \
         answers."
    } else {
        return None;
    })
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
        let mut seen = Vec::new();
        for r in &missed {
            md.push_str(&format!(
                "- {} — {}: {} (target {})\n",
                r.bench, r.metric, r.aviso, r.target
            ));
            if let Some(why) = explain(r) {
                if !seen.contains(&why) {
                    seen.push(why);
                }
            }
        }
        md.push('\n');
        for why in seen {
            md.push_str(&format!("- {why}\n"));
        }
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
2. **Burst ingest** — a fresh demo server stores and sends N notifications in one go; a child \
process with an engine counts `Notification` events until all N arrived and checks the store holds \
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
`crates/aviso-engine/tests/support/seed_servers.rs`. `POST /__test/smartsales/timed/` makes the server \
send N notifications at a steady rate from a thread, each through the seed's own \
`send_admin_notification` with `datos.t_ns` stamped just before that call, so the server's whole send \
path (row, Redis, daphne) is inside every figure, the same for both sides. A bare tokio-tungstenite \
reader joins first, then an in-process engine (`smartsales` preset); both note when they see each \
event. The rate is low (25/s) because the seed's send path takes ~22 ms per notification here.
";
