//! Hostile servers: a server flooding frames as fast as loopback carries them (far past
//! 100,000 frames/s on the sender's side), and frames built to hurt the parser. Memory stays
//! bounded (backpressure reaches the socket: a flood three times larger raises the peak by
//! no more than a few MiB past the smaller one's), a command clicked during the flood is served
//! behind only the events already queued and the batch in hand, and the session goes on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aviso_engine::credentials::{Credentials, Tokens};
use aviso_engine::{AccountSpec, ConnState, Engine, EngineEvent, EngineOptions, Profile, Secret};
use aviso_testkit::ArtifactDir;
use futures_util::SinkExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// The two flood sizes: memory must not tell them apart.
const SMALL: u64 = 40_000;
const LARGE: u64 = 120_000;
/// How much more the larger flood may raise the peak than the smaller one already did.
const SAME_WITHIN_MIB: u64 = 12;
/// A command waits at most for the events already queued for the embedder (the engine's
/// event channel holds 4,096) and the batch of frames in hand (512), plus some slack.
const SERVED_WITHIN: u64 = 4_096 + 512 + 512;

fn furniture(i: u64) -> String {
    format!(
        r#"{{"type":"furniture_created","data":{{"nombre":"Silla {i}","material":"roble","ancho":45,"altura":90}},"timestamp":"2025-11-17T10:00:00Z"}}"#
    )
}

/// Peak resident memory of this process (VmHWM), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

/// A plain WebSocket server that sends `flood` frames back to back, then the frames in
/// `after` (hostile ones, then a last good one), then stays open. Counts what it sent.
async fn flood_server(flood: u64, after: Vec<Message>, sent: Arc<AtomicU64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        for i in 0..flood {
            // `feed` queues without flushing: the sender runs as fast as the socket takes.
            if ws.feed(Message::text(furniture(i))).await.is_err() {
                return;
            }
            sent.fetch_add(1, Ordering::Relaxed);
        }
        for m in after {
            if ws.send(m).await.is_err() {
                return;
            }
        }
        let _ = ws.flush().await;
        // Stay open (and answer pings) until the test ends.
        use futures_util::StreamExt;
        while ws.next().await.is_some() {}
    });
    url
}

/// What one flood did.
struct Flooded {
    notified: u64,
    /// How many notifications had arrived when the mark-all (clicked at a tenth of the
    /// flood) was served.
    read_all_at: u64,
    clicked_at: u64,
    errors: Vec<aviso_engine::ErrorCode>,
    /// Peak resident memory after the flood (KiB).
    peak_kib: u64,
}

