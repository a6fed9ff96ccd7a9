//! The SSE transport against the embedded demo backend's event stream on 127.0.0.1:0: live
//! delivery, Last-Event-ID on every reconnect (server restart, engine restart), dead peer on
//! a stalled stream, token refresh and needs_login, 404 → polling and back, hostile events.

use std::collections::BTreeSet;
use std::time::Duration;

use aviso_demo::{DemoConfig, DemoServer, EmitSpec, RawFrame};
use aviso_engine::{ConnState, EngineEvent, TransportKind};
use aviso_testkit::{DemoRun, FastProfile, SSE_KEEP_ALIVE};
use tokio::time::Instant;

type Harness = DemoRun;

fn demo_config() -> DemoConfig {
    DemoConfig {
        ping_interval: SSE_KEEP_ALIVE,
        ..aviso_testkit::demo::quiet()
    }
}

/// The demo with SSE keep-alives, the engine with the fast SSE profile.
async fn start() -> Harness {
    DemoRun::start_with(demo_config(), &FastProfile::sse().text()).await
}

/// What these tests ask of a [`DemoRun`] beyond what every engine test asks.
trait SseRun {
    async fn wait_live_sse(&mut self, secs: f64);
    fn stored_event_id(&self) -> Option<String>;
    /// Closes the engine (as quitting Aviso does), runs `meanwhile`, opens a new one on the
    /// same data directory; the events seen so far are forgotten.
    async fn restart_engine(&mut self, meanwhile: impl FnOnce(&Harness));
    /// The `Last-Event-ID` of every SSE request the demo accepted, in order.
    fn last_event_ids(&self) -> Vec<Option<String>>;
}

impl SseRun for DemoRun {
    async fn wait_live_sse(&mut self, secs: f64) {
        self.wait_for(secs, "live over SSE", |e| {
            matches!(
                e,
                EngineEvent::State {
                    state: ConnState::Live,
                    transport: Some(TransportKind::Sse),
                    ..
                }
            )
        })
        .await;
    }

    fn stored_event_id(&self) -> Option<String> {
        self.engine().store().event_id("tienda", "").unwrap()
    }

    async fn restart_engine(&mut self, meanwhile: impl FnOnce(&Harness)) {
        self.close().await;
        meanwhile(self);
        self.reopen();
    }

    fn last_event_ids(&self) -> Vec<Option<String>> {
        self.control.stats().sse_last_event_ids
    }
}

fn to_ids(ids: impl IntoIterator<Item = u64>) -> BTreeSet<String> {
    ids.into_iter().map(|i| i.to_string()).collect()
}

#[tokio::test]
async fn live_delivery_once_each_and_the_last_id_is_stored() {
    let mut h = start().await;
    h.wait_live_sse(5.0).await;
    let live = h.emit(5);
    h.wait_ids(5.0, &live).await;
    h.drain(0.5).await;
    h.assert_no_duplicates();
    assert_eq!(h.notified(), to_ids(1..=5));
    assert_eq!(h.stored_event_id().as_deref(), Some("5"));
    // The first request had no position to send.
    assert_eq!(h.last_event_ids(), vec![None]);
    assert_eq!(h.control.stats().sse_accepted, 1);
    assert_eq!(h.control.stats().ws_accepted, 0, "no WebSocket at all");
}

#[tokio::test]
async fn a_server_restart_resumes_with_last_event_id_losing_and_repeating_nothing() {
    let mut h = start().await;
    h.wait_live_sse(5.0).await;
    let before = h.emit(3);
    h.wait_ids(5.0, &before).await;
    let state = h.demo.take().unwrap().stop().await;
    h.wait_for(
        5.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state: s, .. } if *s != ConnState::Live),
    )
    .await;
    // Events go on while it is down: the stream replays them from Last-Event-ID and the REST
    // catch-up also lists them; each must come out once.
    let during = to_ids(state.control().emit(4, &EmitSpec::default()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let demo = DemoServer::start_with_state(h.addr, state).await.unwrap();
    h.control = demo.control();
    h.demo = Some(demo);
    h.wait_ids(10.0, &during).await;
    let after = h.emit(2);
    h.wait_ids(5.0, &after).await;
    h.drain(0.5).await;
    h.assert_no_duplicates();
    assert_eq!(h.notified(), to_ids(1..=9));
    let sent = h.last_event_ids();
    assert_eq!(sent.first(), Some(&None));
    // Every reconnect carried the position; the first one after the restart was event 3.
    assert!(sent.len() >= 2, "{sent:?}");
    assert!(
        sent[1..].iter().all(Option::is_some),
        "a reconnect without Last-Event-ID: {sent:?}"
    );
    assert!(sent.contains(&Some("3".into())), "{sent:?}");
    assert_eq!(h.stored_event_id().as_deref(), Some("9"));
}

#[tokio::test]
async fn an_engine_restart_resumes_from_the_stored_id() {
    let mut h = start().await;
    h.wait_live_sse(5.0).await;
    let first = h.emit(3);
    h.wait_ids(5.0, &first).await;
    h.drain(0.3).await;
    assert_eq!(h.stored_event_id().as_deref(), Some("3"));
    let mut missed = BTreeSet::new();
    h.restart_engine(|h| missed = h.emit(2)).await;
    h.wait_live_sse(5.0).await;
    h.wait_ids(5.0, &missed).await;
    h.drain(0.5).await;
    // The new process printed only what it had not printed before.
    h.assert_no_duplicates();
    assert_eq!(h.notified(), to_ids(4..=5));
    let sent = h.last_event_ids();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].as_deref(), Some("3"), "resumed from the stored id");
    assert_eq!(h.stored_event_id().as_deref(), Some("5"));
}

