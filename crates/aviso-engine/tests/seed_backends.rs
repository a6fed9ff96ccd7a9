//! The engine against the real seed backends of `tests/servers/` (Django, Channels, daphne
//! and Redis for seeds 000-002, Node socket.io for 003, Python `websockets` for 004), each
//! on free loopback ports: every message type of each dialect, mark-read visible on the
//! server, auth failures, the 404 fallback, and server restarts.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use aviso_engine::credentials::Tokens;
use aviso_engine::{ConnState, EngineEvent, Secret, StreamState, TransportKind};
use aviso_testkit::engine::account;
use aviso_testkit::seed_servers::{Django, Furniture, SocketIo};
use aviso_testkit::{ArtifactDir, EngineRun, FastProfile, ReservedPort};
use serde_json::{json, Value};
use tokio::time::Instant;

/// Test-sized timers for any preset: pings every 0.5 s, dead after 3 s, polls every 0.5 s,
/// probes every 1 s, safety poll every 2 s, fast backoff, connect timeout 5 s.
fn fast(preset: &str) -> String {
    FastProfile::new(preset)
        .dead_after(3.0)
        .connect_timeout(5.0)
        .text()
}

/// An engine with one account, `acc` (through [`EngineRun`], which it derefs to).
struct Watch {
    run: EngineRun,
    dir: ArtifactDir,
}

impl Deref for Watch {
    type Target = EngineRun;
    fn deref(&self) -> &EngineRun {
        &self.run
    }
}

impl DerefMut for Watch {
    fn deref_mut(&mut self) -> &mut EngineRun {
        &mut self.run
    }
}

impl Watch {
    async fn start(
        server: &str,
        profile: &str,
        tokens: Option<(String, String)>,
        params: &[(&str, &str)],
    ) -> Watch {
        Watch::start_in(server, profile, tokens, params, None).await
    }

    /// As `start`, on the data directory `dir` when given (an earlier run's: a restart).
    /// Without tokens, the keyring's.
    async fn start_in(
        server: &str,
        profile: &str,
        tokens: Option<(String, String)>,
        params: &[(&str, &str)],
        dir: Option<ArtifactDir>,
    ) -> Watch {
        let dir = dir.unwrap_or_else(|| ArtifactDir::new("seeds"));
        let tokens = tokens.map(|(access, refresh)| Tokens {
            access: Secret::new(access),
            refresh: Some(Secret::new(refresh)),
        });
        let mut run = EngineRun::open(dir.path(), tokens);
        run.add(account("acc", server, profile, params));
        Watch { run, dir }
    }

    /// The account's own state line (not a channel's).
    async fn wait_state(&mut self, secs: f64, state: ConnState) -> EngineEvent {
        self.run.wait_account_state(secs, state).await
    }

    /// The account's own state line, seen since `from` (an index into `seen`) or still to come.
    async fn wait_state_from(&mut self, secs: f64, state: ConnState, from: usize) {
        self.run.wait_account_state_from(secs, state, from).await
    }

    /// Closes the engine as quitting does; its folder, for the next start.
    async fn quit(self) -> ArtifactDir {
        let Watch { mut run, dir } = self;
        run.close().await;
        dir
    }

    fn errors(&self) -> Vec<(String, String)> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                EngineEvent::Error { code, message, .. } => {
                    Some((code.to_string(), message.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

fn id_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .expect("an id list")
        .iter()
        .map(|v| v.to_string())
        .collect()
}

/// Polls `check` until it is true (the server side of an effect; no fixed sleeps).
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------- seed 000

/// Seed 000 re-proven on real Django: simplejwt login, REST catch-up of a backlog, live
/// pushes, mark-read visible in Django, an expired token refreshed once (403 at the
/// handshake), and a revoked one ending in `needs_login` after at most one refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_on_real_django_login_pushes_catch_up_mark_read_and_auth() {
    let dj = Django::start().await;
    let backlog = id_set(
        &dj.post("/__test/smartsales/notifications/", json!({"count": 2}))
            .await["ids"],
    );
    let tokens = dj.login("admin").await;
    let mut w = Watch::start(&dj.url(), &fast("smartsales"), Some(tokens), &[]).await;
    w.wait_state(15.0, ConnState::Live).await;
    w.wait_ids(10.0, &backlog).await;
    let pushed = id_set(
        &dj.post("/__test/smartsales/notifications/", json!({"count": 3}))
            .await["ids"],
    );
    w.wait_ids(10.0, &pushed).await;
    let n = w
        .notifications()
        .into_iter()
        .find(|n| pushed.contains(&n.id))
        .unwrap();
    assert!(
        !n.title.is_empty()
            && !n.read
            && n.url.as_deref().is_some_and(|u| u.starts_with("/admin/"))
    );

    // Mark-read reaches Django over REST.
    let target = pushed.iter().next().unwrap().clone();
    w.engine()
        .mark_read("acc", vec![target.clone()])
        .await
        .unwrap();
    eventually(10, "mark-read visible in Django", || async {
        let rows = dj
            .get("/__test/smartsales/notifications/?username=admin")
            .await;
        rows["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"].to_string().as_str() == target.as_str() && r["leida"] == true)
    })
    .await;

    // Expired access token: daphne answers 403 at the handshake; one refresh, live again.
    dj.post("/__test/stats/", json!({})).await;
    dj.post("/__test/tokens/expire/", json!({})).await;
    dj.post("/__test/ws/drop/", json!({})).await;
    w.wait_for(
        10.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state, .. } if *state != ConnState::Live),
    )
    .await;
    w.wait_state(15.0, ConnState::Live).await;
    let stats = dj.stats().await;
    assert_eq!(stats["token_refresh"]["ok"], 1, "{stats}");
    let after = id_set(
        &dj.post("/__test/smartsales/notifications/", json!({"count": 1}))
            .await["ids"],
    );
    w.wait_ids(10.0, &after).await;

    // Revoked (refresh too): needs_login after at most one refresh, then silence.
    dj.post("/__test/stats/", json!({})).await;
    dj.post("/__test/tokens/revoke/", json!({})).await;
    dj.post("/__test/ws/drop/", json!({})).await;
    let ev = w.wait_state(15.0, ConnState::NeedsLogin).await;
    assert!(
        matches!(&ev, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::AuthFailed),
        "{ev:?}"
    );
    let at_login = dj.stats().await;
    assert!(
        at_login["token_refresh"]["total"].as_u64().unwrap() <= 1,
        "{at_login}"
    );
    w.drain(2.0).await;
    let later = dj.stats().await;
    assert_eq!(
        later["handshakes"]["total"], at_login["handshakes"]["total"],
        "a reconnect storm"
    );
    assert_eq!(
        later["token_refresh"]["total"],
        at_login["token_refresh"]["total"]
    );
    w.assert_no_duplicates();
}

/// Seed 000 on real Django with a worker process bursting 300 notifications through a channel
/// layer of capacity 5 (channels_redis drops, without a word, what a full channel cannot take,
/// as with the 1,236 of 2,000 seen on a busy backend): the socket delivers only part of them,
/// and every dropped one is back within 10 s of the burst's end through the catch-up
/// `after_push_secs` after the pushes stop (the safety poll is 10 min here), on the same
/// connection, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_pushes_the_channel_layer_drops_in_a_burst_are_back_within_seconds() {
    const BURST: usize = 300;
    let dj = Django::start().await;
    let tokens = dj.login("admin").await;
    let fast_polls =
        "[polling]\ninterval_secs = 0.5\nprobe_interval_secs = 1.0\nsafety_interval_secs = 2.0";
    // Only the catch-up after the pushes can bring the dropped ones back in time: no poll
    // for 10 min, and a peer is dead only after 15 s without an answer (a reconnect's
    // catch-up would bring them too, and is not what this proves).
    let profile = fast("smartsales")
        .replace(
            fast_polls,
            "[polling]\ninterval_secs = 600.0\nprobe_interval_secs = 600.0\n\
             safety_interval_secs = 600.0\nafter_push_secs = 1.0",
        )
        .replace("timeout_secs = 3.0", "timeout_secs = 15.0");
    assert!(profile.contains("after_push_secs") && profile.contains("timeout_secs = 15.0"));
    let mut w = Watch::start(&dj.url(), &profile, Some(tokens), &[]).await;
    let mut frames = w.engine().tap_frames().expect("the only tap");
    w.wait_state(15.0, ConnState::Live).await;
    // The catch-up on connecting (of nothing) is done.
    w.drain(1.0).await;
    dj.post("/__test/stats/", json!({})).await;

    // Another process (a worker, as a real backend's Celery task would be) creates the rows,
    // then pushes them all at once with its channel layer's capacity set to 5.
    let out = dj.shell_with(
        &format!(
            r#"
import asyncio, json
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from smartsales.models import NotificacionAdmin
admin = get_user_model().objects.get(username="admin")
NotificacionAdmin.objects.bulk_create([
    NotificacionAdmin(usuario=admin, tipo="nueva_compra", titulo=f"Compra {{i}}",
                      mensaje=f"Compra de la ráfaga número {{i}}", datos={{"n": i}})
    for i in range({BURST})
])
rows = list(NotificacionAdmin.objects.filter(usuario=admin).order_by("id"))
layer = get_channel_layer()
async def burst():
    # As many at once as the layer's connection pool takes.
    slots = asyncio.Semaphore(20)
    async def send(row):
        async with slots:
            await layer.group_send(f"admin_notifications_{{admin.id}}",
                                   {{"type": "send_notification", "notification": row.as_frame()}})
    await asyncio.gather(*(send(row) for row in rows))
asyncio.run(burst())
print(json.dumps([row.id for row in rows]))
"#
        ),
        &[("CHANNELS_CAPACITY", "5")],
    );
    let end = Instant::now();
    let all: BTreeSet<String> =
        id_set(&serde_json::from_str::<Value>(out.lines().last().expect("the ids")).unwrap());
    assert_eq!(all.len(), BURST);

    w.wait_ids(10.0, &all).await;
    assert!(
        end.elapsed() <= Duration::from_secs(10),
        "back {:?} after the burst",
        end.elapsed()
    );
    let mut pushed = BTreeSet::new();
    while let Ok(tapped) = frames.try_recv() {
        for became in tapped.became {
            if let aviso_engine::frame::Became::Notification { id, .. } = became {
                pushed.insert(id);
            }
        }
    }
    assert!(
        !pushed.is_empty() && pushed.len() < BURST,
        "the channel layer dropped part of the burst: {} of {BURST} came over the socket",
        pushed.len()
    );
    let stats = dj.stats().await;
    assert_eq!(
        stats["handshakes"]["total"], 0,
        "recovered on the same connection: {stats}"
    );
    w.assert_no_duplicates();
    assert_eq!(
        w.engine().store().unread_count(Some("acc")).unwrap(),
        BURST as u64
    );
}

