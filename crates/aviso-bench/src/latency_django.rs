//! Benchmark 1 through the real seed-000 backend: Django Channels under daphne with a Redis
//! channel layer (`tests/servers/django`, started by the fixtures of
//! `crates/aviso-testkit/src/seed_servers.rs`). The server sends N notifications at a
//! steady rate (`POST /__test/smartsales/timed/`), each stamped with the wall clock just before
//! the seed's `send_admin_notification`; an in-process engine (`smartsales` preset) and a bare
//! tokio-tungstenite reader, connected to it at the same time, note when they see each one.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::json;

use crate::harness;
use crate::latency::{bare_latencies, engine_latencies, rows};
use crate::measure::summarize;
use crate::report::Row;

use aviso_testkit::seed_servers;

const BENCH: &str = "1 delivery latency (Django + Redis)";

/// Why the real server cannot run here, if it cannot.
fn missing() -> Option<String> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/servers/.venv/bin/python");
    if !venv.exists() {
        return Some("no tests/servers/.venv (tests/servers/setup.sh)".into());
    }
    let on_path = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("redis-server").is_file()));
    if !on_path {
        return Some("no redis-server".into());
    }
    None
}

pub async fn run(n: usize, rate: f64) -> Result<Vec<Row>> {
    if let Some(why) = missing() {
        return Ok(vec![Row::new(
            BENCH,
            "engine vs bare reader",
            format!("skipped: {why}"),
        )]);
    }
    // The fixtures panic when a server does not start; in a task of its own that is an error.
    let django = tokio::spawn(seed_servers::Django::start())
        .await
        .map_err(|e| anyhow::anyhow!("the Django server did not start: {e}"))?;
    let url = django.url();
    let tokens = harness::tokens(&url).await?;
    let token = tokens.access.expose().to_owned();
    let dir = harness::scratch("bench-latency_django");
    // Both sockets are served one after the other by the one daphne process, in the order
    // they joined the group: the bare reader joins first, so any edge that order gives goes
    // to the baseline, not to Aviso.
    let socket = harness::bare_connect(&url, &token).await?;
    let (engine, mut events) = harness::engine(dir.path(), &url, tokens, harness::SMARTSALES, 1)?;
    harness::wait_ready(&engine, &mut events, 30).await?;

    // Generous: on a busy machine the server sends behind its schedule.
    let deadline = Duration::from_secs_f64(2.0 * n as f64 / rate + 60.0);
    let engine_task = engine_latencies(events, n, deadline);
    let bare_task = bare_latencies(socket, n, deadline);
    let started = reqwest::Client::new()
        .post(format!("{url}/__test/smartsales/timed/"))
        .json(&json!({"count": n, "rate": rate}))
        .timeout(Duration::from_secs(20))
        .send()
        .await?
        .error_for_status()
        .context("POST /__test/smartsales/timed/")?;
    drop(started);

    let aviso = summarize(engine_task.await?);
    let bare = summarize(bare_task.await?);
    engine.shutdown().await;
    drop(django);
    anyhow::ensure!(bare.n == n, "bare reader saw {} of {n} events", bare.n);
    anyhow::ensure!(aviso.n == n, "engine delivered {} of {n} events", aviso.n);
    let mut out = vec![Row::new(
        BENCH,
        "events at a steady rate",
        format!("{n} at {rate:.0}/s"),
    )];
    out.extend(rows(BENCH, "engine event", aviso, bare));
    Ok(out)
}
