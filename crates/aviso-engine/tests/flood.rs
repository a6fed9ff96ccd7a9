//! Hostile servers: a server flooding frames as fast as loopback carries them (far past
//! 100,000 frames/s on the sender's side), and frames built to hurt the parser. Memory stays
//! bounded (backpressure reaches the socket), commands are served during the flood, and the
//! session goes on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aviso_demo::testkit::ArtifactDir;
use aviso_engine::credentials::{Credentials, Tokens};
use aviso_engine::{AccountSpec, ConnState, Engine, EngineEvent, EngineOptions, Profile, Secret};
use futures_util::SinkExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const FLOOD: u64 = 100_000;

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

/// A plain WebSocket server that sends `FLOOD` frames back to back, then the frames in
/// `after` (hostile ones, then a last good one), then stays open. Counts what it sent.
async fn flood_server(after: Vec<Message>, sent: Arc<AtomicU64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        for i in 0..FLOOD {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_server_is_absorbed_in_bounded_memory_and_commands_are_served_during_it() {
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
        Message::text(furniture(FLOOD)), // the last good one
    ];
    let sent = Arc::new(AtomicU64::new(0));
    let url = flood_server(hostile, sent.clone()).await;

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
    engine.add(AccountSpec {
        name: "muebles".into(),
        server: url::Url::parse(&url).unwrap(),
        profile: Arc::new(Profile::load("furniture").unwrap()),
        params: Default::default(),
    });

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
            .unwrap_or_else(|_| panic!("flood not absorbed: {notified} of {FLOOD} after 300 s"))
            .expect("engine running");
        match event {
            EngineEvent::Notification(n) => {
                notified += 1;
                last_seen = n.title.contains(&format!("Silla {FLOOD} "));
                if notified == 10_000 {
                    // A click in the panel while the flood goes on.
                    engine.mark_all_read("muebles").await.unwrap();
                }
            }
            EngineEvent::Read { all: true, .. } => read_all_at = Some(notified),
            EngineEvent::Unread { count, .. } => last_unread = Some(count),
            EngineEvent::Error { code, .. } => errors.push(code),
            EngineEvent::State { state, .. } => {
                assert!(
                    matches!(state, ConnState::Connecting | ConnState::Live),
                    "the session left live during the flood: {state:?}"
                );
            }
            _ => {}
        }
    }
    let grown_mib = (peak_kib().saturating_sub(before)) / 1024;
    println!(
        "flood: {} frames sent, {notified} notified, peak RSS +{grown_mib} MiB, mark-all served after {:?}",
        sent.load(Ordering::Relaxed),
        read_all_at
    );
    assert_eq!(notified, FLOOD + 1, "every distinct frame, once");
    let served = read_all_at.expect("mark all read was never served");
    assert!(
        served < FLOOD,
        "mark all read waited for the flood to end ({served} notifications in)"
    );
    assert_eq!(
        errors,
        ["bad_frame", "bad_frame", "frame_too_large", "bad_frame"],
        "each hostile frame reported, the session went on"
    );
    // Bounded: queues are fixed-size, so the flood's size does not show in memory.
    assert!(
        grown_mib < 128,
        "memory grew by {grown_mib} MiB during a flood of {FLOOD} frames"
    );
    assert_eq!(engine.store().total_count(None).unwrap(), FLOOD + 1);
    // The badge, kept by deltas during the flood, agrees with a count.
    let unread = engine.store().unread_count(None).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while last_unread != Some(unread) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(EngineEvent::Unread { count, .. })) => last_unread = Some(count),
            Ok(Some(_)) => {}
            _ => panic!("the last unread count told was {last_unread:?}, the store has {unread}"),
        }
    }
    engine.shutdown().await;
}