/// Seed 000 with a user who is not staff (`cliente`): the socket refuses it (HTTP 403) even
/// with a token refreshed a moment ago. That is a permission the user lacks, not a login gone
/// stale: the state says `needs_login` with detail `forbidden`, one `forbidden` error line says
/// so, after one refresh and no retry storm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_a_user_without_permission_is_told_so_not_to_log_in_again() {
    let dj = Django::start().await;
    let tokens = dj.login("cliente").await;
    let mut w = Watch::start(&dj.url(), &fast("smartsales"), Some(tokens), &[]).await;
    let ev = w.wait_state(15.0, ConnState::NeedsLogin).await;
    assert!(
        matches!(&ev, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::Forbidden),
        "{ev:?}"
    );
    w.drain(2.0).await;
    let errors = w.errors();
    assert_eq!(
        errors.iter().filter(|(c, _)| c == "forbidden").count(),
        1,
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .all(|(c, m)| c != "needs_login" && !m.contains("refresh token")),
        "{errors:?}"
    );
    let stats = dj.stats().await;
    assert_eq!(stats["token_refresh"]["ok"], 1, "{stats}");
    assert!(
        stats["handshakes"]["total"].as_u64().unwrap() <= 2,
        "{stats}"
    );
}

/// A profile that sends no token (`auth.mode = "none"`) pointed at seed 000, which wants one:
/// the state says `needs_login` with detail `auth_required`, one `auth_required` error line
/// says what to change, and the keyring is never asked (no D-Bus error, even without a bus).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_a_profile_without_auth_is_told_the_server_wants_a_login() {
    let dj = Django::start().await;
    let profile = format!("{}\n[auth]\nmode = \"none\"\n", fast("smartsales"));
    let mut w = Watch::start(&dj.url(), &profile, None, &[]).await;
    let ev = w.wait_state(15.0, ConnState::NeedsLogin).await;
    assert!(
        matches!(&ev, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::AuthRequired),
        "{ev:?}"
    );
    w.drain(1.0).await;
    let errors = w.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "auth_required");
    assert!(errors[0].1.contains("auth.mode"), "{errors:?}");
}

/// Seed 000 read as a server whose REST list is newest first (`next` goes to older pages):
/// a backlog of three pages comes in whole at the first catch-up, and after a restart only
/// what is new, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_newest_first_list_catches_up_whole_and_once() {
    let dj = Django::start().await;
    dj.config(json!({"list_order": "desc"})).await;
    let backlog = id_set(
        &dj.post("/__test/smartsales/notifications/", json!({"count": 450}))
            .await["ids"],
    );
    let tokens = dj.login("admin").await;
    let w = Watch::start(&dj.url(), &fast("smartsales"), Some(tokens.clone()), &[]).await;
    let mut w = w;
    w.wait_state(15.0, ConnState::Live).await;
    w.wait_ids(20.0, &backlog).await;
    w.assert_no_duplicates();
    let _dir = w.quit().await;
    let more = id_set(
        &dj.post("/__test/smartsales/notifications/", json!({"count": 5}))
            .await["ids"],
    );
    let mut w = Watch::start_in(
        &dj.url(),
        &fast("smartsales"),
        Some(tokens),
        &[],
        Some(_dir),
    )
    .await;
    w.wait_state(15.0, ConnState::Live).await;
    w.wait_ids(15.0, &more).await;
    w.drain(2.0).await;
    assert_eq!(w.notified(), more, "only what is new, once each");
    w.assert_no_duplicates();
    assert!(w.errors().is_empty(), "{:?}", w.errors());
}

/// Seed 000 on real Django: the ws_404 mode (a real HTTP 404 at the handshake) falls back to
/// REST polling and returns to the WebSocket; a server restart with notifications created
/// while it was down loses nothing and repeats nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_on_real_django_404_fallback_and_restart() {
    let mut dj = Django::start().await;
    let tokens = dj.login("admin").await;
    let mut w = Watch::start(&dj.url(), &fast("smartsales"), Some(tokens), &[]).await;
    w.wait_state(15.0, ConnState::Live).await;

    dj.config(json!({"ws_404": true})).await;
    dj.post("/__test/ws/drop/", json!({})).await;
    let polling = w.wait_state(10.0, ConnState::Polling).await;
    assert!(
        matches!(&polling, EngineEvent::State { detail, transport: Some(TransportKind::Polling), .. } if *detail == aviso_engine::StateDetail::NoWebsocket),
        "{polling:?}"
    );
    let polled = id_set(
        &dj.post("/__test/smartsales/notifications/", json!({"count": 2}))
            .await["ids"],
    );
    w.wait_ids(10.0, &polled).await;
    assert!(
        dj.stats().await["handshakes"]["not_found"]
            .as_u64()
            .unwrap()
            >= 1
    );
    dj.config(json!({"ws_404": false})).await;
    let live = w.wait_state(10.0, ConnState::Live).await;
    assert!(matches!(
        &live,
        EngineEvent::State {
            transport: Some(TransportKind::Websocket),
            ..
        }
    ));
    let pushed = id_set(
        &dj.post("/__test/smartsales/notifications/", json!({"count": 1}))
            .await["ids"],
    );
    w.wait_ids(10.0, &pushed).await;

    // Restart: rows created while daphne is down (by another worker) arrive once it is back.
    dj.stop();
    w.wait_for(
        10.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state, .. } if *state != ConnState::Live),
    )
    .await;
    let out = dj.shell(
        "import json\nfrom django.contrib.auth import get_user_model\n\
         from smartsales.models import NotificacionAdmin\n\
         u = get_user_model().objects.get(username='admin')\n\
         print(json.dumps([NotificacionAdmin.objects.create(usuario=u, tipo='nueva_compra', \
         titulo='Mientras caído', mensaje='m').id for _ in range(3)]))",
    );
    let during = id_set(&serde_json::from_str(out.trim().lines().last().unwrap()).unwrap());
    dj.restart();
    w.wait_ids(20.0, &during).await;
    let after = id_set(
        &dj.post("/__test/smartsales/notifications/", json!({"count": 2}))
            .await["ids"],
    );
    w.wait_ids(10.0, &after).await;
    w.drain(0.5).await;
    w.assert_no_duplicates();
    assert_eq!(w.notified().len(), 8);
}

// ---------------------------------------------------------------- seed 000 over SSE

/// The smartsales-sse preset with the test timers; the server writes a keep-alive comment
/// every 0.5 s (`sse_keepalive`), so a 3 s silence is a dead peer.
async fn sse_watch(dj: &Django, dir: Option<ArtifactDir>) -> Watch {
    dj.config(json!({"sse_keepalive": 0.5})).await;
    let tokens = dj.login("admin").await;
    let profile = fast("smartsales-sse");
    Watch::start_in(&dj.url(), &profile, Some(tokens), &[], dir).await
}

async fn wait_live_sse(w: &mut Watch, secs: f64) {
    w.wait_for(secs, "live over SSE", |e| {
        matches!(
            e,
            EngineEvent::State {
                state: ConnState::Live,
                transport: Some(TransportKind::Sse),
                channel: None,
                ..
            }
        )
    })
    .await;
}

