//! `aviso-cli watch` against the real seed backends of `tests/servers/`, with the built-in
//! presets and `--param`, exactly as the README tells users to run it: the JSON lines of
//! each dialect (notifications, `stream` lines, per-channel `state` lines), a missing
//! parameter, and auth failures across five sockets.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aviso_testkit::seed_servers::{Django, Furniture, SocketIo};
use aviso_testkit::{CliEnv, JsonLines};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_aviso-cli");

/// `aviso-cli watch ARGS` with `tokens` (none: the keyring's).
fn watch(env: &mut CliEnv, args: &[&str], tokens: Option<&(String, String)>) -> JsonLines {
    env.tokens = tokens.cloned();
    env.watch(args)
}

/// Seed 000 over SSE as the README says (`watch --server URL --profile smartsales-sse`) on
/// the real django-eventstream server: each notification printed once; `watch` stopped while
/// the server goes on, started again: it sends the stored id as Last-Event-ID (the server
/// replays from there) and prints only what it never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_smartsales_sse_prints_once_and_resumes_after_a_restart() {
    let dj = Django::start().await;
    let url = dj.url();
    let tokens = dj.login("admin").await;
    let mut env = CliEnv::new(BIN, "cli-smartsales-sse");
    let args = [
        "--server",
        &url,
        "--profile",
        "smartsales-sse",
        "--name",
        "tienda",
    ];
    let ids = |v: &Value| -> Vec<String> {
        v["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.to_string())
            .collect()
    };
    let mut w = watch(&mut env, &args, Some(&tokens));
    w.seen_or_wait_for(20, "live over SSE", |l| {
        l["type"] == "state" && l["state"] == "live" && l["transport"] == "sse"
    });
    let first = ids(&dj
        .post("/__test/smartsales/notifications/", json!({"count": 3}))
        .await);
    w.wait_count(10, 3, "notifications", |l| l["type"] == "notification");
    let lines = w.stop();
    let printed: Vec<String> = lines
        .iter()
        .filter(|l| l["type"] == "notification")
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(printed, first);

    let missed = ids(&dj
        .post("/__test/smartsales/notifications/", json!({"count": 2}))
        .await);
    dj.post("/__test/stats/", json!({})).await;
    let mut w = watch(&mut env, &args, Some(&tokens));
    w.wait_count(10, 2, "notifications", |l| l["type"] == "notification");
    std::thread::sleep(Duration::from_millis(500));
    let lines = w.stop();
    let printed: Vec<String> = lines
        .iter()
        .filter(|l| l["type"] == "notification")
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(printed, missed, "only the new ones, once each");
    assert!(!lines.iter().any(|l| l["type"] == "error"), "{lines:#?}");
    let stats = dj.stats().await;
    let sent = stats["sse_last_event_ids"].as_array().unwrap();
    let want = format!("admin-notificaciones-1:{}", first.last().unwrap());
    assert_eq!(sent[0].as_str(), Some(want.as_str()), "{stats}");
}

/// Seed 001 as the README says: `watch --server URL --profile wearable --param
/// consumidor_id=22`. Without the parameter: a clear error naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_wearable_prints_its_notifications_and_names_a_missing_parameter() {
    let dj = Django::start().await;
    let url = dj.url();
    let mut env = CliEnv::new(BIN, "cli-wearable");
    let mut cmd = env.command(&["watch", "--server", &url, "--profile", "wearable"]);
    let out = cmd.stdout(Stdio::piped()).output().unwrap();
    assert!(!out.status.success());
    let err = env.stderr_of_last_run();
    assert!(
        err.contains("consumidor_id") && err.contains("--param consumidor_id="),
        "{err}"
    );

    dj.post(
        "/__test/wearable/notificaciones/",
        json!({"consumidor_id": 22, "tipo": "recordatorio", "contenido": "¡Recuerda registrar tu formulario!"}),
    )
    .await;
    let mut w = watch(
        &mut env,
        &[
            "--server",
            &url,
            "--profile",
            "wearable",
            "--param",
            "consumidor_id=22",
            "--name",
            "reloj",
        ],
        None,
    );
    w.seen_or_wait_for(20, "live", |l| l["type"] == "state" && l["state"] == "live");
    let n = w.seen_or_wait_for(10, "the initial notification", |l| {
        l["type"] == "notification"
    });
    assert_eq!(n["account"], "reloj");
    assert_eq!(n["kind"], "recordatorio");
    assert_eq!(n["title"], "¡Recuerda registrar tu formulario!");
    assert!(
        n["data"]["fecha_envio"].is_string() && n["data"].get("deseo_id").is_some(),
        "{n}"
    );
    dj.post(
        "/__test/wearable/notificaciones/",
        json!({"consumidor_id": 22, "contenido": "Alta probabilidad de craving detectada", "deseo_id": 5}),
    )
    .await;
    let pushed = w.seen_or_wait_for(10, "the pushed notification", |l| {
        l["type"] == "notification" && l["kind"] == "alerta"
    });
    assert_eq!(pushed["data"]["deseo_id"], 5);
    let lines = w.stop();
    assert_eq!(
        lines.iter().filter(|l| l["type"] == "notification").count(),
        2
    );
    assert!(!lines.iter().any(|l| l["type"] == "error"), "{lines:#?}");
}

