//! Benchmarks 3 and 4, desktop part: the real `aviso` binary in the headless session
//! (`scripts/lib/in-session`: Xvfb, D-Bus, dunst) on a quiet demo server, with the test
//! suite's StatusNotifierWatcher as the tray host. Measured: spawn → tray item registered,
//! then PSS/RSS of the process tree, idle CPU and wake-ups tray-resident, with the panel
//! open (`aviso --toggle`) and after closing it again, and the toasts of a burst.
//!
//! The floor, in the same run and one after the other (PSS splits shared pages between the
//! processes that map them, so two WebKit programs side by side would each look smaller):
//! `examples/bare_window.rs`, a bare Tauri 2 program, once without a window (the floor of a
//! tray-resident app, which has no webview) and once showing a static page in a window of the
//! panel's size. It gets the toolkit environment Aviso sets for itself (`GDK_GL=disable`,
//! `src-tauri/lib.rs`), so the deltas are what Aviso adds.
//!
//! Then [`crate::desktop_panel`]: the panel opened and scrolled during a burst, through
//! WebDriver.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use aviso_demo::EmitSpec;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness;
use crate::measure::{
    activity, clock_ticks, memory_kib, mib, ms, pss_by_process, pss_split_kib, top_mappings_kib,
    tree_has,
};
use crate::report::Row;

const BENCH_FOOT: &str = "3 footprint (desktop)";
const BENCH_START: &str = "4 start-up (desktop)";
/// What Aviso sets for itself before GTK starts (`src-tauri/lib.rs`, `toolkit_env`): the
/// floor runs with it too.
const TOOLKIT_ENV: [(&str, &str); 1] = [("GDK_GL", "disable")];
/// After the panel's (or the bare window's) web process is up: page load, first paint and
/// whatever the page does once, before "idle" starts.
const PANEL_SETTLE: Duration = Duration::from_secs(8);

fn watcher_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/desktop/sni-watcher.py")
}

/// Why the desktop part cannot run here, if it cannot.
fn missing(app: Option<&Path>) -> Option<String> {
    if app.is_none() {
        return Some("no aviso binary (cargo build --release -p aviso)".into());
    }
    for var in ["DISPLAY", "DBUS_SESSION_BUS_ADDRESS"] {
        if std::env::var_os(var).is_none() {
            return Some(format!(
                "no {var}: run inside scripts/lib/in-session (scripts/bench does)"
            ));
        }
    }
    if !Path::new("/usr/bin/python3").exists() || !watcher_script().exists() {
        return Some("no StatusNotifierWatcher (tests/desktop/sni-watcher.py)".into());
    }
    None
}

/// One idle window of a process tree.
struct Idle {
    pss: u64,
    rss: u64,
    cpu_pct: f64,
    wakeups: f64,
    webkit: bool,
    /// The root process's PSS split (anon, file, shmem), KiB.
    split: (u64, u64, u64),
    by_process: Vec<(String, u64)>,
    top: Vec<(String, u64)>,
}

/// Every notification dunst holds (waiting, shown, closed into its history).
fn toasts() -> Option<u64> {
    let mut total = 0;
    for what in ["waiting", "displayed", "history"] {
        let out = std::process::Command::new("dunstctl")
            .args(["count", what])
            .output()
            .ok()?;
        total += String::from_utf8(out.stdout)
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()?;
    }
    Some(total)
}

async fn idle(pid: u32, window: Duration) -> Idle {
    let ticks = clock_ticks();
    let before = activity(pid, ticks);
    tokio::time::sleep(window).await;
    let after = activity(pid, ticks);
    let (cpu_pct, wakeups) = before.until(&after, window.as_secs_f64());
    let (pss, rss) = memory_kib(pid);
    Idle {
        pss,
        rss,
        cpu_pct,
        wakeups,
        webkit: tree_has(pid, "WebKitWebProces"),
        split: pss_split_kib(pid),
        by_process: pss_by_process(pid),
        top: top_mappings_kib(pid, 6),
    }
}