async fn push(dj: &Django, count: u64) -> BTreeSet<String> {
    id_set(
        &dj.post("/__test/smartsales/notifications/", json!({"count": count}))
            .await["ids"],
    )
}

fn sse_ids_sent(stats: &Value) -> Vec<Option<String>> {
    serde_json::from_value(stats["sse_last_event_ids"].clone()).unwrap()
}

/// Seed 000 over django-eventstream on real Django + Channels + daphne + Redis: live delivery
/// once each; a server restart with notifications sent while it was down (stored by
/// django-eventstream) resumes with Last-Event-ID and loses and repeats nothing; an Aviso
/// restart resumes from the stored id; a stalled stream (no bytes, TCP open) is a dead peer
/// within the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_sse_on_real_django_live_resume_restarts_and_stall() {
    let mut dj = Django::start().await;
    let mut w = sse_watch(&dj, None).await;
    wait_live_sse(&mut w, 15.0).await;
    let live = push(&dj, 3).await;
    w.wait_ids(10.0, &live).await;
    w.drain(0.5).await;
    w.assert_no_duplicates();
    let stored = w.engine().store().event_id("acc", "").unwrap().unwrap();
    assert!(
        stored.starts_with("admin-notificaciones-") && stored.ends_with(":3"),
        "{stored}"
    );
    assert_eq!(sse_ids_sent(&dj.stats().await), vec![None]);

    // Server restart; the seed's send_admin_notification runs meanwhile (another worker).
    dj.stop();
    w.wait_for(
        10.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state, .. } if *state != ConnState::Live),
    )
    .await;
    let out = dj.shell(
        "import json\nfrom django.contrib.auth import get_user_model\n\
         from smartsales.push_service import send_admin_notification\n\
         u = get_user_model().objects.get(username='admin')\n\
         print(json.dumps([send_admin_notification(u, 'nueva_compra', 'Mientras caído', 'm').id \
         for _ in range(3)]))",
    );
    let during = id_set(&serde_json::from_str(out.trim().lines().last().unwrap()).unwrap());
    dj.restart();
    dj.config(json!({"sse_keepalive": 0.5})).await;
    w.wait_ids(20.0, &during).await;
    let after = push(&dj, 2).await;
    w.wait_ids(10.0, &after).await;
    w.drain(0.5).await;
    w.assert_no_duplicates();
    assert_eq!(w.notified().len(), 8);
    // The restarted server's first stream request carried the position before the restart.
    let sent = sse_ids_sent(&dj.stats().await);
    assert_eq!(
        sent.first().cloned().flatten(),
        Some(stored.clone()),
        "{sent:?}"
    );
    assert!(sent.iter().all(Option::is_some), "{sent:?}");

    // Aviso restarted: the new engine resumes from the stored id and prints only what is new.
    let before_quit = w.engine().store().event_id("acc", "").unwrap().unwrap();
    assert!(before_quit.ends_with(":8"), "{before_quit}");
    let _dir = w.quit().await;
    let missed = push(&dj, 2).await;
    dj.post("/__test/stats/", json!({})).await;
    let mut w = sse_watch(&dj, Some(_dir)).await;
    wait_live_sse(&mut w, 15.0).await;
    w.wait_ids(10.0, &missed).await;
    w.drain(0.5).await;
    assert_eq!(w.notified(), missed, "only the new ones, once");
    w.assert_no_duplicates();
    let sent = sse_ids_sent(&dj.stats().await);
    assert_eq!(
        sent.first().cloned().flatten(),
        Some(before_quit),
        "{sent:?}"
    );

    // Stall: the server stops writing, the TCP connection stays open.
    dj.config(json!({"sse_stall": true})).await;
    let started = Instant::now();
    w.wait_for(
        8.0,
        "dead peer",
        |e| matches!(e, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::DeadPeer),
    )
    .await;
    let took = started.elapsed();
    // A 3 s timeout; the server notices the flag within its 0.5 s keep-alive tick.
    assert!(took <= Duration::from_secs(5), "took {took:?}");
    let stalled = push(&dj, 1).await;
    dj.config(json!({"sse_stall": false})).await;
    wait_live_sse(&mut w, 15.0).await;
    w.wait_ids(10.0, &stalled).await;
    w.drain(0.5).await;
    w.assert_no_duplicates();
}

/// Seed 000 over SSE on real Django: an expired token (401 at the stream request) is refreshed
/// once; a revoked one ends in needs_login after one refresh, and nothing is retried; the
/// endpoint answering 404 falls back to REST polling and the probe returns to the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_sse_on_real_django_auth_and_404_fallback() {
    let dj = Django::start().await;
    let mut w = sse_watch(&dj, None).await;
    wait_live_sse(&mut w, 15.0).await;

    // 404: polling, then back to the stream.
    dj.config(json!({"ws_404": true})).await;
    dj.post("/__test/sse/drop/", json!({})).await;
    let polling = w.wait_state(10.0, ConnState::Polling).await;
    assert!(
        matches!(&polling, EngineEvent::State { detail, transport: Some(TransportKind::Polling), .. } if *detail == aviso_engine::StateDetail::NoWebsocket),
        "{polling:?}"
    );
    let polled = push(&dj, 2).await;
    w.wait_ids(10.0, &polled).await;
    assert!(dj.stats().await["sse"]["not_found"].as_u64().unwrap() >= 1);
    dj.config(json!({"ws_404": false})).await;
    wait_live_sse(&mut w, 10.0).await;
    let pushed = push(&dj, 1).await;
    w.wait_ids(10.0, &pushed).await;

    // Expired access token: 401 at the stream request; one refresh, live again.
    dj.post("/__test/stats/", json!({})).await;
    dj.post("/__test/tokens/expire/", json!({})).await;
    dj.post("/__test/sse/drop/", json!({})).await;
    w.wait_for(
        10.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state, .. } if *state != ConnState::Live),
    )
    .await;
    wait_live_sse(&mut w, 15.0).await;
    let stats = dj.stats().await;
    assert_eq!(stats["token_refresh"]["ok"], 1, "{stats}");
    let after = push(&dj, 1).await;
    w.wait_ids(10.0, &after).await;

    // Revoked: needs_login after one refresh, then silence.
    dj.post("/__test/stats/", json!({})).await;
    dj.post("/__test/tokens/revoke/", json!({})).await;
    dj.post("/__test/sse/drop/", json!({})).await;
    let ev = w.wait_state(15.0, ConnState::NeedsLogin).await;
    assert!(
        matches!(&ev, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::AuthFailed),
        "{ev:?}"
    );
    let at_login = dj.stats().await;
    assert_eq!(at_login["token_refresh"]["total"], 1, "{at_login}");
    w.drain(2.0).await;
    let later = dj.stats().await;
    assert_eq!(
        later["sse"]["total"], at_login["sse"]["total"],
        "a reconnect storm"
    );
    assert_eq!(
        later["token_refresh"]["total"],
        at_login["token_refresh"]["total"]
    );
    w.assert_no_duplicates();
}

// ---------------------------------------------------------------- seed 001

/// Seed 001 on a server without our REST list (the seed shows none; the preset's path is a
/// guess): the socket's initial list and pushes still arrive, and the state says `no_catch_up`
/// (what is sent while disconnected beyond the initial 50 cannot be recovered), with no error
/// line and no retry of the missing path while connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_001_without_a_rest_list_says_no_catch_up() {
    let dj = Django::start().await;
    let first = id_set(
        &dj.post(
            "/__test/wearable/notificaciones/",
            json!({"consumidor_id": 22, "count": 2}),
        )
        .await["ids"],
    );
    let profile = format!(
        "{}\n[rest]\nlist = \"GET /api/sin-lista/?consumidor_id={{consumidor_id}}&after={{cursor}}\"\n",
        fast("wearable")
    );
    let mut w = Watch::start(&dj.url(), &profile, None, &[("consumidor_id", "22")]).await;
    w.wait_for(15.0, "live, no catch-up", |e| {
        matches!(e, EngineEvent::State { state: ConnState::Live, channel: None, detail, .. } if *detail == aviso_engine::StateDetail::NoCatchUp)
    })
    .await;
    w.wait_ids(10.0, &first).await;
    let pushed = id_set(
        &dj.post(
            "/__test/wearable/notificaciones/",
            json!({"consumidor_id": 22}),
        )
        .await["ids"],
    );
    w.wait_ids(10.0, &pushed).await;
    w.drain(3.0).await;
    assert!(w.errors().is_empty(), "{:?}", w.errors());
    let asked = dj.stats().await["rest"]["by_path"]["GET /api/sin-lista/"]["total"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        asked <= 1,
        "the missing list was asked {asked} times while connected"
    );
}

