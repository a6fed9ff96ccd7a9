//! Benchmark 5, reconnect herd: N accounts in one engine (N WebSockets) on one demo server;
//! the server is killed and restarted on the same port at once, with notifications stored
//! while it was down. Measured: when each session is live again (from the kill), the
//! server's peak accept rate, and whether every session caught up on every notification.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use aviso_demo::{DemoServer, EmitSpec};
use aviso_engine::{ConnState, EngineEvent};

use crate::harness;
use crate::measure::{ms, percentile};
use crate::report::Row;

const BENCH: &str = "5 reconnect herd";
const MIN_MS: u64 = 200;
const INITIAL_MS: u64 = 1_000;
const MAX_MS: u64 = 2_000;
/// Notifications stored while the server is down: every session must catch up on them.
const MISSED: usize = 3;

fn profile() -> String {
    // Pings and the safety poll stay at the preset's values; only the backoff is shortened
    // so the herd comes back in seconds.
    format!(
        "extends = \"smartsales\"\n[reconnect]\nmin_ms = {MIN_MS}\ninitial_ms = {INITIAL_MS}\n\
         max_ms = {MAX_MS}\nstable_secs = 1.0\n"
    )
}

fn account_of(e: &EngineEvent) -> Option<&str> {
    match e {
        EngineEvent::State { account, .. } => Some(account),
        EngineEvent::Notification(n) => Some(&n.account),
        _ => None,
    }
}