/// One account on a flooding server of its own: `flood` good frames, the hostile ones,
/// then a last good one; a mark-all clicked a tenth of the way in.
async fn flood(
    engine: &Engine,
    events: &mut tokio::sync::mpsc::Receiver<EngineEvent>,
    account: &str,
    flood: u64,
) -> Flooded {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_in_field = format!(
        r#"{{"type":"furniture_created","data":{}}}"#,
        "{\"a\":".repeat(5_000) + "1" + &"}".repeat(5_000)
    );
    let hostile = vec![
        Message::text(deep),
        Message::text(deep_in_field),
        Message::text("x".repeat(3 << 20)),
        Message::binary(vec![0xff, 0xfe, 0xfd]),
        Message::text(furniture(flood)), // the last good one
    ];
    let sent = Arc::new(AtomicU64::new(0));
    let url = flood_server(flood, hostile, sent.clone()).await;
    engine.add(AccountSpec {
        name: account.into(),
        server: url::Url::parse(&url).unwrap(),
        profile: Arc::new(Profile::load("furniture").unwrap()),
        params: Default::default(),
    });

    let clicked_at = flood / 10;
    let mut notified = 0u64;
    let mut read_all_at = None;
    let mut errors = Vec::new();
    let mut last_seen = false;
    let mut last_unread = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    while !last_seen {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let event = tokio::time::timeout(left, events.recv())
            .await
            .unwrap_or_else(|_| panic!("flood not absorbed: {notified} of {flood} after 300 s"))
            .expect("engine running");
        match event {
            EngineEvent::Notification(n) => {
                notified += 1;
                last_seen = n.title.contains(&format!("Silla {flood} "));
                if notified == clicked_at {
                    // A click in the panel while the flood goes on.
                    engine.mark_all_read(account).await.unwrap();
                }
            }
            EngineEvent::Read {
                all: true,
                account: a,
                ..
            } if a == account => read_all_at = Some(notified),
            EngineEvent::Unread { count, account: a } if a == account => last_unread = Some(count),
            EngineEvent::Error {
                code, account: a, ..
            } if a == account => errors.push(code),
            // The account of the flood before, removed, says `stopped`: not this one's.
            EngineEvent::State {
                account: a, state, ..
            } if a == account => {
                assert!(
                    matches!(state, ConnState::Connecting | ConnState::Live),
                    "the session left live during the flood: {state:?}"
                );
            }
            _ => {}
        }
    }
    let peak_kib = peak_kib();
    println!(
        "flood of {flood}: {} frames sent, {notified} notified, peak RSS {} MiB, mark-all clicked at {clicked_at}, served at {read_all_at:?}",
        sent.load(Ordering::Relaxed),
        peak_kib / 1024,
    );
    assert_eq!(
        engine.store().total_count(Some(account)).unwrap(),
        flood + 1
    );
    // The badge, kept by deltas during the flood, agrees with a count.
    let unread = engine.store().unread_count(Some(account)).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while last_unread != Some(unread) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(EngineEvent::Unread { count, account: a })) if a == account => {
                last_unread = Some(count)
            }
            Ok(Some(_)) => {}
            _ => panic!("the last unread count told was {last_unread:?}, the store has {unread}"),
        }
    }
    engine.remove(account).await;
    Flooded {
        notified,
        read_all_at: read_all_at.expect("mark all read was never served"),
        clicked_at,
        errors,
        peak_kib,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_server_is_absorbed_in_bounded_memory_and_commands_are_served_during_it() {
    let dir = ArtifactDir::new("flood");
    let options = EngineOptions {
        data_dir: dir.path().to_path_buf(),
        extra_ca: None,
    };
    let tokens = Tokens {
        access: Secret::new("unused"),
        refresh: None,
    };
    let (engine, mut events) = Engine::open(options, Credentials::in_memory(tokens)).unwrap();
    let before = peak_kib();
    let small = flood(&engine, &mut events, "muebles", SMALL).await;
    let large = flood(&engine, &mut events, "muebles-2", LARGE).await;
    for (f, n) in [(&small, SMALL), (&large, LARGE)] {
        assert_eq!(f.notified, n + 1, "every distinct frame, once");
        assert!(
            f.read_all_at <= f.clicked_at + SERVED_WITHIN,
            "mark all read, clicked {} notifications into a flood of {n}, was served only {} in",
            f.clicked_at,
            f.read_all_at
        );
        assert_eq!(
            f.errors.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            ["bad_frame", "bad_frame", "frame_too_large", "bad_frame"],
            "each hostile frame reported, the session went on"
        );
    }
    // Bounded: queues are fixed-size, so the flood's size does not show in memory. Peak
    // memory only grows: the larger flood may raise it a little past the smaller one's.
    let small_mib = small.peak_kib.saturating_sub(before) / 1024;
    let more_mib = large.peak_kib.saturating_sub(small.peak_kib) / 1024;
    println!(
        "peak RSS: +{small_mib} MiB for {SMALL} frames, then +{more_mib} MiB more for {LARGE}"
    );
    assert!(
        more_mib <= SAME_WITHIN_MIB,
        "a flood of {LARGE} raised the peak {more_mib} MiB past a flood of {SMALL} (+{small_mib} MiB): memory follows the flood's size"
    );
    engine.shutdown().await;
}