/// Seed 001 (WearableApi): initial_notifications with the server's read state,
/// new_notification pushes, a partial notification (id, tipo, contenido only), app-level
/// ping/pong keeping the socket alive, mark-read over the socket confirmed by marked_read
/// and visible in Django (no REST call), and an `error` reply surfaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_001_wearable_dialect_on_real_django() {
    let dj = Django::start().await;
    let created = dj
        .post("/__test/wearable/notificaciones/", json!({"consumidor_id": 22, "count": 2, "tipo": "recordatorio", "contenido": "¡Recuerda registrar tu formulario!"}))
        .await;
    let first: Vec<String> = id_set(&created["ids"]).into_iter().collect();
    // One is already read on the server.
    let read_on_server = first[0].clone();
    dj.shell(&format!(
        "from wearable.models import Notificacion\nNotificacion.objects.filter(id={read_on_server}).update(leida=True)"
    ));
    // Another consumidor's notification must never show up.
    dj.post(
        "/__test/wearable/notificaciones/",
        json!({"consumidor_id": 23}),
    )
    .await;
    let mut w = Watch::start(
        &dj.url(),
        &fast("wearable"),
        None,
        &[("consumidor_id", "22")],
    )
    .await;
    w.wait_state(15.0, ConnState::Live).await;
    w.wait_ids(10.0, &first.iter().cloned().collect()).await;
    let initial: BTreeMap<String, bool> = w
        .notifications()
        .into_iter()
        .map(|n| (n.id.clone(), n.read))
        .collect();
    assert!(initial[&read_on_server], "the server's read state");
    assert!(!initial[&first[1]]);
    let n = w
        .notifications()
        .into_iter()
        .find(|n| n.id == first[1])
        .unwrap();
    assert_eq!(n.kind, "recordatorio");
    assert_eq!(n.title, "¡Recuerda registrar tu formulario!");
    assert!(
        n.data.get("deseo_id").is_some() && n.data.get("fecha_envio").is_some(),
        "{:?}",
        n.data
    );

    // new_notification push, with deseo_id.
    let pushed = id_set(&dj.post("/__test/wearable/notificaciones/", json!({"consumidor_id": 22, "contenido": "Alta probabilidad de craving detectada", "deseo_id": 5})).await["ids"]);
    w.wait_ids(10.0, &pushed).await;
    let p = w
        .notifications()
        .into_iter()
        .find(|n| pushed.contains(&n.id))
        .unwrap();
    assert_eq!(
        (p.kind.as_str(), p.data["deseo_id"].as_i64()),
        ("alerta", Some(5))
    );

    // The seed's shell example: a partial notification.
    dj.post("/__test/wearable/push/", json!({"consumidor_id": 22, "notification": {"id": 999, "tipo": "test", "contenido": "Test desde shell"}})).await;
    w.wait_ids(10.0, &["999".to_string()].into()).await;
    let partial = w
        .notifications()
        .into_iter()
        .find(|n| n.id == "999")
        .unwrap();
    assert_eq!(
        (partial.title.as_str(), partial.read),
        ("Test desde shell", false)
    );
    assert!(!w
        .notified()
        .iter()
        .any(|id| !first.contains(id) && !pushed.contains(id) && id != "999"));

    // App pings (every 0.5 s; dead after 3 s) are answered with pongs: the socket stays up
    // though daphne's own pings come only every 20 s.
    let accepted = dj.stats().await["handshakes"]["accepted"].clone();
    w.drain(4.0).await;
    assert!(!w
        .seen
        .iter()
        .any(|e| matches!(e, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::DeadPeer)));
    assert_eq!(dj.stats().await["handshakes"]["accepted"], accepted);

    // Mark-read over the socket, confirmed by marked_read, visible in Django.
    let target = first[1].clone();
    w.engine()
        .mark_read("acc", vec![target.clone()])
        .await
        .unwrap();
    eventually(10, "mark-read visible in Django", || async {
        let rows = dj
            .get("/__test/wearable/notificaciones/?consumidor_id=22")
            .await;
        rows["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"].to_string().as_str() == target.as_str() && r["leida"] == true)
    })
    .await;
    let rest = dj.stats().await["rest"]["by_path"].clone();
    assert!(
        !rest
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.contains("marcar-leida")),
        "went over REST, not the socket: {rest}"
    );
    eventually(5, "the outbox confirmed", || async {
        w.engine().store().outbox("acc").unwrap().is_empty()
    })
    .await;

    // An id the server does not know: the `error` reply is surfaced and the op dropped.
    w.engine()
        .mark_read("acc", vec!["999".into()])
        .await
        .unwrap();
    let err = w
        .wait_for(10.0, "error line", |e| {
            matches!(e, EngineEvent::Error { .. })
        })
        .await;
    assert!(
        matches!(&err, EngineEvent::Error { code, message, .. } if *code == aviso_engine::ErrorCode::ServerError && message.contains("999")),
        "{err:?}"
    );
    eventually(5, "the refused op dropped", || async {
        w.engine().store().outbox("acc").unwrap().is_empty()
    })
    .await;
    w.assert_no_duplicates();
}

/// Seed 001 across a restart: a mark-read made while the server is down is sent once it is
/// back (retried until confirmed) and notifications created meanwhile arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_001_mark_read_while_down_reaches_django_after_restart() {
    let mut dj = Django::start().await;
    let first = id_set(
        &dj.post(
            "/__test/wearable/notificaciones/",
            json!({"consumidor_id": 7, "count": 2}),
        )
        .await["ids"],
    );
    let mut profile = fast("wearable");
    // Keep the socket path: the REST fallback would also deliver the mark-read.
    profile = profile.replace("fallback_after = 4", "fallback_after = 1000");
    let mut w = Watch::start(&dj.url(), &profile, None, &[("consumidor_id", "7")]).await;
    w.wait_state(15.0, ConnState::Live).await;
    w.wait_ids(10.0, &first).await;
    dj.stop();
    w.wait_for(
        10.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state, .. } if *state != ConnState::Live),
    )
    .await;
    let target = first.iter().next().unwrap().clone();
    w.engine()
        .mark_read("acc", vec![target.clone()])
        .await
        .unwrap();
    let out = dj.shell(
        "import json\nfrom wearable.models import Notificacion\n\
         print(json.dumps([Notificacion.objects.create(consumidor_id='7', tipo='alerta', contenido='Mientras caído').id]))",
    );
    let during = id_set(&serde_json::from_str(out.trim().lines().last().unwrap()).unwrap());
    assert_eq!(w.engine().store().outbox("acc").unwrap().len(), 1, "queued");
    dj.restart();
    w.wait_state(20.0, ConnState::Live).await;
    w.wait_ids(10.0, &during).await;
    eventually(15, "the queued mark-read reached Django", || async {
        let rows = dj
            .get("/__test/wearable/notificaciones/?consumidor_id=7")
            .await;
        rows["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"].to_string().as_str() == target.as_str() && r["leida"] == true)
    })
    .await;
    eventually(5, "confirmed", || async {
        w.engine().store().outbox("acc").unwrap().is_empty()
    })
    .await;
    w.assert_no_duplicates();
}

// ---------------------------------------------------------------- seed 002

const CHANNELS: [&str; 5] = [
    "sensor_data",
    "heart_rate_today",
    "heart_rate_stats",
    "desires_tracking",
    "desires_stats",
];

fn channel_state(e: &EngineEvent, want: ConnState) -> Option<String> {
    match e {
        EngineEvent::State {
            channel: Some(c),
            state,
            ..
        } if *state == want => Some(c.clone()),
        _ => None,
    }
}

impl Watch {
    /// Waits until every channel reported `state` (since `from`, an index into `seen`).
    async fn wait_channels(&mut self, secs: f64, state: ConnState, from: usize) {
        let done = |seen: &[EngineEvent]| {
            let got: BTreeSet<String> = seen[from..]
                .iter()
                .filter_map(|e| channel_state(e, state))
                .collect();
            CHANNELS.iter().all(|c| got.contains(*c))
        };
        while !done(&self.seen) {
            self.wait_for(secs, &format!("every channel {}", state.as_str()), |e| {
                channel_state(e, state).is_some()
            })
            .await;
        }
    }

    fn streams_of(&self, channel: &str) -> Vec<(String, Value)> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                EngineEvent::Stream {
                    channel: c,
                    event,
                    data,
                    ..
                } if c == channel => Some((event.clone(), data.clone())),
                _ => None,
            })
            .collect()
    }

    async fn wait_stream(
        &mut self,
        secs: f64,
        channel: &str,
        pred: impl Fn(&str, &Value) -> bool,
    ) -> Value {
        let ev = self
            .wait_for(secs, &format!("a stream value on {channel}"), |e| {
                matches!(e, EngineEvent::Stream { channel: c, event, data, .. } if c == channel && pred(event, data))
            })
            .await;
        match ev {
            EngineEvent::Stream { data, .. } => data,
            _ => unreachable!(),
        }
    }
}

