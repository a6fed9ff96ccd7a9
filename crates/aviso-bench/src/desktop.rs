//! Benchmarks 3 and 4, desktop part: the real `aviso` binary in the headless session
//! (`scripts/lib/in-session`: Xvfb, D-Bus, dunst) on a quiet demo server, with the test
//! suite's StatusNotifierWatcher as the tray host. Measured: spawn → tray item registered,
//! then PSS/RSS of the process tree, idle CPU and wake-ups tray-resident, with the panel
//! open (`aviso --toggle`) and after closing it again.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use aviso_demo::EmitSpec;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness;
use crate::measure::{clock_ticks, cpu_and_switches, memory_kib, mib, ms, tree_has};
use crate::report::Row;

const BENCH_FOOT: &str = "3 footprint (desktop)";
const BENCH_START: &str = "4 start-up (desktop)";
/// What a bare Tauri window costs on WebKitGTK here (PLATFORM.md; not measured by this run).
const FLOOR_SHOWN_MIB: f64 = 251.0;
const FLOOR_HIDDEN_MIB: f64 = 216.0;

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

struct Idle {
    pss: u64,
    rss: u64,
    cpu_pct: f64,
    wakeups: f64,
    webkit: bool,
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
    let (c0, s0) = cpu_and_switches(pid, ticks);
    tokio::time::sleep(window).await;
    let (c1, s1) = cpu_and_switches(pid, ticks);
    let (pss, rss) = memory_kib(pid);
    let secs = window.as_secs_f64();
    Idle {
        pss,
        rss,
        cpu_pct: (c1 - c0) / secs * 100.0,
        wakeups: (s1 - s0) as f64 / secs,
        webkit: tree_has(pid, "WebKit"),
    }
}

/// Polls `what` every 5 ms for at most `secs`; the time it took.
async fn until(secs: u64, what: &str, mut f: impl FnMut() -> bool) -> Result<Duration> {
    let t = Instant::now();
    while !f() {
        anyhow::ensure!(t.elapsed().as_secs() < secs, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(t.elapsed())
}

pub async fn run(window: Duration, burst: usize, app: Option<&Path>) -> Result<Vec<Row>> {
    if let Some(why) = missing(app) {
        return Ok(vec![Row::new(
            BENCH_FOOT,
            "desktop app",
            format!("skipped: {why}"),
        )]);
    }
    let app = app.context("checked")?;
    let root = tempfile::tempdir()?;
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
    command(&["--toggle"]).status().await?;
    let panel_ms = match until(20, "the panel's WebKit process", || tree_has(pid, "WebKit")).await {
        Ok(_) => Some(ms(t.elapsed())),
        Err(_) => None,
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let panel_idle = idle(pid, window).await;

    command(&["--toggle"]).status().await?;
    let _ = until(10, "the panel to close", || !tree_has(pid, "WebKit")).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (closed_pss, _) = memory_kib(pid);

    // A burst while tray-resident: how many toasts reach the notification daemon.
    let before = toasts();
    demo.control().emit(burst, &EmitSpec::default());
    tokio::time::sleep(Duration::from_secs(5)).await;
    let shown = before.zip(toasts()).map(|(b, a)| a.saturating_sub(b));
    let _ = aviso.kill().await;
    let _ = watcher.kill().await;
    drop(demo);

    let tray_ms = ms(tray);
    let pss_row = |metric: &str, i: &Idle, floor: f64, target: f64| {
        Row::new(BENCH_FOOT, metric, format!("{:.1}", mib(i.pss)))
            .baseline(
                format!("{floor:.0} (bare Tauri window, PLATFORM.md)"),
                format!("{:+.1} MiB", mib(i.pss) - floor),
            )
            .target(&format!("≤ {target:.0} MiB"), mib(i.pss) <= target)
    };
    let cpu_row = |what: &str, i: &Idle| {
        Row::new(
            BENCH_FOOT,
            &format!(
                "{what}: CPU over {:.0} s idle (% of a core) / wake-ups/s",
                window.as_secs_f64()
            ),
            format!("{:.3} / {:.2}", i.cpu_pct, i.wakeups),
        )
        .target("≤ 0.1 %", i.cpu_pct <= 0.1)
    };
    Ok(vec![
        Row::new(
            BENCH_START,
            "aviso: spawn → tray item registered (ms)",
            format!("{tray_ms:.0}"),
        )
        .target("≤ 1 s", tray_ms <= 1_000.0),
        pss_row(
            &format!(
                "tray-resident, panel closed: PSS, process tree (MiB){}",
                if tray_idle.webkit {
                    " [WebKit running]"
                } else {
                    ""
                }
            ),
            &tray_idle,
            FLOOR_HIDDEN_MIB,
            60.0,
        ),
        Row::new(
            BENCH_FOOT,
            "tray-resident: RSS, process tree (MiB)",
            format!("{:.1}", mib(tray_idle.rss)),
        )
        .baseline("187–300 MB (Gitify, published)".into(), "—".into()),
        cpu_row("tray-resident", &tray_idle),
        Row::new(
            BENCH_FOOT,
            "panel open: `aviso --toggle` → WebKit process up (ms)",
            panel_ms.map_or("did not open".into(), |m| format!("{m:.0}")),
        ),
        pss_row(
            "panel open: PSS, process tree (MiB)",
            &panel_idle,
            FLOOR_SHOWN_MIB,
            230.0,
        ),
        Row::new(
            BENCH_FOOT,
            "panel open: RSS, process tree (MiB)",
            format!("{:.1}", mib(panel_idle.rss)),
        ),
        cpu_row("panel open", &panel_idle),
        Row::new(
            "2 burst (desktop)",
            &format!("toasts shown for a burst of {burst}, tray-resident"),
            shown.map_or("dunstctl unavailable".into(), |n| n.to_string()),
        )
        .target("≤ 3", shown.is_some_and(|n| n <= 3)),
        Row::new(
            BENCH_FOOT,
            "panel closed again: PSS, process tree (MiB)",
            format!("{:.1}", mib(closed_pss)),
        )
        .baseline(
            format!("{:.1} (before opening)", mib(tray_idle.pss)),
            format!("{:+.1} MiB", mib(closed_pss) - mib(tray_idle.pss)),
        ),
    ])
}
