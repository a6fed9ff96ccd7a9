//! Benchmark 2, burst ingest (engine part): the demo server sends N notifications as fast
//! as it can; the engine parses, de-duplicates and stores them. Each side runs in a child
//! process of its own (so its peak memory is its own) against a fresh demo server: the
//! engine, then a bare tokio-tungstenite reader that only parses the frames.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use aviso_demo::EmitSpec;
use aviso_engine::EngineEvent;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::harness;
use crate::measure::{epoch_ns, mib, self_hwm_kib};
use crate::report::Row;

const BENCH: &str = "2 burst ingest";
pub const TOKEN_VAR: &str = "AVISO_BENCH_TOKEN";
/// How long a side may take for one burst; a slower side is reported with what it did.
const LIMIT_SECS: u64 = 120;

/// What a child reports (one JSON line on stdout).
struct Outcome {
    last_ns: u64,
    received: u64,
    stored: u64,
    hwm_before_kib: u64,
    hwm_after_kib: u64,
}

/// The child side: `role` is `engine` or `bare`. Prints `ready` once connected, then one
/// JSON line when `n` notifications arrived (or the time ran out).
pub async fn child(role: &str, server: &str, n: usize) -> Result<()> {
    let token = std::env::var(TOKEN_VAR).context("no token")?;
    // The time a side gets; what arrived by then is what is reported.
    let limit = Duration::from_secs(LIMIT_SECS);
    let (received, stored, last_ns, hwm_before) = if role == "engine" {
        let dir = harness::scratch("bench-burst");
        let tokens = aviso_engine::credentials::Tokens {
            access: aviso_engine::Secret::new(token),
            refresh: None,
        };
        let (engine, mut events) =
            harness::engine(dir.path(), server, tokens, harness::SMARTSALES, 1)?;
        harness::wait_ready(&engine, &mut events, 20).await?;
        let hwm_before = self_hwm_kib();
        println!("ready");
        let mut received = 0u64;
        let mut last_ns = 0;
        let _ = tokio::time::timeout(limit, async {
            while let Some(e) = events.recv().await {
                if matches!(e, EngineEvent::Notification(_)) {
                    received += 1;
                    last_ns = epoch_ns();
                    if received == n as u64 {
                        break;
                    }
                }
            }
        })
        .await;
        let stored = engine.store().total_count(None)?;
        engine.shutdown().await;
        (received, stored, last_ns, hwm_before)
    } else {
        let socket = harness::bare_connect(server, &token).await?;
        let hwm_before = self_hwm_kib();
        println!("ready");
        let mut received = 0u64;
        let _ = tokio::time::timeout(
            limit,
            harness::bare_read(socket, |frame| {
                if frame.get("id").is_some() {
                    received += 1;
                }
                received < n as u64
            }),
        )
        .await;
        (received, 0, epoch_ns(), hwm_before)
    };
    println!(
        "{}",
        serde_json::json!({
            "last_ns": last_ns,
            "received": received,
            "stored": stored,
            "hwm_before_kib": hwm_before,
            "hwm_after_kib": self_hwm_kib(),
        })
    );
    Ok(())
}

/// One side: a fresh demo server, the child connected, the burst, the child's report.
/// Returns the outcome and the send start.
async fn side(role: &str, n: usize) -> Result<(Outcome, u64)> {
    let demo = harness::demo().await?;
    let url = demo.http_url();
    let token = harness::tokens(&url).await?.access.expose().to_owned();
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--role",
            &format!("burst-{role}"),
            "--server",
            &url,
            "--n",
            &n.to_string(),
        ])
        .env(TOKEN_VAR, &token)
        .env("AVISO_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await??;
    anyhow::ensure!(
        ready.as_deref() == Some("ready"),
        "{role} child did not start"
    );
    let start_ns = epoch_ns();
    demo.control().emit(n, &EmitSpec::default());
    let line = tokio::time::timeout(Duration::from_secs(LIMIT_SECS + 30), lines.next_line())
        .await??
        .context("child gave no report")?;
    let _ = child.wait().await;
    let v: serde_json::Value = serde_json::from_str(&line)?;
    let u = |k: &str| v[k].as_u64().unwrap_or(0);
    drop(demo);
    Ok((
        Outcome {
            last_ns: u("last_ns"),
            received: u("received"),
            stored: u("stored"),
            hwm_before_kib: u("hwm_before_kib"),
            hwm_after_kib: u("hwm_after_kib"),
        },
        start_ns,
    ))
}

pub async fn run(sizes: &[usize]) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for &n in sizes {
        let (aviso, a_start) = side("engine", n).await?;
        let (bare, b_start) = side("bare", n).await?;
        anyhow::ensure!(
            bare.received == n as u64,
            "bare reader got {} of {n}",
            bare.received
        );
        // What arrived over the time it took (all N, or what came within the limit).
        let rate = |o: &Outcome, start: u64| {
            o.received as f64 / (o.last_ns.saturating_sub(start).max(1) as f64 / 1e9)
        };
        let complete = aviso.received == n as u64;
        let unstored = n as u64 - aviso.stored.min(n as u64);
        let (ra, rb) = (rate(&aviso, a_start), rate(&bare, b_start));
        let bench = format!("{BENCH} {n}");
        out.push(
            Row::new(
                &bench,
                "send start → stored (notif/s)",
                format!("{ra:.0}{}", if complete { "" } else { " (incomplete)" }),
            )
            .baseline(format!("{rb:.0} (parse only)"), format!("×{:.2}", ra / rb))
            .target("≥ 50,000/s", ra >= 50_000.0),
        );
        out.push(
            Row::new(
                &bench,
                &format!("stored / events / not stored within {LIMIT_SECS} s"),
                format!("{} / {} / {unstored}", aviso.stored, aviso.received),
            )
            .target("all stored", unstored == 0),
        );
        out.push(
            Row::new(
                &bench,
                "peak RSS of the process (MiB)",
                format!("{:.1}", mib(aviso.hwm_after_kib)),
            )
            .baseline(
                format!("{:.1}", mib(bare.hwm_after_kib)),
                format!(
                    "{:+.1} MiB",
                    mib(aviso.hwm_after_kib) - mib(bare.hwm_after_kib)
                ),
            ),
        );
        out.push(
            Row::new(
                &bench,
                "peak RSS growth during the burst (MiB)",
                format!(
                    "{:.1}",
                    mib(aviso.hwm_after_kib.saturating_sub(aviso.hwm_before_kib))
                ),
            )
            .baseline(
                format!(
                    "{:.1}",
                    mib(bare.hwm_after_kib.saturating_sub(bare.hwm_before_kib))
                ),
                "—".into(),
            ),
        );
    }
    Ok(out)
}