/// The `wearable-streams` preset for consumidor 22, logged in as admin, with `extra` params.
async fn streams_watch(dj: &Django, extra: &[(&str, &str)]) -> Watch {
    let tokens = dj.login("admin").await;
    let mut params = vec![("consumidor_id", "22")];
    params.extend_from_slice(extra);
    Watch::start(&dj.url(), &fast("wearable-streams"), Some(tokens), &params).await
}

/// Seed 002: five sockets per account with the JWT in ?token=; every channel's update type
/// arrives as a `stream` event (not a notification), the engine keeps the latest value per
/// channel with its state, and a high heart rate raises the profile's alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_002_five_channels_stream_live_values_and_alert() {
    let mut dj = Django::start().await;
    let mut w = streams_watch(&dj, &[("max_bpm", "150")]).await;
    w.wait_channels(15.0, ConnState::Live, 0).await;
    w.wait_state_from(5.0, ConnState::Live, 0).await;
    for (channel, event) in [
        ("sensor_data", "sensor_update"),
        ("heart_rate_today", "heart_rate_update"),
        ("heart_rate_stats", "heart_rate_stats_update"),
        ("desires_tracking", "desires_tracking_update"),
        ("desires_stats", "desires_stats_update"),
    ] {
        if !w.streams_of(channel).iter().any(|(e, _)| e == event) {
            w.wait_stream(10.0, channel, |e, _| e == event).await;
        }
    }
    assert_eq!(dj.stats().await["ws_open"], 5);
    // Live updates: a sensor reading (one object) and a heart rate (both heart-rate channels).
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "sensor_data", "consumidor_id": "22", "accel_x": 1.5}),
    )
    .await;
    let reading = w
        .wait_stream(10.0, "sensor_data", |_, d| {
            d.get("accel_x") == Some(&json!(1.5))
        })
        .await;
    assert!(reading["id"].is_number());
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "heart_rate_today", "consumidor_id": "22", "bpm": 90}),
    )
    .await;
    w.wait_stream(10.0, "heart_rate_today", |_, d| d["actual"] == 90)
        .await;
    w.wait_stream(10.0, "heart_rate_stats", |_, d| {
        d["total_lecturas"].as_u64() >= Some(1)
    })
    .await;
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "desires_tracking", "consumidor_id": "22", "intensidad": 7}),
    )
    .await;
    w.wait_stream(10.0, "desires_stats", |_, d| d["total"].as_u64() >= Some(1))
        .await;
    assert!(
        w.notifications().is_empty(),
        "stream values are not notifications"
    );

    // The live view: latest value and state per channel.
    let streams = w.engine().streams();
    assert_eq!(streams.len(), 5, "{streams:?}");
    for s in &streams {
        assert_eq!(s.state, StreamState::Open, "{s:?}");
        assert!(s.last_update.is_some() && s.event.is_some(), "{s:?}");
    }
    let hr = streams
        .iter()
        .find(|s| s.channel == "heart_rate_today")
        .unwrap();
    assert_eq!(hr.data["actual"], 90);

    // A heart rate above max_bpm (150) raises one alert notification.
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "heart_rate_today", "consumidor_id": "22", "bpm": 170}),
    )
    .await;
    w.wait_count(10.0, 1).await;
    let alert = &w.notifications()[0];
    assert_eq!(alert.kind, "ritmo_alto");
    assert_eq!(alert.title, "Ritmo cardíaco alto: 170 lpm");
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "heart_rate_today", "consumidor_id": "22", "bpm": 175}),
    )
    .await;
    w.wait_stream(10.0, "heart_rate_today", |_, d| d["actual"] == 175)
        .await;
    assert_eq!(w.notifications().len(), 1, "still high: no second alert");

    // request_data: a reading stored without a push reaches the live view at the next
    // catch-up (every 2 s here), because the engine asks the server for current data.
    dj.shell("from dashboard.models import LecturaRitmo\nLecturaRitmo.objects.create(consumidor_id='22', bpm=99)");
    w.wait_stream(10.0, "heart_rate_today", |_, d| d["actual"] == 99)
        .await;

    // A restart of the server: every channel reconnects and values flow again.
    dj.stop();
    let mark = w.seen.len();
    w.wait_for(10.0, "the drop", |e| {
        channel_state(e, ConnState::Live).is_none()
            && matches!(
                e,
                EngineEvent::State {
                    channel: Some(_),
                    ..
                }
            )
    })
    .await;
    dj.restart();
    w.wait_channels(20.0, ConnState::Live, mark).await;
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "heart_rate_today", "consumidor_id": "22", "bpm": 101}),
    )
    .await;
    w.wait_stream(10.0, "heart_rate_today", |_, d| d["actual"] == 101)
        .await;
}

/// Seed 002: a revoked token refused at the handshake of all five sockets (daphne's 403)
/// costs the server at most one refresh in total, then every channel is `needs_login` with
/// no reconnect storm. An expired one is refreshed once for all five.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_002_auth_failure_across_five_sockets_refreshes_once() {
    let dj = Django::start().await;
    let mut w = streams_watch(&dj, &[]).await;
    w.wait_channels(15.0, ConnState::Live, 0).await;

    // Expired: all five refused (403), one refresh, all five live again.
    dj.post("/__test/stats/", json!({})).await;
    dj.post("/__test/tokens/expire/", json!({})).await;
    let mark = w.seen.len();
    dj.post("/__test/ws/drop/", json!({})).await;
    w.wait_for(10.0, "a drop", |e| {
        channel_state(e, ConnState::Backoff).is_some()
            || channel_state(e, ConnState::Connecting).is_some()
    })
    .await;
    w.wait_channels(15.0, ConnState::Live, mark).await;
    let stats = dj.stats().await;
    assert_eq!(
        stats["token_refresh"]["total"], 1,
        "one refresh for five sockets: {stats}"
    );
    assert_eq!(stats["ws_open"], 5);

    // Revoked: at most one refresh in total, then every channel needs_login.
    dj.post("/__test/stats/", json!({})).await;
    dj.post("/__test/tokens/revoke/", json!({})).await;
    let mark = w.seen.len();
    dj.post("/__test/ws/drop/", json!({})).await;
    w.wait_channels(15.0, ConnState::NeedsLogin, mark).await;
    w.wait_state_from(5.0, ConnState::NeedsLogin, mark).await;
    let at_login = dj.stats().await;
    assert!(
        at_login["token_refresh"]["total"].as_u64().unwrap() <= 1,
        "{at_login}"
    );
    w.drain(2.0).await;
    let later = dj.stats().await;
    assert_eq!(
        later["handshakes"]["total"], at_login["handshakes"]["total"],
        "reconnect storm: {later}"
    );
    assert_eq!(
        later["token_refresh"]["total"],
        at_login["token_refresh"]["total"]
    );
    let needs_login_errors = w
        .errors()
        .iter()
        .filter(|(c, _)| c == "needs_login")
        .count();
    assert_eq!(
        needs_login_errors,
        1,
        "one error line for the account: {:?}",
        w.errors()
    );
    assert!(w
        .engine()
        .streams()
        .iter()
        .all(|s| s.state == StreamState::Closed));
}

/// Seed 002: when the WebSocket path answers HTTP 404 (ws_404), each channel polls REST and
/// keeps its values coming; when the WebSocket returns, every channel goes back to it.
/// The same path with close 4001 after accept is an auth failure too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_002_404_polls_each_channel_and_returns_to_websocket() {
    let dj = Django::start().await;
    dj.config(json!({"ws_404": true})).await;
    let mut w = streams_watch(&dj, &[]).await;
    w.wait_channels(15.0, ConnState::Polling, 0).await;
    w.wait_state_from(5.0, ConnState::Polling, 0).await;
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "heart_rate_today", "consumidor_id": "22", "bpm": 77}),
    )
    .await;
    w.wait_stream(10.0, "heart_rate_today", |_, d| d["actual"] == 77)
        .await;
    assert!(w
        .engine()
        .streams()
        .iter()
        .all(|s| s.state == StreamState::Polling));
    let rest = dj.stats().await["rest"]["by_path"].clone();
    for c in CHANNELS {
        assert!(
            rest.get(format!("GET /api/dashboard/{c}/22/")).is_some(),
            "{c} not polled: {rest}"
        );
    }
    let mark = w.seen.len();
    dj.config(json!({"ws_404": false})).await;
    w.wait_channels(15.0, ConnState::Live, mark).await;
    assert!(w
        .engine()
        .streams()
        .iter()
        .all(|s| s.state == StreamState::Open));
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "heart_rate_today", "consumidor_id": "22", "bpm": 88}),
    )
    .await;
    w.wait_stream(10.0, "heart_rate_today", |_, d| d["actual"] == 88)
        .await;

    // accept_then_close: the seed's close(4001) reaches the client as a close code.
    dj.config(json!({"dashboard_reject": "accept_then_close"}))
        .await;
    dj.post("/__test/tokens/revoke/", json!({})).await;
    let mark = w.seen.len();
    dj.post("/__test/ws/drop/", json!({})).await;
    w.wait_channels(15.0, ConnState::NeedsLogin, mark).await;
    assert!(
        dj.stats().await["server_closes"]["4001"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    );
}