/// Seed 002: five sockets, `stream` lines per channel, `state` lines with a `channel` field
/// plus the account's own; a revoked token ends in `needs_login` on every channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_wearable_streams_prints_stream_and_channel_state_lines() {
    let dj = Django::start().await;
    let url = dj.url();
    let tokens = dj.login("admin").await;
    let mut env = CliEnv::new(BIN, "cli-streams");
    let mut w = watch(
        &mut env,
        &[
            "--server",
            &url,
            "--profile",
            "wearable-streams",
            "--param",
            "consumidor_id=22",
            "--name",
            "panel",
        ],
        Some(&tokens),
    );
    let channels = [
        "sensor_data",
        "heart_rate_today",
        "heart_rate_stats",
        "desires_tracking",
        "desires_stats",
    ];
    for c in channels {
        w.seen_or_wait_for(20, &format!("{c} live"), |l| {
            l["type"] == "state" && l["channel"] == c && l["state"] == "live"
        });
        w.seen_or_wait_for(10, &format!("{c} stream"), |l| {
            l["type"] == "stream" && l["channel"] == c
        });
    }
    w.seen_or_wait_for(5, "the account live", |l| {
        l["type"] == "state" && l.get("channel").is_none() && l["state"] == "live"
    });
    dj.post(
        "/__test/dashboard/push/",
        json!({"channel": "heart_rate_today", "consumidor_id": "22", "bpm": 88}),
    )
    .await;
    let s = w.seen_or_wait_for(10, "the heart rate", |l| {
        l["type"] == "stream" && l["channel"] == "heart_rate_today" && l["data"]["actual"] == 88
    });
    assert_eq!(s["account"], "panel");
    assert_eq!(s["event"], "heart_rate_update");
    dj.post("/__test/tokens/revoke/", json!({})).await;
    dj.post("/__test/ws/drop/", json!({})).await;
    for c in channels {
        w.seen_or_wait_for(20, &format!("{c} needs_login"), |l| {
            l["type"] == "state" && l["channel"] == c && l["state"] == "needs_login"
        });
    }
    let lines = w.stop();
    assert!(
        !lines.iter().any(|l| l["type"] == "notification"),
        "streams are not notifications"
    );
    assert!(lines
        .iter()
        .any(|l| l["type"] == "stream_state" && l["state"] == "closed"));
    assert!(dj.stats().await["token_refresh"]["total"].as_u64().unwrap() <= 1);
}

/// Seed 003 (`--param user_id=… --param role=…`) and seed 004 (`--server ws://…`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_socketio_gateway_and_furniture_print_their_notifications() {
    let sio = SocketIo::start();
    let mut env = CliEnv::new(BIN, "cli-sio");
    let url = sio.url();
    let mut w = watch(
        &mut env,
        &[
            "--server",
            &url,
            "--profile",
            "socketio-gateway",
            "--param",
            "user_id=user_123",
            "--param",
            "role=proveedor",
        ],
        None,
    );
    w.seen_or_wait_for(20, "live", |l| {
        l["type"] == "state" && l["state"] == "live" && l["transport"] == "socketio"
    });
    // Joined once the server counts it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sio.get("/__test/stats").await["byRole"]["proveedor"] != 1 {
        assert!(Instant::now() < deadline, "never joined");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sio.post(
        "/api/dashboard/emit-event",
        json!({"type": "reserva:creada", "data": {"reserva": {"id": 1, "estado": "confirmada", "fecha": "2024-11-15", "hora": "14:30"}}, "timestamp": "2024-11-15T14:30:00Z"}),
    )
    .await;
    sio.post(
        "/api/dashboard/notify-role",
        json!({"role": "proveedor", "event": "nueva_solicitud", "payload": {"servicioId": 1}}),
    )
    .await;
    sio.post(
        "/api/dashboard/update-dashboard",
        json!({"clients": {"total": 200}}),
    )
    .await;
    let n = w.seen_or_wait_for(10, "reserva:creada", |l| {
        l["type"] == "notification" && l["kind"] == "reserva:creada"
    });
    assert_eq!(n["title"], "Nueva reserva #1");
    w.seen_or_wait_for(10, "the role notification", |l| {
        l["type"] == "notification" && l["kind"] == "nueva_solicitud"
    });
    w.seen_or_wait_for(10, "the dashboard", |l| {
        l["type"] == "stream" && l["channel"] == "dashboard" && l["data"]["clients"]["total"] == 200
    });
    w.stop();

    let server = Furniture::start_on(0);
    let mut env = CliEnv::new(BIN, "cli-furniture");
    let ws = server.ws_url();
    let mut w = watch(&mut env, &["--server", &ws, "--profile", "furniture"], None);
    w.seen_or_wait_for(20, "live", |l| l["type"] == "state" && l["state"] == "live");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.stats().await["clients"] != 1 {
        assert!(Instant::now() < deadline, "never connected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.notify(
        "created",
        &[
            "--id",
            "673a2f1b8e4d2a1c3b5e6f7a",
            "--nombre",
            "Mesa de Roble",
            "--descripcion",
            "Mesa elegante",
            "--altura",
            "75",
            "--ancho",
            "120",
            "--material",
            "roble",
            "--autor",
            "Juan",
        ],
    );
    let n = w.seen_or_wait_for(10, "furniture_created", |l| l["type"] == "notification");
    assert_eq!(
        n["title"],
        "Nuevo mueble creado: Mesa de Roble - roble (120x75cm)"
    );
    assert_eq!(n["kind"], "furniture_created");
    w.wait_count(1, 1, "notification", |l| l["type"] == "notification");
    // Stopped as a supervisor stops it (SIGTERM): the server gets a close frame (1000), not
    // a cut connection (1006). Windows' stop is a kill: nothing can be said there.
    w.stop();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // The seed's producer (one connection per event, closed properly) and this watch.
        let closes = server.stats().await["client_closes"].clone();
        let total: u64 = closes
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        if total >= 2 {
            #[cfg(unix)]
            assert_eq!(closes, json!({"1000": 2}), "{closes}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server never saw the client go"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
