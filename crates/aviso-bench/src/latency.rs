//! Benchmark 1, delivery latency: the demo server stamps each event with the wall clock as
//! it sends it (`datos.t_ns`); the engine's notification event, the `aviso-cli watch`
//! stdout line and a bare tokio-tungstenite reader on the same server, in the same run,
//! each note when they see it. The same events also reach a second engine over SSE
//! (`smartsales-sse`) and a bare SSE reader, so both transports are compared in one run.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use aviso_demo::EmitSpec;
use aviso_engine::EngineEvent;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc::Receiver;
use tokio::task::JoinHandle;

use crate::harness;
use crate::measure::{epoch_ns, summarize, Summary};
use crate::report::Row;

const BENCH: &str = "1 delivery latency (demo)";

pub fn latency_ms(data: &serde_json::Value) -> Option<f64> {
    let sent = data.get("t_ns")?.as_u64()?;
    Some(epoch_ns().saturating_sub(sent) as f64 / 1e6)
}

/// `aviso-cli watch` on `server` with the token in the environment and fresh directories;
/// returns once it printed its `live` line, with its stdout lines still to read.
pub async fn spawn_cli(
    cli: &Path,
    server: &str,
    token: &str,
    dir: &Path,
) -> Result<(
    Child,
    tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
)> {
    spawn_cli_via(None, cli, server, token, dir).await
}

/// [`spawn_cli`] through a runner (`wine-run aviso-cli.exe …` for the Windows build).
pub async fn spawn_cli_via(
    runner: Option<&Path>,
    cli: &Path,
    server: &str,
    token: &str,
    dir: &Path,
) -> Result<(
    Child,
    tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
)> {
    let mut command = match runner {
        Some(runner) => {
            let mut c = Command::new(runner);
            c.arg(cli);
            c
        }
        None => Command::new(cli),
    };
    let mut child = command
        .args(["watch", "--server", server, "--profile", "smartsales"])
        .env("AVISO_TOKEN", token)
        .env("AVISO_CONFIG_DIR", dir.join("config"))
        .env("AVISO_DATA_DIR", dir.join("data"))
        .env("AVISO_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", cli.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await? {
            if is_live_line(&line) {
                return Ok(());
            }
        }
        anyhow::bail!("aviso-cli exited before it was live")
    })
    .await
    .context("aviso-cli did not become live")??;
    Ok((child, lines))
}

pub fn is_live_line(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .is_ok_and(|v| v["type"] == "state" && v["state"] == "live" && v.get("channel").is_none())
}

/// p50, p99 (with the target) and max of one side against the bare reader.
pub fn rows(bench: &str, side: &str, a: Summary, bare: Summary) -> Vec<Row> {
    let row = |metric: &str, x: f64, b: f64| {
        Row::new(
            bench,
            &format!("{side} {metric} (ms, n={})", a.n),
            format!("{x:.3}"),
        )
        .baseline(format!("{b:.3}"), format!("{:+.3} ms", x - b))
    };
    vec![
        row("p50", a.p50, bare.p50),
        row("p99", a.p99, bare.p99).target("≤ bare p99 + 1 ms", a.p99 <= bare.p99 + 1.0),
        row("max", a.max, bare.max),
    ]
}

/// The bare SSE reader against the bare WebSocket reader (what the transport itself costs),
/// and the engine over SSE against the bare WebSocket reader.
fn sse_beside_websocket(aviso_sse: Summary, bare_sse: Summary, bare_ws: Summary) -> Vec<Row> {
    let row = |side: &str, metric: &str, x: f64, b: f64| {
        Row::new(
            BENCH,
            &format!("{side} {metric} vs bare WebSocket (ms)"),
            format!("{x:.3}"),
        )
        .baseline(format!("{b:.3}"), format!("{:+.3} ms", x - b))
    };
    vec![
        row("bare SSE reader", "p50", bare_sse.p50, bare_ws.p50),
        row("bare SSE reader", "p99", bare_sse.p99, bare_ws.p99),
        row("engine over SSE", "p99", aviso_sse.p99, bare_ws.p99),
    ]
}

/// The latency of the first `n` notification events of an engine (`data.t_ns` stamps).
pub fn engine_latencies(
    mut events: Receiver<EngineEvent>,
    n: usize,
    deadline: Duration,
) -> JoinHandle<Vec<f64>> {
    tokio::spawn(async move {
        let mut got = Vec::with_capacity(n);
        let _ = tokio::time::timeout(deadline, async {
            while let Some(e) = events.recv().await {
                if let EngineEvent::Notification(note) = e {
                    got.extend(latency_ms(&note.data));
                    if got.len() == n {
                        break;
                    }
                }
            }
        })
        .await;
        got
    })
}