/// Seed 002's five sockets through a server restart: a state line per channel (and the
/// account) only when its state or reason changes (closed, unreachable, polling, live), not
/// a line per channel per retry (~95 before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_002_a_restart_prints_a_few_state_lines() {
    let mut dj = Django::start().await;
    let mut w = streams_watch(&dj, &[]).await;
    w.wait_channels(15.0, ConnState::Live, 0).await;
    w.wait_state_from(5.0, ConnState::Live, 0).await;
    let from = w.seen.len();
    dj.stop();
    // Several retry rounds while it is down (FAST: at most 0.4 s apart).
    w.drain(4.0).await;
    dj.restart();
    w.wait_channels(30.0, ConnState::Live, from).await;
    w.wait_state_from(10.0, ConnState::Live, from).await;
    w.drain(1.0).await;
    let lines: Vec<String> = w.seen[from..]
        .iter()
        .filter_map(|e| match e {
            EngineEvent::State {
                channel,
                state,
                detail,
                ..
            } => Some(format!(
                "{}:{}:{detail}",
                channel.as_deref().unwrap_or("account"),
                state.as_str()
            )),
            _ => None,
        })
        .collect();
    // Each line says something new for its channel (or the account): no repeats, no
    // `connecting` for each retry.
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for l in &lines {
        let (source, rest) = l.split_once(':').unwrap();
        assert!(
            !rest.starts_with("connecting"),
            "a retry's line: {lines:#?}"
        );
        let before = last.insert(source.to_string(), rest.to_string());
        assert_ne!(before.as_deref(), Some(rest), "repeated: {lines:#?}");
    }
    assert!(lines.len() <= 36, "{} state lines: {lines:#?}", lines.len());
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("account:backoff") || l.starts_with("account:polling")),
        "the account said it was down: {lines:#?}"
    );
}

/// Seed 002 as a server whose REST paths spell channels with hyphens
/// (`/api/dashboard/heart-rate-today/22/`) and answer the data alone (no `type`), with the
/// WebSocket gone (404): the preset finds the spelling, reads each bare answer as its
/// channel's type (so the heart-rate alert still fires), and reports no `bad_frame`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_002_bare_snapshots_on_other_paths_still_stream_and_alert() {
    let dj = Django::start().await;
    dj.config(json!({"ws_404": true, "dashboard_rest": "bare_kebab"}))
        .await;
    let mut w = streams_watch(&dj, &[("max_bpm", "100")]).await;
    w.wait_channels(15.0, ConnState::Polling, 0).await;
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "heart_rate_today", "consumidor_id": "22", "bpm": 130}),
    )
    .await;
    let value = w
        .wait_stream(10.0, "heart_rate_today", |e, d| {
            e == "heart_rate_update" && d["actual"] == 130
        })
        .await;
    assert_eq!(value["actual"], 130);
    let alert = w
        .wait_for(
            10.0,
            "the heart-rate alert",
            |e| matches!(e, EngineEvent::Notification(n) if n.kind == "ritmo_alto"),
        )
        .await;
    assert!(matches!(alert, EngineEvent::Notification(n) if n.title.contains("130")));
    for c in CHANNELS {
        if w.streams_of(c).is_empty() {
            w.wait_stream(10.0, c, |_, _| true).await;
        }
    }
    w.drain(2.0).await;
    let rest = dj.stats().await["rest"]["by_path"].clone();
    for c in CHANNELS {
        let kebab = c.replace('_', "-");
        let hits = rest[format!("GET /api/dashboard/{kebab}/22/")]["200"]
            .as_u64()
            .unwrap_or(0);
        assert!(hits >= 2, "{c} not polled at its own spelling: {rest}");
        // The spelling that failed is not asked at every poll.
        let misses = rest[format!("GET /api/dashboard/{c}/22/")]["total"]
            .as_u64()
            .unwrap_or(0);
        assert!(misses <= 1, "{c}: the 404 spelling asked {misses} times");
    }
    let bad: Vec<_> = w
        .errors()
        .into_iter()
        .filter(|(code, _)| code == "bad_frame")
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

// ---------------------------------------------------------------- seed 003

fn business(kind: &str, data: Value) -> Value {
    json!({"type": kind, "data": data, "timestamp": "2024-11-15T14:30:00Z"})
}

/// Seed 003: every business event, role and user notifications (only this client's role and
/// user), `dashboard:update` as a live value, `GET /api/health` in the live view; stable ids
/// (the same event twice is one notification); a restart of the gateway is survived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_003_socketio_gateway_events_rooms_dashboard_health_and_restart() {
    let mut sio = SocketIo::start();
    let mut w = Watch::start(
        &sio.url(),
        &fast("socketio-gateway"),
        None,
        &[("user_id", "user_123"), ("role", "proveedor")],
    )
    .await;
    let live = w.wait_state(15.0, ConnState::Live).await;
    assert!(
        matches!(
            &live,
            EngineEvent::State {
                transport: Some(TransportKind::Socketio),
                ..
            }
        ),
        "{live:?}"
    );
    eventually(10, "joined its rooms", || async {
        let s = sio.get("/__test/stats").await;
        s["byUser"]["user_123"] == 1 && s["byRole"]["proveedor"] == 1
    })
    .await;
    let events = [
        (
            "reserva:creada",
            json!({"reserva": {"id": 1, "clienteId": 123, "estado": "confirmada", "fecha": "2024-11-15", "hora": "14:30", "totalEstimado": 50000}}),
            "Nueva reserva #1",
        ),
        (
            "reserva:actualizada",
            json!({"reserva": {"id": 1, "estado": "completada"}}),
            "Reserva #1 actualizada",
        ),
        (
            "reserva:cancelada",
            json!({"reserva": {"id": 2, "fecha": "2024-11-16", "hora": "10:00"}}),
            "Reserva #2 cancelada",
        ),
        (
            "servicio:creado",
            json!({"servicio": {"id": 3, "nombre": "Corte", "precio": 15000.0}}),
            "Nuevo servicio: Corte",
        ),
        (
            "servicio:actualizado",
            json!({"servicio": {"id": 3, "nombre": "Corte premium", "precio": 20000.0}}),
            "Servicio actualizado: Corte premium",
        ),
        (
            "calificacion:creada",
            json!({"calificacion": {"id": 4, "puntuacion": 5, "servicioId": 3}}),
            "Nueva calificación: 5 ★",
        ),
        (
            "cliente:nuevo",
            json!({"cliente": {"id": 5, "nombre": "ana", "email": "ana@example.com"}}),
            "Nuevo cliente: ana",
        ),
        (
            "proveedor:nuevo",
            json!({"proveedor": {"id": 6, "nombre": "pepe"}}),
            "Nuevo proveedor: pepe",
        ),
        (
            "pago:procesado",
            json!({"pago": {"id": 7, "monto": 50000}}),
            "Pago procesado #7",
        ),
    ];
    for (kind, data, _) in &events {
        sio.post("/api/dashboard/emit-event", business(kind, data.clone()))
            .await;
    }
    w.wait_count(15.0, events.len()).await;
    for (kind, _, title) in &events {
        let n = w
            .notifications()
            .into_iter()
            .find(|n| n.kind == *kind)
            .unwrap_or_else(|| panic!("{kind} missing"));
        assert_eq!(n.title, *title, "{kind}");
        assert!(n.id.starts_with('h') && !n.read, "{n:?}");
        assert_eq!(n.created_at, "2024-11-15T14:30:00Z");
    }
    // Role and user notifications: ours arrive, others' do not.
    sio.post(
        "/api/dashboard/notify-role",
        json!({"role": "admin", "event": "solo_admins", "payload": {"x": 1}}),
    )
    .await;
    sio.post(
        "/api/dashboard/notify-user",
        json!({"userId": "otro", "event": "para_otro", "payload": {"x": 2}}),
    )
    .await;
    sio.post("/api/dashboard/notify-role", json!({"role": "proveedor", "event": "nueva_solicitud", "payload": {"servicioId": 1, "clienteId": 123}})).await;
    sio.post(
        "/api/dashboard/notify-user",
        json!({"userId": "user_123", "event": "reserva_confirmada", "payload": {"reservaId": 1}}),
    )
    .await;
    w.wait_count(10.0, events.len() + 2).await;
    let kinds: BTreeSet<String> = w.notifications().into_iter().map(|n| n.kind).collect();
    assert!(
        kinds.contains("nueva_solicitud") && kinds.contains("reserva_confirmada"),
        "{kinds:?}"
    );
    assert!(!kinds.contains("solo_admins") && !kinds.contains("para_otro"));
    // The same event again: the same stable id, not a second notification.
    sio.post(
        "/api/dashboard/emit-event",
        business("pago:procesado", json!({"pago": {"id": 7, "monto": 50000}})),
    )
    .await;
    // dashboard:update: a live value, not a notification.
    sio.post(
        "/api/dashboard/update-dashboard",
        json!({"services": {"total": 50, "activos": 45}}),
    )
    .await;
    let dash = w
        .wait_stream(10.0, "dashboard", |e, _| e == "dashboard:update")
        .await;
    assert_eq!(dash["services"]["activos"], 45);
    assert_eq!(
        w.notifications().len(),
        events.len() + 2,
        "a repeated event or a dashboard update became a notification"
    );
    // Health in the live view.
    if w.streams_of("health").is_empty() {
        w.wait_stream(10.0, "health", |_, _| true).await;
    }
    let streams = w.engine().streams();
    let health = streams.iter().find(|s| s.channel == "health").unwrap();
    assert_eq!(
        (health.state, health.data["status"].as_str()),
        (StreamState::Open, Some("ok"))
    );
    assert_eq!(
        streams
            .iter()
            .find(|s| s.channel == "dashboard")
            .unwrap()
            .state,
        StreamState::Open
    );

    // Read state is local (the gateway keeps none).
    let some = w.notifications()[0].id.clone();
    w.engine()
        .mark_read("acc", vec![some.clone()])
        .await
        .unwrap();
    w.wait_for(5.0, "read", |e| matches!(e, EngineEvent::Read { .. }))
        .await;
    assert!(w.engine().store().get("acc", &some).unwrap().unwrap().read);

    // Restart: the gateway keeps no history; the client reconnects and later events arrive.
    let port = sio.port;
    sio.stop();
    w.wait_for(
        15.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state, .. } if *state != ConnState::Live),
    )
    .await;
    assert!(w
        .engine()
        .streams()
        .iter()
        .all(|s| s.state == StreamState::Closed));
    sio = SocketIo::start_on(port);
    w.wait_state(15.0, ConnState::Live).await;
    eventually(10, "rejoined", || async {
        sio.get("/__test/stats").await["byUser"]["user_123"] == 1
    })
    .await;
    sio.post(
        "/api/dashboard/emit-event",
        business(
            "cliente:nuevo",
            json!({"cliente": {"id": 8, "nombre": "luz"}}),
        ),
    )
    .await;
    w.wait_count(10.0, events.len() + 3).await;
    w.assert_no_duplicates();
    assert!(w.errors().is_empty(), "{:?}", w.errors());
}

