//! Benchmark 6, polling cost: an engine on the polling transport, with nothing new on the
//! server, through a byte-counting TCP proxy; requests come from the demo server's own
//! counters. The baseline is what seed 000's frontend does every 15 s: an unconditional
//! GET of the list and of the unread count, through the same proxy.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use aviso_demo::{DemoControl, EmitSpec};
use aviso_engine::{ConnState, EngineEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::harness;
use crate::report::Row;

const BENCH: &str = "6 polling cost";
const INTERVAL_S: f64 = 0.2;
/// Notifications on the server: the page an unconditional poll downloads every time.
const STORED: usize = 50;

/// Forwards 127.0.0.1:PORT to `upstream`, counting the bytes both ways as they pass.
async fn proxy(upstream: std::net::SocketAddr) -> Result<(String, Arc<AtomicU64>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let bytes = Arc::new(AtomicU64::new(0));
    let counter = bytes.clone();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let Ok(outbound) = TcpStream::connect(upstream).await else {
                continue;
            };
            let (ri, wi) = inbound.into_split();
            let (ro, wo) = outbound.into_split();
            tokio::spawn(pump(ri, wo, counter.clone()));
            tokio::spawn(pump(ro, wi, counter.clone()));
        }
    });
    Ok((url, bytes))
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    counter: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                counter.fetch_add(n as u64, Ordering::Relaxed);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

fn requests(c: &DemoControl) -> (u64, u64) {
    let r = c.stats().rest;
    (
        r.list + r.unread_count + r.mark_read + r.mark_all_read,
        r.list,
    )
}

pub async fn run(cycles: usize) -> Result<Vec<Row>> {
    let demo = harness::demo().await?;
    let control = demo.control();
    control.emit(STORED, &EmitSpec::default());
    let url = demo.http_url();
    let tokens = harness::tokens(&url).await?;
    let bearer = tokens.access.expose().to_owned();

    // Aviso: its own proxy, so the baseline's bytes are not mixed in.
    let (aviso_url, aviso_bytes) = proxy(demo.addr()).await?;
    let dir = harness::scratch("bench-polling");
    let profile = format!(
        "extends = \"smartsales\"\ntransport = \"polling\"\n[polling]\ninterval_secs = {INTERVAL_S}\n"
    );
    let (engine, mut events) = harness::engine(dir.path(), &aviso_url, tokens, &profile, 1)?;
    let mut seen = 0;
    tokio::time::timeout(Duration::from_secs(20), async {
        while seen < STORED {
            match events.recv().await {
                Some(EngineEvent::Notification(_)) => seen += 1,
                Some(_) => {}
                None => break,
            }
        }
    })
    .await
    .map_err(|_| anyhow::anyhow!("the engine caught up {seen} of {STORED}"))?;
    // Let the first cycles after the catch-up pass, then count.
    let drain = tokio::spawn(async move {
        let mut polling = false;
        while let Some(e) = events.recv().await {
            if matches!(
                e,
                EngineEvent::State {
                    state: ConnState::Polling,
                    ..
                }
            ) {
                polling = true;
            }
        }
        polling
    });
    tokio::time::sleep(Duration::from_secs_f64(INTERVAL_S * 3.0)).await;
    let bytes0 = aviso_bytes.load(Ordering::Relaxed);
    let (req0, list0) = requests(&control);
    let not_modified0 = control.stats().rest.list_not_modified;
    tokio::time::sleep(Duration::from_secs_f64(INTERVAL_S * cycles as f64)).await;
    let (req1, list1) = requests(&control);
    let bytes1 = aviso_bytes.load(Ordering::Relaxed);
    let not_modified = control.stats().rest.list_not_modified - not_modified0;
    engine.shutdown().await;
    let _ = drain.await;
    let a_cycles = (list1 - list0).max(1);
    let a_req = (req1 - req0) as f64 / a_cycles as f64;
    let a_bytes = (bytes1 - bytes0) as f64 / a_cycles as f64;

    // The baseline: a fresh keep-alive client polling the list and the count.
    let (base_url, base_bytes) = proxy(demo.addr()).await?;
    let (req0, _) = requests(&control);
    {
        let http = reqwest::Client::new();
        for _ in 0..cycles {
            for path in [
                "/api/admin/notificaciones/",
                "/api/admin/notificaciones/no-leidas/",
            ] {
                http.get(format!("{base_url}{path}"))
                    .bearer_auth(&bearer)
                    .send()
                    .await?
                    .bytes()
                    .await?;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (req1, _) = requests(&control);
    let b_req = (req1 - req0) as f64 / cycles as f64;
    let b_bytes = base_bytes.load(Ordering::Relaxed) as f64 / cycles as f64;
    drop(demo);

    let per_hour = |x: f64| x * 3600.0 / 15.0;
    Ok(vec![
        Row::new(
            BENCH,
            &format!("requests per idle poll ({a_cycles} cycles; {not_modified} answered 304)"),
            format!("{a_req:.2}"),
        )
        .baseline(format!("{b_req:.2}"), format!("{:+.2}", a_req - b_req))
        .target("≤ baseline", a_req <= b_req),
        Row::new(
            BENCH,
            &format!("bytes per idle poll, both ways ({STORED} stored)"),
            format!("{a_bytes:.0}"),
        )
        .baseline(
            format!("{b_bytes:.0}"),
            format!("×{:.3}", a_bytes / b_bytes.max(1.0)),
        )
        .target("< baseline", a_bytes < b_bytes),
        Row::new(
            BENCH,
            "bytes per hour at seed 000's 15 s interval",
            format!("{:.0}", per_hour(a_bytes)),
        )
        .baseline(
            format!("{:.0}", per_hour(b_bytes)),
            format!("{:+.0}", per_hour(a_bytes - b_bytes)),
        ),
    ])
}