pub async fn run(sessions: usize) -> Result<Vec<Row>> {
    let demo = harness::demo().await?;
    let addr = demo.addr();
    let url = demo.http_url();
    let tokens = harness::tokens(&url).await?;
    let dir = harness::scratch("bench-herd");
    let (engine, mut events) = harness::engine(dir.path(), &url, tokens, &profile(), sessions)?;

    // All live, then stable (so the failure count is back to 0 and the first retry uses the
    // initial ceiling).
    let mut live = std::collections::HashSet::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        while live.len() < sessions {
            match events.recv().await {
                Some(EngineEvent::State {
                    account,
                    channel: None,
                    state: ConnState::Live,
                    ..
                }) => {
                    live.insert(account);
                }
                Some(_) => {}
                None => break,
            }
        }
    })
    .await
    .map_err(|_| anyhow::anyhow!("only {} of {sessions} sessions became live", live.len()))?;
    let settle = Instant::now() + Duration::from_millis(1_500);
    while let Ok(Some(_)) = tokio::time::timeout_at(settle.into(), events.recv()).await {}

    // From the moment the kill starts: no session can see its socket drop before that, so
    // a reconnect measured earlier than the minimum delay really came too early.
    let killed = Instant::now();
    let state = demo.stop().await;
    let stop_ms = ms(killed.elapsed());
    let control = state.control();
    let missed_ids = control.emit(MISSED, &EmitSpec::default());
    let accepted_before = control.stats().ws_accepted;
    let demo: DemoServer = DemoServer::start_with_state(addr, state).await?;

    // The server's accept counter, sampled every 10 ms: when each reconnect was accepted
    // (to within its window), whatever the catch-up after it costs.
    let sampler = {
        let control = demo.control();
        tokio::spawn(async move {
            let mut windows = Vec::new();
            let mut last = control.stats().ws_accepted;
            let mut from = ms(killed.elapsed());
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            while from < (MAX_MS * 4 + 2_000) as f64 {
                tick.tick().await;
                let now = control.stats().ws_accepted;
                let to = ms(killed.elapsed());
                if now > last {
                    windows.push((from, to, now - last));
                }
                last = now;
                from = to;
            }
            windows
        })
    };

    let mut back: HashMap<String, f64> = HashMap::new();
    // The missed ids each account got (distinct), and every repeat of one (a duplicate).
    let mut caught: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
    let mut duplicates = 0usize;
    let missed: std::collections::HashSet<String> =
        missed_ids.iter().map(|i| i.to_string()).collect();
    let limit = Instant::now() + Duration::from_millis(MAX_MS * 4 + 10_000);
    while back.len() < sessions || caught.values().filter(|c| c.len() == MISSED).count() < sessions
    {
        let Ok(Some(e)) = tokio::time::timeout_at(limit.into(), events.recv()).await else {
            break;
        };
        let Some(account) = account_of(&e).map(str::to_owned) else {
            continue;
        };
        match e {
            EngineEvent::State {
                channel: None,
                state: ConnState::Live,
                ..
            } => {
                back.entry(account).or_insert_with(|| ms(killed.elapsed()));
            }
            EngineEvent::Notification(n) if missed.contains(&n.id) => {
                let fresh = caught.entry(account).or_default().insert(n.id);
                duplicates += usize::from(!fresh);
            }
            _ => {}
        }
    }
    let windows = sampler.await?;
    let accepted = demo.control().stats().ws_accepted - accepted_before;
    engine.shutdown().await;
    drop(demo);

    let lost = sessions * MISSED - caught.values().map(|c| c.len()).sum::<usize>();
    // Accept times (each at its window's end) and the bounds of the first and last.
    let accepts: Vec<f64> = windows
        .iter()
        .flat_map(|&(_, to, n)| std::iter::repeat_n(to, n as usize))
        .collect();
    let first = windows.first().map_or((0.0, 0.0), |w| (w.0, w.1));
    let last = windows.last().map_or(0.0, |w| w.1);
    let peak_rate = windows
        .iter()
        .map(|&(from, to, n)| n as f64 / ((to - from).max(1.0) / 1e3))
        .fold(0.0, f64::max);
    let (p10, p50, p90) = (
        percentile(&accepts, 0.10),
        percentile(&accepts, 0.50),
        percentile(&accepts, 0.90),
    );
    // Full jitter over [min, min + initial]: p10…p90 should span most of the window; a
    // herd without jitter comes back within a few ms.
    let spread_ok = p90 - p10 >= 0.5 * INITIAL_MS as f64;
    let mut histogram = String::new();
    let bucket = 250.0;
    let mut counts = vec![0usize; ((last / bucket) as usize + 1).min(64)];
    for t in &accepts {
        let i = ((t / bucket) as usize).min(counts.len() - 1);
        counts[i] += 1;
    }
    for (i, c) in counts.iter().enumerate() {
        if *c > 0 {
            histogram.push_str(&format!("{}–{} ms: {c}; ", i * 250, (i + 1) * 250));
        }
    }
    let live: Vec<f64> = back.values().copied().collect();
    let back_n = live.len();
    let cfg = format!("min {MIN_MS}, initial {INITIAL_MS}, cap {MAX_MS} ms");
    Ok(vec![
        Row::new(
            BENCH,
            &format!("sessions live again / total ({cfg})"),
            format!("{back_n} / {sessions}"),
        )
        .target("all", back_n == sessions),
        Row::new(
            BENCH,
            "server stop took / first reconnect accepted, after the kill (ms)",
            format!("{stop_ms:.0} / {:.0}–{:.0}", first.0, first.1),
        )
        .target(
            &format!("≥ min {MIN_MS} ms"),
            !windows.is_empty() && first.0 >= MIN_MS as f64,
        ),
        Row::new(BENCH, "last reconnect accepted (ms)", format!("{last:.0}")).target(
            &format!("≤ 2 × cap = {} ms", 2 * MAX_MS),
            accepted as usize >= sessions && last <= 2.0 * MAX_MS as f64,
        ),
        Row::new(
            BENCH,
            "accepts p10 / p50 / p90 (ms)",
            format!("{p10:.0} / {p50:.0} / {p90:.0}"),
        )
        .target(
            &format!("p90 − p10 ≥ {} ms (jitter)", INITIAL_MS / 2),
            spread_ok,
        ),
        Row::new(
            BENCH,
            "accepts, 250 ms buckets",
            histogram.trim_end_matches("; ").to_owned(),
        ),
        Row::new(
            BENCH,
            "server: WebSockets accepted / peak accept rate (10 ms windows)",
            format!("{accepted} / {peak_rate:.0}/s"),
        ),
        Row::new(
            BENCH,
            "live again incl. REST catch-up: p50 / max (ms)",
            format!(
                "{:.0} / {:.0}",
                percentile(&live, 0.5),
                live.iter().copied().fold(0.0, f64::max)
            ),
        ),
        Row::new(
            BENCH,
            &format!(
                "notifications lost / duplicated across the herd ({MISSED} sent while down, per account)"
            ),
            format!("{lost} / {duplicates} of {}", sessions * MISSED),
        )
        .target("0 / 0", lost == 0 && duplicates == 0),
    ])
}