/// Seed 003 with the identity declared in the query (`?userId=&role=`) instead of the auth
/// payload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_003_identity_declared_in_the_query() {
    let sio = SocketIo::start();
    let profile = format!(
        "{}\n[socketio]\ndeclare = \"query\"\ntransport = \"websocket\"\n",
        fast("socketio-gateway")
    );
    let mut w = Watch::start(
        &sio.url(),
        &profile,
        None,
        &[("user_id", "u9"), ("role", "cliente")],
    )
    .await;
    w.wait_state(15.0, ConnState::Live).await;
    eventually(10, "joined by query", || async {
        let s = sio.get("/__test/stats").await;
        s["byUser"]["u9"] == 1 && s["byRole"]["cliente"] == 1
    })
    .await;
    sio.post(
        "/api/dashboard/notify-user",
        json!({"userId": "u9", "event": "hola", "payload": {"a": 1}}),
    )
    .await;
    w.wait_count(10.0, 1).await;
    assert_eq!(w.notifications()[0].kind, "hola");
}

// ---------------------------------------------------------------- seed 004

/// Seed 004: a dead server is retried quietly (state lines, no error lines); once it is up,
/// furniture_created/updated/deleted from the seed's own producer arrive worded as the seed
/// shows; a restart of the server is survived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_004_furniture_events_quiet_retries_and_restart() {
    // Its port is held for the whole test, so the server can start after its client and
    // restart at the same address.
    let port = ReservedPort::new();
    let url = port.url("ws");
    let mut w = Watch::start(&url, &fast("furniture"), None, &[]).await;
    // Nobody listens yet: backoff after backoff, and not one error line.
    let mut retries = 0;
    while retries < 3 {
        w.wait_for(10.0, "a retry", |e| {
            matches!(
                e,
                EngineEvent::State {
                    state: ConnState::Backoff,
                    ..
                }
            )
        })
        .await;
        retries += 1;
    }
    assert!(w.errors().is_empty(), "{:?}", w.errors());
    assert!(!w.seen.iter().any(|e| matches!(
        e,
        EngineEvent::State {
            state: ConnState::Polling,
            ..
        }
    )));
    let mut server = Furniture::start_at(ReservedPort::HOST, port.port(), &[]);
    w.wait_state(15.0, ConnState::Live).await;
    eventually(10, "connected", || async {
        server.stats().await["clients"] == 1
    })
    .await;
    let args = [
        "--id",
        "673a2f1b8e4d2a1c3b5e6f7a",
        "--nombre",
        "Mesa de Roble",
        "--descripcion",
        "Mesa elegante de comedor",
        "--altura",
        "75",
        "--ancho",
        "120",
        "--material",
        "roble",
        "--autor",
        "Juan",
    ];
    server.notify("created", &args);
    let upd = [
        "--id",
        "673a2f1b8e4d2a1c3b5e6f7a",
        "--nombre",
        "Mesa de Roble XL",
        "--descripcion",
        "Mesa elegante - tamaño grande",
        "--altura",
        "80",
        "--ancho",
        "150",
        "--material",
        "pino",
        "--autor",
        "Juan",
    ];
    server.notify("updated", &upd);
    server.notify("deleted", &args);
    w.wait_count(10.0, 3).await;
    let titles: Vec<String> = w.notifications().into_iter().map(|n| n.title).collect();
    assert!(
        titles.contains(&"Nuevo mueble creado: Mesa de Roble - roble (120x75cm)".to_string()),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Mueble actualizado: Mesa de Roble XL - pino (150x80cm)".to_string()),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Mueble eliminado: Mesa de Roble - roble (120x75cm)".to_string()),
        "{titles:?}"
    );
    let created = w
        .notifications()
        .into_iter()
        .find(|n| n.kind == "furniture_created")
        .unwrap();
    assert_eq!(created.body, "Mesa elegante de comedor — Autor: Juan");
    assert_eq!(created.data["furniture_id"], "673a2f1b8e4d2a1c3b5e6f7a");
    assert!(created.id.starts_with('h'));

    // Restart: reconnect quietly, later events arrive.
    server.stop();
    w.wait_for(
        10.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state, .. } if *state != ConnState::Live),
    )
    .await;
    server = Furniture::start_at(ReservedPort::HOST, port.port(), &[]);
    w.wait_state(15.0, ConnState::Live).await;
    eventually(10, "reconnected", || async {
        server.stats().await["clients"] == 1
    })
    .await;
    server.notify(
        "created",
        &[
            "--id",
            "x2",
            "--nombre",
            "Silla",
            "--altura",
            "90",
            "--ancho",
            "45",
            "--material",
            "pino",
        ],
    );
    w.wait_count(10.0, 4).await;
    assert!(w
        .notifications()
        .iter()
        .any(|n| n.title == "Nuevo mueble creado: Silla - pino (45x90cm)"));
    assert!(w.errors().is_empty(), "{:?}", w.errors());
    w.assert_no_duplicates();
}

/// Never raw JSON, a placeholder's leftovers or an empty separator in what people read.
fn assert_readable(n: &aviso_engine::Notification) {
    assert!(!n.title.trim().is_empty(), "{n:?}");
    for text in [&n.title, &n.body] {
        let t = text.trim();
        assert!(
            !t.contains(['{', '}', '?'])
                && !t.starts_with(['·', '-', '—', ':'])
                && !t.ends_with(['·', '-', '—', ':'])
                && !t.contains("·  ·"),
            "not for people: {text:?} in {n:?}"
        );
    }
}

/// (kind, title, body) of each notification, sorted: what the user sees.
fn seen_texts(w: &Watch) -> Vec<(String, String, String)> {
    let mut texts: Vec<_> = w
        .notifications()
        .into_iter()
        .map(|n| (n.kind, n.title, n.body))
        .collect();
    texts.sort();
    texts
}

fn texts(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut texts: Vec<_> = items
        .iter()
        .map(|(k, t, b)| (k.to_string(), t.to_string(), b.to_string()))
        .collect();
    texts.sort();
    texts
}