#[tokio::test]
async fn a_stalled_stream_is_a_dead_peer_within_the_timeout() {
    let mut h = start().await;
    h.wait_live_sse(5.0).await;
    // The server stops writing (no events, no keep-alives); TCP stays open.
    h.control.set_stall(true);
    let started = Instant::now();
    let event = h
        .wait_for(
            6.0,
            "dead peer",
            |e| matches!(e, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::DeadPeer),
        )
        .await;
    let took = started.elapsed();
    // The profile's timeout is 2 s.
    assert!(
        took >= Duration::from_millis(1_500) && took <= Duration::from_millis(3_000),
        "took {took:?}: {event:?}"
    );
    let stalled = h.emit(1);
    h.control.set_stall(false);
    h.wait_live_sse(10.0).await;
    h.wait_ids(5.0, &stalled).await;
    let after = h.emit(1);
    h.wait_ids(5.0, &after).await;
    h.assert_no_duplicates();
}

#[tokio::test]
async fn keep_alives_keep_an_idle_stream_alive() {
    let mut h = start().await;
    h.wait_live_sse(5.0).await;
    // Three timeouts' worth of silence but for the server's keep-alive comments.
    h.drain(6.0).await;
    assert!(
        !h.seen
            .iter()
            .any(|e| matches!(e, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::DeadPeer)),
        "{:#?}",
        h.seen
    );
    assert_eq!(h.control.stats().sse_accepted, 1, "never reconnected");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_stream_resumes() {
    let mut h = start().await;
    h.wait_live_sse(5.0).await;
    h.control.expire_tokens();
    h.control.drop_sockets();
    h.wait_for(5.0, "reconnect", |e| {
        matches!(
            e,
            EngineEvent::State {
                state: ConnState::Backoff | ConnState::Connecting,
                ..
            }
        )
    })
    .await;
    h.wait_live_sse(5.0).await;
    let after = h.emit(2);
    h.wait_ids(5.0, &after).await;
    let stats = h.control.stats();
    assert_eq!(stats.refresh_ok, 1, "{stats:?}");
    assert_eq!(stats.refresh_failed, 0);
    // Whichever saw the old token refused first (the stream or a REST call), one refresh
    // served both.
    assert!(stats.sse_accepted >= 2, "{stats:?}");
}

#[tokio::test]
async fn a_revoked_token_needs_login_after_one_refresh() {
    let mut h = start().await;
    h.wait_live_sse(5.0).await;
    h.control.revoke_tokens();
    h.control.drop_sockets();
    let ev = h.wait_state(5.0, ConnState::NeedsLogin).await;
    assert!(
        matches!(&ev, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::AuthFailed)
    );
    let at_login = h.control.stats();
    assert_eq!(
        at_login.refresh_ok + at_login.refresh_failed,
        1,
        "{at_login:?}"
    );
    h.drain(2.0).await;
    let later = h.control.stats();
    assert_eq!(
        later.sse_refused, at_login.sse_refused,
        "retried after needs_login"
    );
    assert!(h
        .seen
        .iter()
        .any(|e| matches!(e, EngineEvent::Error { code, .. } if *code == aviso_engine::ErrorCode::NeedsLogin)));
}

#[tokio::test]
async fn http_404_falls_back_to_polling_and_returns_to_the_stream() {
    let mut h = start().await;
    h.wait_live_sse(5.0).await;
    let streamed = h.emit(2);
    h.wait_ids(5.0, &streamed).await;
    h.control.set_ws_404(true);
    h.control.drop_sockets();
    let polling = h.wait_state(5.0, ConnState::Polling).await;
    assert!(
        matches!(&polling, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::NoWebsocket),
        "{polling:?}"
    );
    let polled = h.emit(2);
    h.wait_ids(3.0, &polled).await;
    h.control.set_ws_404(false);
    h.wait_live_sse(5.0).await;
    let pushed = h.emit(2);
    h.wait_ids(5.0, &pushed).await;
    h.drain(0.3).await;
    h.assert_no_duplicates();
    // The probe that came back sent the stream's position (polling does not move it): the
    // server replayed what was polled meanwhile, and nothing came out twice.
    let sent = h.last_event_ids();
    assert_eq!(sent.last().unwrap().as_deref(), Some("2"), "{sent:?}");
    assert_eq!(h.notified(), to_ids(1..=6));
}

#[tokio::test]
async fn bad_events_give_errors_the_stream_goes_on_and_nothing_wrong_is_stored() {
    let profile = FastProfile::sse()
        .extra("[websocket]\nmax_frame_bytes = 4096\n")
        .text();
    let mut h = DemoRun::start_with(demo_config(), &profile).await;
    h.wait_live_sse(5.0).await;
    let good = r#"{"id": 900, "tipo": "nueva_compra", "titulo": "ok", "mensaje": "m", "creada": "2025-01-01T00:00:00Z", "leida": false}"#;
    let mut frames = vec![
        // A malformed block: data that is not a notification (bad JSON is kept as text).
        RawFrame::Text("event: message\ndata: {not json\nid: 50\n\n".into()),
        // A notification without an id.
        RawFrame::Text("event: message\ndata: {\"tipo\": \"x\"}\nid: 51\n\n".into()),
        // Data over the profile's frame limit.
        RawFrame::Text(format!(
            "event: message\ndata: {{\"id\": 901, \"titulo\": \"{}\"}}\nid: 52\n\n",
            "x".repeat(10_000)
        )),
        // An id with NUL: ignored, its event skipped.
        RawFrame::Text(format!(
            "event: message\nid: 53\0x\ndata: {}\n\n",
            good.replace("900", "902")
        )),
    ];
    // Invalid UTF-8 in an event.
    let mut bad = b"event: message\ndata: {\"id\": 903, \"titulo\": \"".to_vec();
    bad.extend_from_slice(&[0xc3, 0x28]);
    bad.extend_from_slice(b"\"}\n\n");
    frames.push(RawFrame::TextBytes(bad));
    frames.push(RawFrame::Text(format!(
        "event: message\nid: 54\ndata: {good}\n\n"
    )));
    for f in frames {
        h.control.raw_frame(f);
    }
    h.wait_ids(5.0, &to_ids([900])).await;
    let codes: Vec<&str> = h
        .seen
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Error { code, .. } => Some(code.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        codes,
        [
            "bad_notification",
            "bad_notification",
            "frame_too_large",
            "bad_frame",
            "bad_frame"
        ],
        "{:#?}",
        h.seen
    );
    for id in ["901", "902", "903"] {
        assert!(
            h.engine().store().get("tienda", id).unwrap().is_none(),
            "{id} stored"
        );
    }
    assert_eq!(h.engine().store().total_count(Some("tienda")).unwrap(), 1);
    // The stream never dropped, and the stored position is the last good id.
    assert_eq!(h.control.stats().sse_accepted, 1);
    assert_eq!(h.stored_event_id().as_deref(), Some("54"));
    // Live delivery goes on.
    let after = h.emit(1);
    h.wait_ids(5.0, &after).await;
    h.assert_no_duplicates();
}

#[tokio::test]
async fn the_servers_retry_sets_the_reconnect_delay_within_the_bounds() {
    // Our own first delay would be up to 5 s; the server asks for 50 ms.
    let profile = r#"extends = "smartsales-sse"
[heartbeat]
timeout_secs = 2.0
[reconnect]
min_ms = 20
initial_ms = 5000
max_ms = 10000
stable_secs = 0.5
"#;
    let config = DemoConfig {
        sse_retry: Some(Duration::from_millis(50)),
        ..demo_config()
    };
    let mut h = DemoRun::start_with(config, profile).await;
    h.wait_live_sse(5.0).await;
    for round in 0..3 {
        // Stable for longer than stable_secs, so each drop is a first failure.
        tokio::time::sleep(Duration::from_millis(700)).await;
        h.control.drop_sockets();
        let dropped = Instant::now();
        h.wait_for(
            5.0,
            "the drop",
            |e| matches!(e, EngineEvent::State { state, .. } if *state != ConnState::Live),
        )
        .await;
        h.wait_live_sse(6.0).await;
        let took = dropped.elapsed();
        // min 20 ms + up to 50 ms, plus the connect: far under our own 5 s ceiling.
        assert!(
            took < Duration::from_millis(1_000),
            "round {round}: {took:?}"
        );
    }
}