/// `aviso --toggle` (a second instance that hands the toggle to the running one and exits),
/// bounded: a toggle that does not return within 30 s is an error, not a hung benchmark.
pub async fn toggle(mut command: Command) -> Result<()> {
    let status = tokio::time::timeout(Duration::from_secs(30), command.kill_on_drop(true).status())
        .await
        .context("`aviso --toggle` did not return within 30 s")??;
    anyhow::ensure!(status.success(), "`aviso --toggle` failed: {status}");
    Ok(())
}

/// Polls `what` every 5 ms for at most `secs`; the time it took.
pub async fn until(secs: u64, what: &str, mut f: impl FnMut() -> bool) -> Result<Duration> {
    let t = Instant::now();
    while !f() {
        anyhow::ensure!(t.elapsed().as_secs() < secs, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(t.elapsed())
}

/// The bare Tauri program, started with `args`, idle for `window` after it settled.
async fn floor(bare: &Path, args: &[&str], home: &Path, window: Duration) -> Result<Idle> {
    std::fs::create_dir_all(home)?;
    let mut child = Command::new(bare)
        .args(args)
        .envs(TOOLKIT_ENV)
        .env("HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bare.display()))?;
    let pid = child.id().context("the bare window exited")?;
    let shown = !args.contains(&"--no-window");
    if shown {
        until(20, "the bare window's WebKit process", || {
            tree_has(pid, "WebKitWebProces")
        })
        .await?;
        tokio::time::sleep(PANEL_SETTLE).await;
    } else {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let measured = idle(pid, window).await;
    let _ = child.kill().await;
    Ok(measured)
}

fn mib_list(items: &[(String, u64)]) -> String {
    items
        .iter()
        .map(|(name, kib)| format!("{name} {:.1}", mib(*kib)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn run(
    window: Duration,
    burst: usize,
    app: Option<&Path>,
    bare: Option<&Path>,
    panel: crate::desktop_panel::Sizes,
) -> Result<Vec<Row>> {
    if let Some(why) = missing(app) {
        return Ok(vec![Row::new(
            BENCH_FOOT,
            "desktop app",
            format!("skipped: {why}"),
        )]);
    }
    let app = app.context("checked")?;
    let root = harness::scratch("bench-desktop");
    let registered = root.path().join("sni-items.log");
    let mut watcher = Command::new("/usr/bin/python3")
        .arg(watcher_script())
        .arg(&registered)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(watcher.stdout.take().context("no stdout")?).lines();
    let ready = tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await??;
    anyhow::ensure!(
        ready.as_deref() == Some("READY"),
        "the tray host did not start"
    );

    // A quiet server (no generated events: idle means idle) with a page for the panel.
    let demo = harness::demo().await?;
    demo.control().emit(20, &EmitSpec::default());
    let url = demo.http_url();
    let token = harness::tokens(&url).await?.access.expose().to_owned();
    let config = root.path().join("config");
    std::fs::create_dir_all(&config)?;
    std::fs::create_dir_all(root.path().join("home"))?;
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[[accounts]]\nname = \"bench\"\nserver = \"{url}\"\nprofile = \"smartsales\"\nusername = \"admin\"\n"
        ),
    )?;
    let command = |args: &[&str]| {
        let mut c = Command::new(app);
        c.args(args)
            .env("AVISO_CONFIG_DIR", &config)
            .env("AVISO_DATA_DIR", root.path().join("data"))
            .env("HOME", root.path().join("home"))
            .env("AVISO_TOKEN", &token)
            .env("AVISO_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };

    let mut aviso: Child = command(&[]).kill_on_drop(true).spawn()?;
    let pid = aviso.id().context("aviso exited")?;
    let tray = until(20, "the tray item", || {
        std::fs::metadata(&registered).is_ok_and(|m| m.len() > 0)
    })
    .await?;
    // Catch-up, the summary toast, the allocator: let them settle.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tray_idle = idle(pid, window).await;

    let t = Instant::now();
    toggle(command(&["--toggle"])).await?;
    let panel_ms = match until(20, "the panel's WebKit process", || {
        tree_has(pid, "WebKitWebProces")
    })
    .await
    {
        Ok(_) => Some(ms(t.elapsed())),
        Err(_) => None,
    };
    tokio::time::sleep(PANEL_SETTLE).await;
    let panel_idle = idle(pid, window).await;

    toggle(command(&["--toggle"])).await?;
    let _ = until(10, "the panel to close", || {
        !tree_has(pid, "WebKitWebProces")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (closed_pss, _) = memory_kib(pid);
    let closed_by_process = pss_by_process(pid);

    // A burst while tray-resident: how many toasts reach the notification daemon, counted
    // once every notification of the burst is stored (so a burst the app never received
    // cannot pass as "few toasts") and its summary has had its time (the policy's 2 s
    // burst window, then its gather).
    let before = toasts();
    let stored_before = stored_count(&root.path().join("data/aviso.db"));
    demo.control().emit(burst, &EmitSpec::default());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stored = 0;
    while Instant::now() < deadline {
        stored = stored_count(&root.path().join("data/aviso.db")).saturating_sub(stored_before);
        if stored >= burst as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let shown = before
        .zip(toasts())
        .map(|(b, a)| a.saturating_sub(b))
        .filter(|_| stored >= burst as u64);
    let _ = aviso.kill().await;
    drop(demo);

    // The floor, one after the other, nothing else of ours running.
    let (floor_tray, floor_shown) = match bare {
        Some(bare) => {
            let home = root.path().join("bare-home");
            (
                Some(floor(bare, &["--no-window"], &home, window).await?),
                Some(floor(bare, &[], &home, window).await?),
            )
        }
        None => (None, None),
    };

    let mut rows = vec![Row::new(
        BENCH_START,
        "aviso: spawn → tray item registered (ms)",
        format!("{:.0}", ms(tray)),
    )
    .target("≤ 1 s", ms(tray) <= 1_000.0)];
    let floor_pss = |f: &Option<Idle>, what: &str, a: &Idle| match f {
        Some(f) => (
            format!("{:.1} ({what})", mib(f.pss)),
            format!("{:+.1} MiB", mib(a.pss) - mib(f.pss)),
        ),
        None => ("no bare_window binary".into(), "—".into()),
    };
    let floor_cpu = |f: &Option<Idle>, a: &Idle| match f {
        Some(f) => (
            format!("{:.3} / {:.2}", f.cpu_pct, f.wakeups),
            format!(
                "{:+.3} pp / {:+.2}",
                a.cpu_pct - f.cpu_pct,
                a.wakeups - f.wakeups
            ),
        ),
        None => ("—".into(), "—".into()),
    };
    let secs = window.as_secs_f64();
    let (base, delta) = floor_pss(&floor_tray, "bare Tauri, no window", &tray_idle);
    rows.push(
        Row::new(
            BENCH_FOOT,
            &format!(
                "tray-resident, panel closed: PSS, process tree (MiB){}",
                if tray_idle.webkit {
                    " [WebKit running]"
                } else {
                    ""
                }
            ),
            format!("{:.1}", mib(tray_idle.pss)),
        )
        .baseline(base, delta)
        .target("≤ 60 MiB", mib(tray_idle.pss) <= 60.0),
    );
    let (a, f, s) = tray_idle.split;
    rows.push(Row::new(
        BENCH_FOOT,
        "tray-resident: PSS anon / file-backed / shmem (MiB)",
        format!("{:.1} / {:.1} / {:.1}", mib(a), mib(f), mib(s)),
    ));
    rows.push(Row::new(
        BENCH_FOOT,
        "tray-resident: largest mappings (PSS MiB)",
        mib_list(&tray_idle.top),
    ));
    rows.push(
        Row::new(
            BENCH_FOOT,
            "tray-resident: RSS, process tree (MiB)",
            format!("{:.1}", mib(tray_idle.rss)),
        )
        .baseline(
            "187–300 MB (Gitify, published figure, not measured in this run)".into(),
            "—".into(),
        ),
    );
    let (base, delta) = floor_cpu(&floor_tray, &tray_idle);
    rows.push(
        Row::new(
            BENCH_FOOT,
            &format!("tray-resident: CPU over {secs:.0} s idle (% of a core) / wake-ups/s"),
            format!("{:.3} / {:.2}", tray_idle.cpu_pct, tray_idle.wakeups),
        )
        .baseline(base, delta)
        .target("≤ 0.1 %", tray_idle.cpu_pct <= 0.1),
    );
    rows.push(Row::new(
        BENCH_FOOT,
        "panel open: `aviso --toggle` → WebKit process up (ms)",
        panel_ms.map_or("did not open".into(), |m| format!("{m:.0}")),
    ));
    let (base, delta) = floor_pss(&floor_shown, "bare Tauri window", &panel_idle);
    rows.push(
        Row::new(
            BENCH_FOOT,
            "panel open: PSS, process tree (MiB)",
            format!("{:.1}", mib(panel_idle.pss)),
        )
        .baseline(base, delta)
        .target("≤ 230 MiB", mib(panel_idle.pss) <= 230.0),
    );
    rows.push(
        Row::new(
            BENCH_FOOT,
            "panel open: PSS by process (MiB)",
            mib_list(&panel_idle.by_process),
        )
        .baseline(
            floor_shown
                .as_ref()
                .map_or("—".into(), |f| mib_list(&f.by_process)),
            "—".into(),
        ),
    );
    rows.push(
        Row::new(
            BENCH_FOOT,
            "panel open: RSS, process tree (MiB)",
            format!("{:.1}", mib(panel_idle.rss)),
        )
        .baseline(
            floor_shown
                .as_ref()
                .map_or("—".into(), |f| format!("{:.1}", mib(f.rss))),
            floor_shown.as_ref().map_or("—".into(), |f| {
                format!("{:+.1} MiB", mib(panel_idle.rss) - mib(f.rss))
            }),
        ),
    );
    let (base, delta) = floor_cpu(&floor_shown, &panel_idle);
    rows.push(
        Row::new(
            BENCH_FOOT,
            &format!("panel open: CPU over {secs:.0} s idle (% of a core) / wake-ups/s"),
            format!("{:.3} / {:.2}", panel_idle.cpu_pct, panel_idle.wakeups),
        )
        .baseline(base, delta)
        .target("≤ 0.1 %", panel_idle.cpu_pct <= 0.1),
    );
    rows.push(
        Row::new(
            BENCH_FOOT,
            "panel closed again: PSS, process tree (MiB)",
            format!("{:.1}", mib(closed_pss)),
        )
        .baseline(
            format!("{:.1} (before opening)", mib(tray_idle.pss)),
            format!("{:+.1} MiB", mib(closed_pss) - mib(tray_idle.pss)),
        ),
    );
    rows.push(Row::new(
        BENCH_FOOT,
        "panel closed again: PSS by process (MiB)",
        mib_list(&closed_by_process),
    ));
    rows.push(
        Row::new(
            "2 burst (desktop)",
            &format!("toasts shown for a burst of {burst}, tray-resident"),
            shown.map_or_else(
                || {
                    if stored < burst as u64 {
                        format!("only {stored} of {burst} stored within 30 s")
                    } else {
                        "dunstctl unavailable".into()
                    }
                },
                |n| n.to_string(),
            ),
        )
        .target("1–3", shown.is_some_and(|n| (1..=3).contains(&n))),
    );

    rows.extend(crate::desktop_panel::run(app, root.path(), burst, panel).await?);
    let _ = watcher.kill().await;
    Ok(rows)
}

/// Notifications in the app's store (0 while it cannot be read).
fn stored_count(db: &std::path::Path) -> u64 {
    aviso_engine::store::Store::open(db)
        .and_then(|s| s.total_count(None))
        .unwrap_or(0)
}
