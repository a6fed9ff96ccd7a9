//! Benchmark 4, start-up: from nothing to a live session, for the engine (open a fresh data
//! directory, add the account, catch up, WebSocket live) and for `aviso-cli watch` (a new
//! process until it prints its `live` line), against a bare tokio-tungstenite handshake.
//! "Cold" here is a new engine and a new process; the page cache stays warm.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use crate::harness;
use crate::measure::{median, ms};
use crate::report::Row;

const BENCH: &str = "4 start-up";

pub async fn run(repeats: usize, cli: Option<&Path>) -> Result<Vec<Row>> {
    let demo = harness::demo().await?;
    let url = demo.http_url();
    let tokens = harness::tokens(&url).await?;
    let token = tokens.access.expose().to_owned();
    let (mut engine_ms, mut cli_ms, mut bare_ms) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..repeats {
        let dir = harness::scratch("bench-startup");
        let t = Instant::now();
        let (engine, mut events) =
            harness::engine(dir.path(), &url, tokens.clone(), harness::SMARTSALES, 1)?;
        harness::wait_live(&mut events, 20).await?;
        engine_ms.push(ms(t.elapsed()));
        engine.shutdown().await;

        let t = Instant::now();
        let socket = harness::bare_connect(&url, &token).await?;
        bare_ms.push(ms(t.elapsed()));
        drop(socket);

        if let Some(cli) = cli {
            let dir = harness::scratch("bench-startup");
            let t = Instant::now();
            let (mut child, _lines) =
                crate::latency::spawn_cli(cli, &url, &token, dir.path()).await?;
            cli_ms.push(ms(t.elapsed()));
            let _ = child.kill().await;
        }
    }
    drop(demo);
    let bare = median(&bare_ms);
    let row = |metric: &str, xs: &[f64]| {
        let x = median(xs);
        Row::new(
            BENCH,
            &format!("{metric} (ms, median of {repeats})"),
            format!("{x:.1}"),
        )
        .baseline(
            format!("{bare:.1} (bare handshake)"),
            format!("{:+.1} ms", x - bare),
        )
        .target("≤ 300 ms", x <= 300.0)
    };
    let mut out = vec![row("engine: open → live", &engine_ms)];
    if cli.is_some() {
        out.push(row("aviso-cli watch: spawn → live line", &cli_ms));
    } else {
        out.push(Row::new(
            BENCH,
            "aviso-cli watch",
            "skipped: no aviso-cli binary".into(),
        ));
    }
    Ok(out)
}
