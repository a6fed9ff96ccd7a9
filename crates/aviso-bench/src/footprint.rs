//! Benchmark 3, footprint (headless part): `aviso-cli watch` connected and idle, against a
//! bare tokio-tungstenite reader in a process of its own on the same server, measured over
//! the same window: PSS and RSS of each process tree (`/proc/PID/smaps_rollup`), CPU time
//! and context switches (wake-ups) from `/proc`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::burst::TOKEN_VAR;
use crate::harness;
use crate::measure::{activity, clock_ticks, memory_kib, mib};
use crate::report::Row;

const BENCH: &str = "3 footprint (idle)";

/// The child side of the baseline: connect, say `ready`, read until the socket closes.
pub async fn bare_idle(server: &str) -> Result<()> {
    let token = std::env::var(TOKEN_VAR).context("no token")?;
    let mut socket = harness::bare_connect(server, &token).await?;
    println!("ready");
    while let Some(msg) = socket.next().await {
        msg?;
    }
    Ok(())
}

pub async fn run(window: Duration, cli: Option<&Path>) -> Result<Vec<Row>> {
    let Some(cli) = cli else {
        return Ok(vec![Row::new(
            BENCH,
            "aviso-cli watch",
            "skipped: no aviso-cli binary".into(),
        )]);
    };
    let demo = harness::demo().await?;
    let url = demo.http_url();
    let token = harness::tokens(&url).await?.access.expose().to_owned();
    let dir = harness::scratch("bench-footprint");
    let (mut aviso, _lines) = crate::latency::spawn_cli(cli, &url, &token, dir.path()).await?;
    let mut bare = Command::new(std::env::current_exe()?)
        .args(["--role", "bare-idle", "--server", &url])
        .env(TOKEN_VAR, &token)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut bare_lines = BufReader::new(bare.stdout.take().context("no stdout")?).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), bare_lines.next_line()).await??;
    anyhow::ensure!(
        ready.as_deref() == Some("ready"),
        "bare reader did not start"
    );
    let (a_pid, b_pid) = (
        aviso.id().context("aviso-cli exited")?,
        bare.id().context("bare reader exited")?,
    );
    // Let start-up work (catch-up, allocator growth) settle before measuring idle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ticks = clock_ticks();
    let (a0, b0) = (activity(a_pid, ticks), activity(b_pid, ticks));
    tokio::time::sleep(window).await;
    let (a1, b1) = (activity(a_pid, ticks), activity(b_pid, ticks));
    let (a_pss, a_rss) = memory_kib(a_pid);
    let (b_pss, b_rss) = memory_kib(b_pid);
    let _ = aviso.kill().await;
    let _ = bare.kill().await;
    drop(demo);

    let secs = window.as_secs_f64();
    let (a_cpu, a_wake) = a0.until(&a1, secs);
    let (b_cpu, b_wake) = b0.until(&b1, secs);
    let mem_row = |metric: &str, a: u64, b: u64| {
        Row::new(
            BENCH,
            &format!("aviso-cli watch: {metric} (MiB)"),
            format!("{:.1}", mib(a)),
        )
        .baseline(
            format!("{:.1} (bare reader)", mib(b)),
            format!("{:+.1} MiB", mib(a) - mib(b)),
        )
    };
    Ok(vec![
        mem_row("PSS, process tree", a_pss, b_pss),
        mem_row("RSS, process tree", a_rss, b_rss),
        Row::new(
            BENCH,
            &format!("aviso-cli watch: CPU over {secs:.0} s idle (% of a core)"),
            format!("{a_cpu:.3}"),
        )
        .baseline(format!("{b_cpu:.3}"), format!("{:+.3} pp", a_cpu - b_cpu))
        .target("≤ 0.1 %", a_cpu <= 0.1),
        Row::new(
            BENCH,
            "aviso-cli watch: wake-ups (context switches/s)",
            format!("{a_wake:.2}"),
        )
        .baseline(format!("{b_wake:.2}"), format!("{:+.2}", a_wake - b_wake)),
        Row::new(
            BENCH,
            "reference: Gitify (Electron) idle RSS, published",
            "—".into(),
        )
        .baseline(
            "187–300 MB (published figure, not measured in this run)".into(),
            format!("aviso-cli RSS = {:.0} MiB", mib(a_rss)),
        ),
    ])
}
