//! The OS resume signal: logind's `PrepareForSleep(false)` makes every link reconnect and
//! catch up at once. The test plays logind on the session bus (`AVISO_LOGIND_BUS=session`):
//! it owns `org.freedesktop.login1` there and emits the signal as logind does on the
//! system bus. Needs a session bus (`scripts/test` runs under `dbus-run-session`). Linux
//! only: Windows' power notification cannot be sent under Wine (resume.rs).
#![cfg(target_os = "linux")]

use std::time::Duration;

use aviso_demo::EmitSpec;
use aviso_engine::{ConnState, EngineEvent};
use aviso_testkit::{record_issued_tokens, ArtifactDir, EngineRun, FastProfile};

use aviso_testkit::demo::start as quiet_demo;

async fn play_logind() -> zbus::Connection {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session bus: run this test with scripts/test"
    );
    let bus = zbus::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.login1")
        .unwrap()
        .build()
        .await
        .expect("own org.freedesktop.login1 on the session bus");
    bus
}

async fn prepare_for_sleep(bus: &zbus::Connection, start: bool) {
    bus.emit_signal(
        None::<()>,
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
        "PrepareForSleep",
        &(start,),
    )
    .await
    .unwrap();
}

#[tokio::test]
#[ignore = "plays logind on a D-Bus session bus: needs the session of scripts/test"]
async fn logind_resume_signal_reconnects_and_catches_up_at_once() {
    // Before the engine starts: its resume follower reads it once.
    std::env::set_var("AVISO_LOGIND_BUS", "session");
    let logind = play_logind().await;
    let demo = quiet_demo().await;
    let control = demo.control();
    let dir = ArtifactDir::new("resume");
    let mut run = EngineRun::on_demo(&demo, dir.path(), &FastProfile::smartsales().text()).await;
    run.live().await;
    // Let the follower subscribe and the first catch-up finish.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Going to sleep: pushes are lost from here on (the socket is dead after a suspend).
    prepare_for_sleep(&logind, true).await;
    control.set_drop_pushes(true);
    let missed = control.emit(2, &EmitSpec::default());
    tokio::time::sleep(Duration::from_millis(200)).await;
    control.set_drop_pushes(false);
    let accepted = control.stats().ws_accepted;

    // What happened before the signal (the first connection's states included) is set
    // aside: only what follows the signal can prove the reconnect.
    while let Ok(e) = run.events.try_recv() {
        run.seen.push(e);
    }
    let before_signal = run.seen.len();

    // Waking up: a new socket and a catch-up, well before the 2 s safety poll or the
    // 10 s clock check could have found the gap.
    prepare_for_sleep(&logind, false).await;
    let woke = tokio::time::Instant::now();
    run.announced(&missed).await;
    let took = woke.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "caught up {took:?} after the signal: not the signal's doing"
    );
    assert_eq!(
        control.stats().ws_accepted,
        accepted + 1,
        "reconnected once"
    );
    let reconnected = run.seen[before_signal..].iter().any(|e| {
        matches!(
            e,
            EngineEvent::State {
                state: ConnState::Connecting | ConnState::Backoff,
                channel: None,
                ..
            }
        )
    });
    assert!(reconnected, "{:#?}", &run.seen[before_signal..]);
    run.close().await;
    record_issued_tokens(&control);
}