/// The latency of the first `n` events the bare SSE reader parses (`datos.t_ns` stamps).
pub fn bare_sse_latencies(
    url: String,
    token: String,
    n: usize,
    deadline: Duration,
) -> JoinHandle<Vec<f64>> {
    tokio::spawn(async move {
        let mut got = Vec::with_capacity(n);
        let _ = tokio::time::timeout(
            deadline,
            harness::bare_sse_read(&url, &token, |event| {
                got.extend(event.get("datos").and_then(latency_ms));
                got.len() < n
            }),
        )
        .await;
        got
    })
}

/// The latency of the first `n` frames the bare reader parses (`datos.t_ns` stamps).
pub fn bare_latencies(
    socket: harness::Socket,
    n: usize,
    deadline: Duration,
) -> JoinHandle<Vec<f64>> {
    tokio::spawn(async move {
        let mut got = Vec::with_capacity(n);
        let _ = tokio::time::timeout(
            deadline,
            harness::bare_read(socket, |frame| {
                got.extend(frame.get("datos").and_then(latency_ms));
                got.len() < n
            }),
        )
        .await;
        got
    })
}

pub async fn run(n: usize, rate: f64, cli: Option<&Path>) -> Result<Vec<Row>> {
    let demo = harness::demo().await?;
    let url = demo.http_url();
    let tokens = harness::tokens(&url).await?;
    let token = tokens.access.expose().to_owned();
    let dir = harness::scratch("bench-latency");
    let (engine, mut events) =
        harness::engine(dir.path(), &url, tokens.clone(), harness::SMARTSALES, 1)?;
    harness::wait_ready(&engine, &mut events, 20).await?;
    let sse_dir = harness::scratch("bench-latency");
    let (sse_engine, mut sse_events) =
        harness::engine(sse_dir.path(), &url, tokens, harness::SMARTSALES_SSE, 1)?;
    harness::wait_ready(&sse_engine, &mut sse_events, 20).await?;
    let socket = harness::bare_connect(&url, &token).await?;
    let cli_proc = match cli {
        Some(cli) => Some(spawn_cli(cli, &url, &token, dir.path()).await?),
        None => None,
    };

    let deadline = Duration::from_secs_f64(n as f64 / rate + 15.0);
    let engine_task = engine_latencies(events, n, deadline);
    let bare_task = bare_latencies(socket, n, deadline);
    let sse_engine_task = engine_latencies(sse_events, n, deadline);
    let bare_sse_task = bare_sse_latencies(url.clone(), token.clone(), n, deadline);
    // The bare SSE reader connects in its task: let it be open before the first event.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cli_task: Option<JoinHandle<(Child, Vec<f64>)>> = cli_proc.map(|(child, mut lines)| {
        tokio::spawn(async move {
            let mut got = Vec::with_capacity(n);
            let _ = tokio::time::timeout(deadline, async {
                while let Ok(Some(line)) = lines.next_line().await {
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                        continue;
                    };
                    if v["type"] == "notification" {
                        got.extend(latency_ms(&v["data"]));
                        if got.len() == n {
                            break;
                        }
                    }
                }
            })
            .await;
            (child, got)
        })
    });

    let control = demo.control();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    for _ in 0..n {
        tick.tick().await;
        let spec = EmitSpec {
            datos: Some(serde_json::json!({ "t_ns": epoch_ns() })),
            ..EmitSpec::default()
        };
        control.emit(1, &spec);
    }

    let aviso = summarize(engine_task.await?);
    let bare = summarize(bare_task.await?);
    let aviso_sse = summarize(sse_engine_task.await?);
    let bare_sse = summarize(bare_sse_task.await?);
    let mut out = Vec::new();
    anyhow::ensure!(bare.n == n, "bare reader saw {} of {n} events", bare.n);
    anyhow::ensure!(aviso.n == n, "engine delivered {} of {n} events", aviso.n);
    anyhow::ensure!(
        bare_sse.n == n,
        "bare SSE reader saw {} of {n} events",
        bare_sse.n
    );
    anyhow::ensure!(
        aviso_sse.n == n,
        "engine over SSE delivered {} of {n} events",
        aviso_sse.n
    );
    out.push(Row::new(
        BENCH,
        "events at a steady rate",
        format!("{n} at {rate:.0}/s"),
    ));
    out.extend(rows(BENCH, "engine event", aviso, bare));
    if let Some(task) = cli_task {
        let (mut child, got) = task.await?;
        let _ = child.kill().await;
        let cli = summarize(got);
        anyhow::ensure!(cli.n == n, "aviso-cli printed {} of {n} events", cli.n);
        out.extend(rows(BENCH, "aviso-cli stdout", cli, bare));
    } else {
        out.push(Row::new(
            BENCH,
            "aviso-cli stdout",
            "skipped: no aviso-cli binary".into(),
        ));
    }
    out.extend(rows(BENCH, "engine event over SSE", aviso_sse, bare_sse));
    out.extend(sse_beside_websocket(aviso_sse, bare_sse, bare));
    engine.shutdown().await;
    sse_engine.shutdown().await;
    drop(demo);
    Ok(out)
}