/// Seed 003 as a gateway written from its frontend code (`onBusinessEvent`, `onReservaNueva`)
/// would be: a `connected` greeting, each business event twice (`business_event` with the
/// whole envelope and its own name with `data` alone), role and user notifications twice
/// (their own name, and `notification` with an envelope), and the last 100 events at
/// `GET /api/dashboard/history`. In either twin order each event is one notification with
/// the preset's words; greetings never are; two equal sales a second apart stay two; an
/// event sent before the client connected comes from the history; a reconnect adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_003_second_reading_twins_greetings_and_history_once_each() {
    let sio = SocketIo::start_with(0, &["--reading", "twins"]);
    // Before anyone listens: only the history has it.
    sio.post(
        "/api/dashboard/emit-event",
        business("pago:procesado", json!({"pago": {"id": 9, "monto": 1200}})),
    )
    .await;
    let mut w = Watch::start(
        &sio.url(),
        &fast("socketio-gateway"),
        None,
        &[("user_id", "user_123"), ("role", "proveedor")],
    )
    .await;
    w.wait_state(15.0, ConnState::Live).await;
    eventually(10, "joined its rooms", || async {
        let s = sio.get("/__test/stats").await;
        s["byUser"]["user_123"] == 1 && s["byRole"]["proveedor"] == 1
    })
    .await;
    w.wait_count(10.0, 1).await;
    let mut want = vec![("pago:procesado", "Pago procesado #9", "Monto: 1200")];
    let sale = json!({"reserva": {"id": 1, "estado": "confirmada", "fecha": "2024-11-15", "hora": "14:30"}});
    for (order, second) in [("generic-first", 0), ("specific-first", 10)] {
        let config = sio
            .post("/__test/config", json!({"twinOrder": order}))
            .await;
        assert_eq!(config["twinOrder"], order);
        // Two equal sales a second apart.
        for s in [second, second + 1] {
            sio.post(
                "/api/dashboard/emit-event",
                json!({"type": "reserva:creada", "data": sale, "timestamp": format!("2024-11-15T14:30:{s:02}Z")}),
            )
            .await;
        }
        // A payment without the fields the preset's words need.
        sio.post(
            "/api/dashboard/emit-event",
            business("pago:procesado", json!({"monto": 500 + second})),
        )
        .await;
        sio.post(
            "/api/dashboard/notify-role",
            json!({"role": "proveedor", "event": "nueva_solicitud", "payload": {"servicioId": 1, "clienteId": 123}}),
        )
        .await;
        sio.post(
            "/api/dashboard/notify-user",
            json!({"userId": "user_123", "event": "reserva_confirmada", "payload": {"reservaId": 1}}),
        )
        .await;
        want.extend([
            (
                "reserva:creada",
                "Nueva reserva #1",
                "2024-11-15 14:30 · Estado: confirmada",
            ),
            (
                "reserva:creada",
                "Nueva reserva #1",
                "2024-11-15 14:30 · Estado: confirmada",
            ),
            (
                "nueva_solicitud",
                "Nueva solicitud",
                "clienteId: 123 · servicioId: 1",
            ),
            ("reserva_confirmada", "Reserva confirmada", "reservaId: 1"),
        ]);
    }
    want.extend([
        ("pago:procesado", "Pago procesado", "monto: 500"),
        ("pago:procesado", "Pago procesado", "monto: 510"),
    ]);
    w.wait_count(15.0, want.len()).await;
    // Twins, and the catch-ups from the history after the pushes, had time to add more.
    w.drain(4.0).await;
    assert_eq!(seen_texts(&w), texts(&want));
    w.assert_no_duplicates();
    for n in w.notifications() {
        assert_readable(&n);
    }
    // The greeting is a fact about the connection, not a notification.
    let greeting = w.streams_of("connection");
    assert!(
        greeting
            .iter()
            .any(|(event, data)| event == "connected" && data["socketId"].is_string()),
        "{greeting:?}"
    );

    // A reconnect: a new greeting, the history again; nothing new for the user.
    let before = w.notifications().len();
    let from = w.seen.len();
    sio.post("/__test/drop", json!({})).await;
    w.wait_for(
        10.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state, channel: None, .. } if *state != ConnState::Live),
    )
    .await;
    w.wait_state_from(15.0, ConnState::Live, from).await;
    w.drain(4.0).await;
    assert_eq!(w.notifications().len(), before, "{:?}", seen_texts(&w));
    assert!(
        w.streams_of("connection").len() >= 2,
        "a greeting per connection"
    );
    assert!(w.errors().is_empty(), "{:?}", w.errors());
    assert!(
        !w.seen
            .iter()
            .any(|e| matches!(e, EngineEvent::State { detail, .. } if *detail == aviso_engine::StateDetail::NoCatchUp)),
        "this reading has a history"
    );
}

/// Seed 003 without a history endpoint (our first reading): the state says that events sent
/// while disconnected cannot be recovered (`no_catch_up`), once, with no error line, and the
/// path is not asked again until the next connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_003_without_a_history_says_no_catch_up_quietly() {
    let sio = SocketIo::start();
    let mut w = Watch::start(
        &sio.url(),
        &fast("socketio-gateway"),
        None,
        &[("user_id", "user_123"), ("role", "proveedor")],
    )
    .await;
    w.wait_for(15.0, "live, no catch-up", |e| {
        matches!(e, EngineEvent::State { state: ConnState::Live, channel: None, detail, .. } if *detail == aviso_engine::StateDetail::NoCatchUp)
    })
    .await;
    // Safety polls every 2 s (FAST): the history is not asked again while connected.
    w.drain(5.0).await;
    assert!(w.errors().is_empty(), "{:?}", w.errors());
    let live_lines = w
        .seen
        .iter()
        .filter(|e| {
            matches!(
                e,
                EngineEvent::State {
                    state: ConnState::Live,
                    channel: None,
                    ..
                }
            )
        })
        .count();
    assert!(live_lines <= 2, "state lines repeat: {live_lines}");
    assert!(w.notifications().is_empty());
}

/// Seed 004 with a greeting on connect (`connection_established`, a fresh client id each
/// time): never a notification, across reconnects; events still are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_004_a_greeting_is_never_a_notification() {
    let port = ReservedPort::new();
    let mut server = Furniture::start_at(ReservedPort::HOST, port.port(), &["--greeting"]);
    let mut w = Watch::start(&server.ws_url(), &fast("furniture"), None, &[]).await;
    w.wait_state(15.0, ConnState::Live).await;
    let args = [
        "--id",
        "g1",
        "--nombre",
        "Mesa",
        "--altura",
        "75",
        "--ancho",
        "120",
        "--material",
        "roble",
        "--autor",
        "Ana",
    ];
    server.notify("created", &args);
    w.wait_count(10.0, 1).await;
    server.stop();
    w.wait_for(
        10.0,
        "the drop",
        |e| matches!(e, EngineEvent::State { state, .. } if *state != ConnState::Live),
    )
    .await;
    server = Furniture::start_at(ReservedPort::HOST, port.port(), &["--greeting"]);
    let from = w.seen.len();
    w.wait_state_from(15.0, ConnState::Live, from).await;
    if w.streams_of("connection").len() < 2 {
        w.wait_stream(10.0, "connection", |e, _| e == "connection_established")
            .await;
    }
    w.drain(1.0).await;
    assert_eq!(
        seen_texts(&w),
        texts(&[(
            "furniture_created",
            "Nuevo mueble creado: Mesa - roble (120x75cm)",
            "Mesa elegante de comedor — Autor: Ana"
        )])
    );
    let greetings = w.streams_of("connection");
    assert!(greetings.len() >= 2, "{greetings:?}");
    assert!(w.errors().is_empty(), "{:?}", w.errors());
    server.stop();
}

// ---------------------------------------------------------------- connection problems

/// A loopback server that reads what comes (the handshake) and answers `reply`, each
/// connection; its address.
async fn answering(reply: &'static [u8]) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await;
            let _ = s.write_all(reply).await;
        }
    });
    addr
}

/// What cannot work as configured is said, once, in words, while nothing has connected:
/// a name that does not resolve (`unreachable`, at once), a closed port (`unreachable`,
/// after three attempts), another protocol or a web page where the socket should be
/// (`protocol`). Retries go on as state lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typo_a_closed_port_or_another_protocol_is_said_once_in_words() {
    let nobody = ReservedPort::new();
    let closed = nobody.refused_url("http");
    let ssh = format!("http://{}", answering(b"SSH-2.0-OpenSSH_9.2\r\n").await);
    let page = format!(
        "ws://{}",
        answering(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5\r\n\r\nhello")
            .await
    );
    let cases = [
        (
            "http://tienda-sin-dns.invalid",
            "smartsales",
            "unreachable",
            "does not resolve",
        ),
        (
            closed.as_str(),
            "smartsales",
            "unreachable",
            closed.as_str(),
        ),
        (ssh.as_str(), "smartsales", "protocol", "profile"),
        (page.as_str(), "furniture", "protocol", "web pages"),
    ];
    for (server, preset, code, words) in cases {
        let mut w = Watch::start(server, &fast(preset), Some(("a".into(), "r".into())), &[]).await;
        let ev = w
            .wait_for(
                20.0,
                code,
                |e| matches!(e, EngineEvent::Error { code: c, .. } if c.as_str() == code),
            )
            .await;
        assert!(
            matches!(&ev, EngineEvent::Error { message, .. } if message.contains(words)),
            "{server}: {ev:?}"
        );
        w.drain(2.0).await;
        assert_eq!(w.errors().len(), 1, "{server}: {:?}", w.errors());
    }
}
