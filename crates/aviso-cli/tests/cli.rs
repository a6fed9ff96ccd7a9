//! `aviso-cli` as a user runs it: a real process against the real demo backend on
//! 127.0.0.1:0, and (in the desktop-session suite) a real gnome-keyring.

#[cfg(target_os = "linux")]
use std::io::Write;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
#[cfg(target_os = "linux")]
use std::process::Command;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aviso_demo::{DemoControl, DemoServer, EmitSpec, RawFrame};
use aviso_testkit::cli::exit_within;
use aviso_testkit::demo::admin_tokens as login_tokens;
#[cfg(target_os = "linux")]
use aviso_testkit::dunst::{dunst_history, dunst_summaries, dunst_total};
use aviso_testkit::{record_issued_tokens, require_session, CliEnv, FastProfile};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_aviso-cli");

/// A test's CLI environment, with the demo's preset on test timers in `fast.toml`.
fn new_env(name: &str) -> CliEnv {
    let env = CliEnv::new(BIN, name);
    env.file("fast.toml", &FastProfile::smartsales().text());
    env
}

/// `fast.toml`'s path.
fn profile(env: &CliEnv) -> String {
    env.dir().join("fast.toml").display().to_string()
}

/// Runs as `aviso-cli ARGS | head -1` does: the first line is read, then the pipe is
/// closed while the command still has more to write. Returns (status, first line).
fn run_head_1(env: &CliEnv, args: &[&str]) -> (ExitStatus, String) {
    let mut child = env.command(args).stdout(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    {
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        reader.read_line(&mut first).unwrap();
    }
    (exit_within(&mut child, 30), first)
}

/// Runs with stdout a pipe nobody reads any more (closed before the first line).
fn run_into_closed_pipe(env: &CliEnv, args: &[&str]) -> ExitStatus {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = env.command(args).stdout(writer).spawn().unwrap();
    exit_within(&mut child, 30)
}

async fn demo() -> DemoServer {
    aviso_testkit::demo::start().await
}

fn emit(control: &DemoControl, n: usize) -> Vec<u64> {
    control.emit(n, &EmitSpec::default())
}

fn is_rfc3339(s: &str) -> bool {
    s.len() >= 20
        && s.as_bytes()[4] == b'-'
        && s.as_bytes()[10] == b'T'
        && (s.ends_with('Z') || s.contains('+'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_each_notification_once_as_documented_json_lines() {
    let server = demo().await;
    let control = server.control();
    let mut env = new_env("cli-watch");
    // Every crate's every log line (the WebSocket handshake carries the token in its URL):
    // the token leak scan reads them.
    env.log = "trace";
    env.tokens = Some(login_tokens(&server.http_url()).await);
    let url = server.http_url();
    let profile = profile(&env);
    let backlog = emit(&control, 2);
    let mut watch = env.watch(&["--server", &url, "--profile", &profile, "--name", "tienda"]);
    watch.wait_for(10, "live state", |l| {
        l["type"] == "state" && l["state"] == "live"
    });
    let live = emit(&control, 3);
    watch.wait_ids(10, &backlog);
    watch.wait_ids(10, &live);
    control.raw_frame(RawFrame::Text("{broken".into()));
    let error = watch.wait_for(10, "error line", |l| l["type"] == "error");
    assert_eq!(error["account"], "tienda");
    assert_eq!(error["code"], "bad_frame");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    let more = emit(&control, 1);
    watch.wait_ids(10, &more);
    // The count after a burst comes at most a quarter second later (coalesced).
    watch.wait_for(10, "unread 6", |l| l["type"] == "unread" && l["count"] == 6);
    let lines = watch.stop();
    let ids: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "notification")
        .collect();
    assert_eq!(ids.len(), 6, "each notification exactly once: {lines:#?}");
    for n in &ids {
        assert_eq!(n["account"], "tienda");
        for key in ["id", "kind", "title", "body", "created_at"] {
            assert!(n[key].is_string(), "{key} in {n}");
        }
        assert!(n["url"].is_string() || n["url"].is_null());
        assert_eq!(n["read"], false);
        assert!(n["data"].is_object(), "{n}");
        assert!(is_rfc3339(n["created_at"].as_str().unwrap()), "{n}");
    }
    for s in lines.iter().filter(|l| l["type"] == "state") {
        let state = s["state"].as_str().unwrap();
        assert!([
            "connecting",
            "live",
            "polling",
            "backoff",
            "needs_login",
            "stopped"
        ]
        .contains(&state));
        assert!(
            s["transport"].is_null()
                || ["websocket", "socketio", "polling"].contains(&s["transport"].as_str().unwrap())
        );
        assert!(s["detail"].is_string());
    }
    // A clean stop (SIGTERM) ends with the session's last word; Windows' stop is a kill.
    #[cfg(unix)]
    assert_eq!(
        lines.last().unwrap()["state"],
        "stopped",
        "the last line says the session stopped"
    );
    let unread: Vec<&Value> = lines.iter().filter(|l| l["type"] == "unread").collect();
    assert_eq!(unread.last().unwrap()["count"], 6);

    // The store answers offline.
    let (ok, out) = env.run(&["unread", "--account", "tienda"], None);
    assert!(ok);
    assert_eq!(out.trim(), "6");
    let (ok, out) = env.run(&["list", "--unread", "--json"], None);
    assert!(ok);
    assert_eq!(out.lines().count(), 6);
    let first: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], "6", "newest first");
    record_issued_tokens(&control);
}

/// A profile whose notification list the server refuses (a guess of the path that is wrong:
/// the demo's `/api/token/` only takes POST, so GET answers 405): the socket is live and
/// pushes arrive, but catch-up cannot recover anything. That is said once, loudly, in the
/// state, an `error` line and a toast in the user's language; and not again while it
/// lasts. With the right list, nothing of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_the_server_refuses_is_said_once_in_the_state_an_error_and_a_toast() {
    let server = demo().await;
    let control = server.control();
    let mut env = new_env("cli-catch-up-refused");
    env.tokens = Some(login_tokens(&server.http_url()).await);
    env.lang = Some("es_BO.UTF-8");
    let url = server.http_url();
    let broken = env.dir().join("broken-list.toml");
    std::fs::write(
        &broken,
        FastProfile::smartsales()
            .extra("\n[rest]\nlist = \"GET /api/token/?desde={cursor}\"\n")
            .text(),
    )
    .unwrap();
    let broken = broken.display().to_string();
    let mut watch = env.watch(&[
        "--server",
        &url,
        "--profile",
        &broken,
        "--name",
        "tienda",
        "--toasts",
    ]);
    let state = watch.wait_for(10, "the state saying it", |l| {
        l["type"] == "state" && l["detail"] == "catch_up_failed"
    });
    assert_eq!(state["state"], "live", "the socket works: {state}");
    // Pushes still arrive.
    let live = emit(&control, 2);
    watch.wait_ids(10, &live);
    // The safety poll (every 2 s here) and the poll pace (0.5 s) retry it several times.
    std::thread::sleep(Duration::from_secs(5));
    let lines = watch.stop();
    let errors: Vec<&Value> = lines.iter().filter(|l| l["type"] == "error").collect();
    assert_eq!(errors.len(), 1, "said once: {lines:#?}");
    assert_eq!(errors[0]["code"], "catch_up_failed");
    let message = errors[0]["message"].as_str().unwrap();
    for part in [
        "GET /api/token/",
        "HTTP 405 (method not allowed)",
        "are lost",
        "`rest.list`",
    ] {
        assert!(message.contains(part), "{part:?} in {message}");
    }
    let toasts: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "toast" && l["kind"] == "problem")
        .collect();
    assert_eq!(toasts.len(), 1, "one toast: {lines:#?}");
    assert_eq!(
        toasts[0]["title"],
        "tienda: se pueden perder notificaciones"
    );
    // It stays said while live (every state line while it lasts carries it).
    let last_live = lines
        .iter()
        .rfind(|l| l["type"] == "state" && l["state"] == "live")
        .unwrap();
    assert_eq!(last_live["detail"], "catch_up_failed");

    // The right list: nothing of it.
    let profile = profile(&env);
    let mut watch = env.watch(&["--server", &url, "--profile", &profile, "--name", "tienda"]);
    watch.wait_for(10, "live", |l| l["type"] == "state" && l["state"] == "live");
    std::thread::sleep(Duration::from_secs(3));
    let lines = watch.stop();
    assert!(
        !lines
            .iter()
            .any(|l| l["type"] == "error" || l["detail"] == "catch_up_failed"),
        "{lines:#?}"
    );
    record_issued_tokens(&control);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_read_is_queued_while_the_server_is_down_and_sent_after_a_cli_restart() {
    let server = demo().await;
    let addr = server.addr();
    let url = server.http_url();
    let mut env = new_env("cli-outbox");
    env.tokens = Some(login_tokens(&url).await);
    let profile = profile(&env);
    let args = [
        "--server",
        url.as_str(),
        "--profile",
        profile.as_str(),
        "--name",
        "tienda",
    ];
    let emitted = emit(&server.control(), 3);
    let mut watch = env.watch(&args);
    watch.wait_ids(10, &emitted);
    watch.stop();
    let state = server.stop().await;

    // Server down: applied locally, queued.
    let mut mark = vec!["mark-read"];
    mark.extend_from_slice(&args);
    mark.push("2");
    let (ok, out) = env.run(&mark, None);
    assert!(ok, "{out}");
    assert!(out.contains("queued"), "{out}");
    let (_, unread) = env.run(&["unread", "--account", "tienda"], None);
    assert_eq!(unread.trim(), "2");
    assert!(state.control().stats().marked_read.is_empty());

    // Server back, a new `watch` process sends it.
    let server = DemoServer::start_with_state(addr, state).await.unwrap();
    let control = server.control();
    let mut watch = env.watch(&args);
    watch.wait_for(10, "live", |l| l["type"] == "state" && l["state"] == "live");
    let deadline = Instant::now() + Duration::from_secs(10);
    while control.stats().marked_read.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the queued mark-read never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        control
            .stats()
            .marked_read
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        vec![2]
    );
    let lines = watch.stop();
    assert!(
        lines.iter().all(|l| l["type"] != "notification"),
        "nothing printed twice after a restart"
    );

    // With the server up, mark-read is confirmed at once.
    mark.pop();
    mark.push("--all");
    let (ok, out) = env.run(&mark, None);
    assert!(ok && out.contains("confirmed"), "{out}");
    let server_side = control.notifications();
    assert!(server_side.iter().all(|n| n.notification.leida));

    // An id the server does not know (404) is never "confirmed": said, and exit status 1.
    mark.pop();
    mark.push("999999");
    let (ok, out) = env.run(&mark, None);
    assert!(!ok, "exit status 1: {out}");
    assert!(!out.contains("confirmed"), "{out}");
    let stderr = env.stderr_of_last_run();
    assert!(
        stderr.contains("the server does not know notification 999999 (HTTP 404)"),
        "{stderr}"
    );
    // In Spanish where the user's language is.
    env.lang = Some("es_ES.UTF-8");
    let (ok, _) = env.run(&mark, None);
    assert!(!ok);
    assert!(env
        .stderr_of_last_run()
        .contains("el servidor no conoce la notificación 999999 (HTTP 404)"));
    record_issued_tokens(&control);
}

/// A burst of 300 pushes over 1.5 s: every notification printed once, and the unread count said a
/// few times (at most 4 a second), ending on the right count; not a line per notification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_says_its_unread_count_a_few_times_not_per_notification() {
    let server = demo().await;
    let url = server.http_url();
    let control = server.control();
    let mut env = new_env("cli-unread-burst");
    env.tokens = Some(login_tokens(&url).await);
    let profile = profile(&env);
    let mut watch = env.watch(&["--server", url.as_str(), "--profile", profile.as_str()]);
    watch.wait_for(10, "live", |l| l["type"] == "state" && l["state"] == "live");
    let from = watch.lines.len();
    // One push every 5 ms: each its own frame, as a busy store's are.
    let mut emitted = Vec::new();
    for _ in 0..300 {
        emitted.extend(emit(&control, 1));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    watch.wait_ids(20, &emitted);
    watch.wait_for(5, "unread 300", |l| {
        l["type"] == "unread" && l["count"] == 300
    });
    let lines = watch.stop();
    let unread: Vec<u64> = lines[from..]
        .iter()
        .filter(|l| l["type"] == "unread")
        .map(|l| l["count"].as_u64().unwrap())
        .collect();
    assert_eq!(unread.last(), Some(&300), "{unread:?}");
    assert!(
        unread.len() <= 30,
        "{} unread lines: {unread:?}",
        unread.len()
    );
    record_issued_tokens(&control);
}

/// A mark made by another `aviso-cli` process reaches a running `watch`: it prints the `read`
/// line and the new `unread` count (the journal is checked 4 times a second; the wait here
/// is generous, speed belongs in benchmarks). A mark-all-read too. (A mark of an id not
/// stored yet is the store's unit test `a_notification_marked_before_it_arrives_arrives_read`:
/// here the server's own read state would hide it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_made_by_another_process_reach_a_running_watch() {
    let server = demo().await;
    let url = server.http_url();
    let control = server.control();
    let mut env = new_env("cli-marks-elsewhere");
    env.tokens = Some(login_tokens(&url).await);
    let profile = profile(&env);
    let args = [
        "--server",
        url.as_str(),
        "--profile",
        profile.as_str(),
        "--name",
        "tienda",
    ];
    let emitted = emit(&control, 3);
    let mut watch = env.watch(&args);
    watch.wait_ids(10, &emitted);
    watch.wait_for(10, "unread 3", |l| l["type"] == "unread" && l["count"] == 3);
    let mut mark = vec!["mark-read"];
    mark.extend_from_slice(&args);
    mark.push("2");
    let (ok, out) = env.run(&mark, None);
    assert!(ok, "{out}");
    let read = watch.wait_for(10, "the read line", |l| l["type"] == "read");
    assert_eq!(read["ids"], serde_json::json!(["2"]), "{read}");
    watch.wait_for(10, "unread 2", |l| l["type"] == "unread" && l["count"] == 2);

    mark.pop();
    mark.push("--all");
    let (ok, out) = env.run(&mark, None);
    assert!(ok, "{out}");
    watch.wait_for(10, "unread 0", |l| l["type"] == "unread" && l["count"] == 0);
    let lines = watch.stop();
    assert!(
        lines.iter().any(|l| l["type"] == "read"
            && (l["all"] == true || l["ids"] == serde_json::json!(["1", "3"]))),
        "{lines:#?}"
    );
    record_issued_tokens(&control);
}

/// `aviso-cli status` beside a running `watch`: the health it published (live, the last
/// event, queued mark-reads read from the store now), as JSON and as text in both
/// languages; once the watch stopped, the account is said to be not running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_health_a_running_watch_published() {
    let server = demo().await;
    let url = server.http_url();
    let control = server.control();
    let mut env = new_env("cli-status");
    env.tokens = Some(login_tokens(&url).await);
    let profile = profile(&env);
    let mut watch = env.watch(&["--server", &url, "--profile", &profile, "--name", "tienda"]);
    watch.wait_for(10, "live", |l| l["type"] == "state" && l["state"] == "live");
    let emitted = emit(&control, 1);
    watch.wait_ids(10, &emitted);
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let (ok, out) = env.run(&["status", "--json"], None);
        assert!(ok, "{out}");
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(lines.len() <= 1, "{out}");
        if let Some(line) = lines
            .first()
            .filter(|l| l["last_event"].is_object() && l["rtt_ms"].is_u64())
        {
            break line.clone();
        }
        assert!(Instant::now() < deadline, "never published: {out}");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(line["type"], "health");
    assert_eq!(line["running"], true);
    assert_eq!(line["account"], "tienda");
    assert_eq!(line["state"], "live");
    assert_eq!(line["transport"], "websocket");
    assert_eq!(line["unread"], 1);
    assert_eq!(line["queued_marks"], 0);
    assert!(
        is_rfc3339(line["connected_since"].as_str().unwrap()),
        "{line}"
    );
    assert!(
        is_rfc3339(line["token_expires_at"].as_str().unwrap()),
        "{line}"
    );
    let (access, refresh) = env.tokens.clone().unwrap();
    let text = line.to_string();
    assert!(
        !text.contains(&access) && !text.contains(&refresh),
        "no token: {text}"
    );

    env.lang = Some("es_ES.UTF-8");
    let (ok, out) = env.run(&["status", "--account", "tienda"], None);
    assert!(ok, "{out}");
    for part in [
        "tienda  (http://127.0.0.1:",
        "estado:",
        "conectado (WebSocket), desde ",
        "última recuperación:",
        "último evento:",
        "marcas pendientes:     0",
        "no leídas:             1",
    ] {
        assert!(out.contains(part), "{part:?} in:\n{out}");
    }
    env.lang = Some("en_US.UTF-8");
    let (ok, out) = env.run(&["status"], None);
    assert!(ok, "{out}");
    assert!(out.contains("live (WebSocket), since "), "{out}");
    assert!(out.contains("queued mark-reads:     0"), "{out}");

    // An account nobody has: a clear error.
    let (ok, _) = env.run(&["status", "--account", "otra"], None);
    assert!(!ok);
    assert!(env.error_of_last_run().contains("otra"));

    // Stopped cleanly (Unix: SIGTERM): not running any more, said at once.
    if cfg!(unix) {
        watch.stop();
        let (ok, out) = env.run(&["status", "--json"], None);
        assert!(ok, "{out}");
        let last: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(last["running"], false, "{out}");
        assert_eq!(last["account"], "tienda", "what was last known: {out}");
        env.lang = Some("es_ES.UTF-8");
        let (_, out) = env.run(&["status"], None);
        assert!(
            out.contains("Aviso no está en marcha para esta cuenta (último dato: "),
            "{out}"
        );
        assert!(
            !out.contains("estado:"),
            "no stale state shown as current: {out}"
        );
    } else {
        watch.stop();
    }
    record_issued_tokens(&control);
}

/// `aviso-cli watch` over SSE, stopped and started again: the new process sends the stored
/// event id as `Last-Event-ID` (the server replays from there) and prints only what it never
/// printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_over_sse_resumes_from_the_stored_id_after_a_cli_restart() {
    let server = aviso_testkit::demo::start_with(aviso_demo::DemoConfig {
        ping_interval: aviso_testkit::SSE_KEEP_ALIVE,
        ..aviso_testkit::demo::quiet()
    })
    .await;
    let control = server.control();
    let url = server.http_url();
    let mut env = new_env("cli-sse");
    let profile = env.file("fast-sse.toml", &FastProfile::sse().text());
    env.tokens = Some(login_tokens(&url).await);
    let args = [
        "--server",
        url.as_str(),
        "--profile",
        profile.as_str(),
        "--name",
        "tienda",
    ];
    let mut watch = env.watch(&args);
    watch.wait_for(10, "live over SSE", |l| {
        l["type"] == "state" && l["state"] == "live" && l["transport"] == "sse"
    });
    let first = emit(&control, 3);
    watch.wait_ids(10, &first);
    // The catch-up that follows `live` may print them before the stream brings them; the
    // stream's position is kept once the stream has (what a restart resumes from).
    let db = env.dir().join("data").join("aviso.db");
    let store = aviso_engine::store::Store::open(&db).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if store.event_id("tienda", "").unwrap().as_deref() == Some("3") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the stream's position 3 was never stored"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(store);
    watch.stop();

    let missed = emit(&control, 2);
    let mut watch = env.watch(&args);
    watch.wait_ids(10, &missed);
    std::thread::sleep(Duration::from_millis(500));
    let lines = watch.stop();
    let printed: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "notification")
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(printed, ["4", "5"], "only the new ones, once each");
    let sent = control.stats().sse_last_event_ids;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0], None);
    assert_eq!(sent[1].as_deref(), Some("3"), "resumed from the stored id");
    record_issued_tokens(&control);
}

#[test]
fn profiles_are_listed_and_shown() {
    let env = new_env("cli-profiles");
    let (ok, out) = env.run(&["profiles"], None);
    assert!(ok && out.contains("smartsales"), "{out}");
    let (ok, out) = env.run(&["profile", "show", "smartsales"], None);
    assert!(
        ok && out.contains("[fields]") && out.contains("titulo"),
        "{out}"
    );
    let (ok, _) = env.run(&["profile", "show", "nope"], None);
    assert!(!ok);
    assert!(env.stderr_of_last_run().contains("unknown profile"));
}

#[test]
fn bad_arguments_are_clear_errors() {
    let env = new_env("cli-errors");
    let (ok, _) = env.run(&["watch"], None);
    assert!(!ok);
    assert!(
        env.stderr_of_last_run().contains("no account configured"),
        "{}",
        env.stderr_of_last_run()
    );
    let (ok, _) = env.run(&["watch", "--server", "ftp://x"], None);
    assert!(!ok);
    assert!(env.stderr_of_last_run().contains("invalid server URL"));
    let (ok, _) = env.run(
        &[
            "watch",
            "--server",
            "http://127.0.0.1:1",
            "--param",
            "novalue",
        ],
        None,
    );
    assert!(!ok);
    assert!(env.stderr_of_last_run().contains("KEY=VALUE"));
}

/// A cause the error around it already quotes (the I/O error of a profile file that cannot
/// be read) is said once, not once by the error and again as its cause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_and_its_cause_are_said_once() {
    let server = demo().await;
    let url = server.http_url();
    let mut env = new_env("cli-error-once");
    let missing = env.dir().join("missing.toml").display().to_string();
    let runs: [&[&str]; 3] = [
        &["watch", "--server", &url, "--profile", &missing],
        &["mark-read", "--server", &url, "--profile", &missing, "1"],
        &["profile", "show", &missing],
    ];
    for (lang, said) in [
        ("en_US.UTF-8", "cannot read profile file"),
        ("es_ES.UTF-8", "no se puede leer el archivo de perfil"),
    ] {
        env.lang = Some(lang);
        for args in runs {
            let (ok, _) = env.run(args, None);
            assert!(!ok, "{args:?}");
            let error = env.error_of_last_run();
            assert!(
                error.starts_with(&format!("aviso-cli: {said} {missing}: ")),
                "{lang} {args:?}: {error}"
            );
            // The OS's reason, once ("No such file or directory (os error 2)" on Linux).
            assert_eq!(
                error.matches("(os error 2)").count(),
                1,
                "{lang} {args:?}: {error}"
            );
            let reason = error.rsplit(": ").next().unwrap();
            assert_eq!(error.matches(reason).count(), 1, "{error}");
        }
    }
    record_issued_tokens(&server.control());
}

/// Notifications of `account` put straight into the store `aviso-cli` reads (as `watch`
/// would have stored them), `n` of them, the newest with id `n`.
fn store_notifications(env: &CliEnv, account: &str, n: usize) {
    let dir = env.dir().join("data");
    std::fs::create_dir_all(&dir).unwrap();
    let store = aviso_engine::store::Store::open(&dir.join("aviso.db")).unwrap();
    let items: Vec<aviso_engine::Notification> = (1..=n)
        .map(|i| aviso_engine::Notification {
            account: account.into(),
            id: i.to_string(),
            kind: "nueva_venta".into(),
            title: format!("Nueva venta {i}"),
            body: format!("Cliente {i} realizó una compra por ${i}.00 en la tienda de Sopocachi"),
            url: None,
            created_at: format!(
                "2026-12-01T{:02}:{:02}:{:02}Z",
                8 + i / 3600,
                (i / 60) % 60,
                i % 60
            ),
            read: false,
            data: serde_json::json!({"compra_id": i}),
        })
        .collect();
    store.ingest(items.as_slice()).unwrap();
}

/// `aviso-cli list --json | head -1`: a reader that goes away ends the command quietly, with
/// status 0, as `ls | head` does; the same for `search`, `unread` and `watch`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_list_search_unread_and_watch_quietly() {
    let server = demo().await;
    let url = server.http_url();
    let env = new_env("cli-closed-stdout");
    // Far more than a pipe holds (64 KiB on Linux): the command is still writing when its
    // reader closes the pipe.
    store_notifications(&env, "tienda", 3000);
    let quiet = |env: &CliEnv, what: &str| {
        let stderr = env.stderr_of_last_run();
        for word in ["Broken pipe", "broken pipe", "panicked", "aviso-cli: "] {
            assert!(!stderr.contains(word), "{what}: {word:?} in {stderr}");
        }
    };
    for args in [
        &["list", "--json", "--limit", "5000"][..],
        &["list", "--limit", "5000"],
        &["search", "venta", "--json", "--limit", "5000"],
        &["search", "venta", "--limit", "5000"],
    ] {
        let (status, first) = run_head_1(&env, args);
        assert!(status.success(), "{args:?}: {status}");
        assert!(first.contains("Nueva venta 3000"), "{args:?}: {first}");
        quiet(&env, &format!("{args:?}"));
    }
    for args in [
        &["unread"][..],
        &["unread", "--json", "--account", "tienda"],
        &["list", "--json"],
        &["watch", "--server", &url, "--profile", &profile(&env)],
    ] {
        let status = run_into_closed_pipe(&env, args);
        assert!(status.success(), "{args:?}: {status}");
        quiet(&env, &format!("{args:?}"));
    }
    record_issued_tokens(&server.control());
}

/// Logs are coloured on a terminal only, and not even there with `NO_COLOR`
/// (no-color.org). The terminal is `script`'s pseudo-terminal (util-linux).
#[cfg(target_os = "linux")]
#[test]
fn logs_are_coloured_only_on_a_terminal_and_never_with_no_color() {
    let mut env = new_env("cli-log-colour");
    // A token from the environment (no keyring), a server that is not there: mark-read
    // logs its TLS setup and the failed send, then ends.
    env.tokens = Some(("access".into(), "refresh".into()));
    let args = [
        "mark-read",
        "--server",
        "http://127.0.0.1:1",
        "--name",
        "tienda",
        "1",
    ];
    let (ok, out) = env.run(&args, None);
    assert!(ok, "{out}");
    let log = env.stderr_of_last_run();
    assert!(log.contains("DEBUG"), "{log}");
    assert!(!log.contains('\x1b'), "escape codes in a file: {log:?}");

    let on_a_terminal = |env: &mut CliEnv, no_color: Option<&str>| -> String {
        let inner = env.command(&args);
        let line = std::iter::once(inner.get_program())
            .chain(inner.get_args())
            .map(|a| format!("'{}'", a.to_str().unwrap()))
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"]);
        for (key, value) in inner.get_envs() {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        let out = cmd
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .expect("script (util-linux) runs a command on a pseudo-terminal");
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.contains("DEBUG"), "{text}");
        text
    };
    let coloured = on_a_terminal(&mut env, None);
    assert!(
        coloured.contains("\x1b["),
        "a terminal gets colours: {coloured:?}"
    );
    let coloured = on_a_terminal(&mut env, Some(""));
    assert!(
        coloured.contains("\x1b["),
        "NO_COLOR empty is unset: {coloured:?}"
    );
    let plain = on_a_terminal(&mut env, Some("1"));
    assert!(!plain.contains('\x1b'), "NO_COLOR=1: {plain:?}");
}

/// `profile show FILE` reads a profile file as `--profile` does: resolved, its `extends`
/// applied (the output loads again as the same profile), or the file's error.
#[test]
fn profile_show_takes_a_file_as_profile_does() {
    let mut env = new_env("cli-profile-show-file");
    let mine = env.dir().join("mi-tienda.toml");
    std::fs::write(
        &mine,
        "extends = \"smartsales\"\nname = \"mi-tienda\"\n\n[heartbeat]\ntimeout_secs = 7\n",
    )
    .unwrap();
    let mine = mine.display().to_string();
    env.lang = Some("en_US.UTF-8");
    let (ok, out) = env.run(&["profile", "show", &mine], None);
    assert!(ok, "{}", env.stderr_of_last_run());
    assert_eq!(
        out.lines().next().unwrap(),
        format!("# {mine}, with `extends = \"smartsales\"` applied")
    );
    assert!(out.contains("name = \"mi-tienda\""), "{out}");
    assert!(
        !out.contains("\nextends"),
        "applied, not to apply again: {out}"
    );
    // The preset's keys, the file's override.
    let shown = aviso_engine::Profile::parse("shown", &out).unwrap();
    let preset = aviso_engine::Profile::load("smartsales").unwrap();
    assert_eq!(shown.name, "mi-tienda");
    assert_eq!(shown.heartbeat.timeout_secs, 7.0);
    assert_eq!(shown.auth.obtain, preset.auth.obtain);
    assert_eq!(shown.websocket.url, preset.websocket.url);
    assert!(out.contains("titulo"), "{out}");
    env.lang = Some("es_BO.UTF-8");
    let (ok, out) = env.run(&["profile", "show", &mine], None);
    assert!(ok);
    assert_eq!(
        out.lines().next().unwrap(),
        format!("# {mine}, con `extends = \"smartsales\"` ya aplicado")
    );

    // A file that is not a profile: its error, where it is.
    let bad = env.dir().join("mala.toml");
    std::fs::write(&bad, "name = \"mala\"\n[websocket\nurl = \"x\"\n").unwrap();
    let bad = bad.display().to_string();
    for (lang, said) in [
        ("en_US.UTF-8", format!("aviso-cli: invalid profile {bad}: ")),
        (
            "es_ES.UTF-8",
            format!("aviso-cli: el perfil {bad} no es válido: "),
        ),
    ] {
        env.lang = Some(lang);
        let (ok, out) = env.run(&["profile", "show", &bad], None);
        assert!(!ok && out.is_empty(), "{out}");
        let stderr = env.stderr_of_last_run();
        assert!(stderr.contains(&said), "{lang}: {stderr}");
        assert!(stderr.contains("line 2"), "{lang}: {stderr}");
    }
}

/// `list` joins title and body with ` — `; a notification without a body has no dangling
/// separator (nor has `search`, which prints as `list` does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_prints_no_separator_for_an_empty_body() {
    let server = demo().await;
    let control = server.control();
    let mut env = new_env("cli-empty-body");
    env.tokens = Some(login_tokens(&server.http_url()).await);
    let url = server.http_url();
    let profile = profile(&env);
    let spec = |titulo: &str, mensaje: &str| EmitSpec {
        tipo: Some("stock_bajo".into()),
        titulo: Some(titulo.into()),
        mensaje: Some(mensaje.into()),
        ..EmitSpec::default()
    };
    let mut ids = control.emit(1, &spec("Stock bajo", "Quedan 2 unidades"));
    ids.extend(control.emit(1, &spec("Stock agotado", "")));
    let mut watch = env.watch(&["--server", &url, "--profile", &profile, "--name", "tienda"]);
    watch.wait_ids(10, &ids);
    watch.stop();
    let (ok, out) = env.run(&["list"], None);
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].ends_with("  [stock_bajo] Stock agotado  (tienda#2)"),
        "{out}"
    );
    assert!(
        lines[1].ends_with("  [stock_bajo] Stock bajo — Quedan 2 unidades  (tienda#1)"),
        "{out}"
    );
    let (ok, out) = env.run(&["search", "agotado"], None);
    assert!(ok, "{out}");
    assert!(
        out.trim_end()
            .ends_with("  [stock_bajo] Stock agotado  (tienda#2)"),
        "{out}"
    );
    record_issued_tokens(&control);
}

/// What the CLI says to a person is in Spanish where the locale is Spanish and in English
/// otherwise (the JSON lines are the same in both).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_in_spanish_or_english_as_the_locale_says() {
    let server = demo().await;
    let url = server.http_url();
    let mut env = new_env("cli-languages");
    let cases: [(&[&str], Option<&str>, &str, &str); 7] = [
        (
            &["unread", "--account", "nadie"],
            None,
            "aviso-cli: no hay ninguna cuenta `nadie`: no está configurada ni tiene notificaciones guardadas (mira `aviso-cli list`)",
            "aviso-cli: no account named `nadie`: it is not configured and has no stored notifications (see `aviso-cli list`)",
        ),
        (
            &["mark-read", "1"],
            None,
            "aviso-cli: no hay ninguna cuenta configurada: ejecuta `aviso-cli login --server URL --username USUARIO` o usa --server",
            "aviso-cli: no account configured: run `aviso-cli login --server URL --username U` or pass --server",
        ),
        (
            &["watch", "--account", "nadie"],
            None,
            "aviso-cli: no hay ninguna cuenta `nadie` (mira `aviso-cli login`)",
            "aviso-cli: no account named `nadie` (see `aviso-cli login`)",
        ),
        (
            &["watch", "--server", &url, "--param", "consumidor"],
            None,
            "aviso-cli: --param espera CLAVE=VALOR y recibió `consumidor`",
            "aviso-cli: --param takes KEY=VALUE, got `consumidor`",
        ),
        (
            &["watch", "--profile", "wearable"],
            None,
            "aviso-cli: --profile necesita --server (o `watch --demo`)",
            "aviso-cli: --profile needs --server (or `watch --demo`)",
        ),
        (
            &["profile", "show", "nada"],
            None,
            "aviso-cli: no hay ningún perfil `nada` (mira `aviso-cli profiles`)",
            "aviso-cli: unknown profile `nada` (see `aviso-cli profiles`)",
        ),
        (
            &["login", "--server", &url, "--username", "admin"],
            Some("incorrecta\n"),
            "aviso-cli: usuario o contraseña incorrectos",
            "aviso-cli: wrong username or password",
        ),
    ];
    for (lang, es) in [("es_ES.UTF-8", true), ("en_US.UTF-8", false)] {
        env.lang = Some(lang);
        for (args, stdin, spanish, english) in &cases {
            let (ok, out) = env.run(args, *stdin);
            assert!(!ok && out.is_empty(), "{lang} {args:?}: {out}");
            let want = if es { spanish } else { english };
            assert_eq!(&env.error_of_last_run(), want, "{lang} {args:?}");
        }
        // An empty store: said, on stdout; as JSON, nothing.
        let (ok, out) = env.run(&["list"], None);
        let want = if es {
            "No hay notificaciones guardadas"
        } else {
            "No notifications stored"
        };
        assert!(ok && out.trim_end() == want, "{lang}: {out}");
        let (ok, out) = env.run(&["list", "--unread"], None);
        let want = if es {
            "No hay notificaciones sin leer"
        } else {
            "No unread notifications"
        };
        assert!(ok && out.trim_end() == want, "{lang}: {out}");
        let (ok, out) = env.run(&["list", "--json"], None);
        assert!(ok && out.is_empty(), "{lang}: {out}");
    }
    // No account was saved by the failed login.
    assert!(!env.dir().join("config/config.toml").exists());
    assert!(server.control().stats().tokens_issued.is_empty());
}

/// `aviso-cli search` over what `watch` stored from the demo backend for two accounts: found
/// without accents or case, by prefix, in the payload; the account and unread filters; the
/// documented JSON lines with their highlighted pieces; text lines; query syntax taken as
/// text; messages in Spanish and English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_stored_notifications_as_documented_json_lines_and_text() {
    let server = demo().await;
    let control = server.control();
    let mut env = new_env("cli-search");
    env.tokens = Some(login_tokens(&server.http_url()).await);
    let url = server.http_url();
    let profile = profile(&env);
    let spec = |titulo: &str, mensaje: &str, datos: Value| EmitSpec {
        tipo: Some("devolucion_solicitada".into()),
        titulo: Some(titulo.into()),
        mensaje: Some(mensaje.into()),
        datos: Some(datos),
        ..EmitSpec::default()
    };
    let mut ids = control.emit(
        1,
        &spec(
            "Devolución solicitada",
            "Ana Pérez pidió devolver «Silla ergonómica» (compra #1042)",
            serde_json::json!({"cliente": "Zoila Quispe", "compra_id": 1042}),
        ),
    );
    ids.extend(control.emit(
        1,
        &spec(
            "Nueva Compra Realizada",
            "Cliente Luis PEREZ realizó compra #1043 por $350.00",
            serde_json::json!({"compra_id": 1043}),
        ),
    ));
    ids.extend(control.emit(
        1,
        &spec("Stock bajo", "Quedan 2 unidades", serde_json::json!({})),
    ));
    // Two accounts on the same server: each stores the three.
    for name in ["tienda", "otra"] {
        let mut watch = env.watch(&["--server", &url, "--profile", &profile, "--name", name]);
        watch.wait_ids(10, &ids);
        watch.stop();
    }
    let mut mark = vec!["mark-read", "--server", &url, "--profile", &profile];
    mark.extend(["--name", "tienda", "2"]);
    let (ok, out) = env.run(&mark, None);
    assert!(ok, "{out}");

    let lines = |out: &str| -> Vec<Value> {
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
            .collect()
    };
    let keys = |hits: &[Value]| -> Vec<String> {
        hits.iter()
            .map(|h| {
                format!(
                    "{}#{}",
                    h["account"].as_str().unwrap(),
                    h["id"].as_str().unwrap()
                )
            })
            .collect()
    };
    let (ok, out) = env.run(&["search", "perez", "--account", "tienda", "--json"], None);
    assert!(ok, "{out}");
    let hits = lines(&out);
    assert_eq!(keys(&hits), ["tienda#2", "tienda#1"], "newest first");
    let first = &hits[1];
    for key in ["id", "kind", "title", "body", "created_at"] {
        assert!(first[key].is_string(), "{key} in {first}");
    }
    assert_eq!(first["read"], false);
    assert_eq!(first["data"]["compra_id"], 1042);
    assert_eq!(
        first["highlights"],
        serde_json::json!({
            "title": [{"text": "Devolución solicitada", "match": false}],
            "body": [
                {"text": "Ana ", "match": false},
                {"text": "Pérez", "match": true},
                {"text": " pidió devolver «Silla ergonómica» (compra #1042)", "match": false}
            ]
        })
    );
    assert_eq!(hits[0]["read"], true);
    assert_eq!(
        hits[0]["highlights"]["body"][1],
        serde_json::json!({"text": "PEREZ", "match": true})
    );

    // Accents, case and prefixes; both accounts without --account; the payload. (The two
    // accounts' copies have the same time and id: their order is the list's, either.)
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let (_, out) = env.run(&["search", "DEVOLUCIÓN", "sill", "--json"], None);
    assert_eq!(sorted(keys(&lines(&out))), ["otra#1", "tienda#1"]);
    let (_, out) = env.run(&["search", "quispe", "--json"], None);
    assert_eq!(sorted(keys(&lines(&out))), ["otra#1", "tienda#1"]);
    let (_, out) = env.run(&["search", "perez", "--unread", "--json"], None);
    let unread = keys(&lines(&out));
    assert_eq!(unread[0], "otra#2", "tienda#2 is read");
    assert_eq!(sorted(unread), ["otra#1", "otra#2", "tienda#1"]);
    let (_, out) = env.run(&["search", "per", "--limit", "1", "--json"], None);
    assert_eq!(lines(&out).len(), 1);
    // Query syntax is text: no error, found as words.
    let query = ["\"compra", "-1043*", "(por)", "real:", "NOT"];
    let (ok, out) = env.run(&[&["search", "--json", "--"][..], &query].concat(), None);
    assert!(
        ok && out.is_empty(),
        "NOT is a word that is not there: {out}"
    );
    let (ok, out) = env.run(
        &[&["search", "--json", "--"][..], &query[..4]].concat(),
        None,
    );
    assert!(ok, "{}", env.stderr_of_last_run());
    assert_eq!(sorted(keys(&lines(&out))), ["otra#2", "tienda#2"]);

    // Text lines, as `list` prints them (no colour: not a terminal).
    let (ok, out) = env.run(&["search", "perez", "--account", "otra"], None);
    assert!(ok);
    let text: Vec<&str> = out.lines().collect();
    assert_eq!(text.len(), 2, "{out}");
    assert!(text[1].starts_with("• "), "{out}");
    assert!(
        text[1].ends_with(
            "[devolucion_solicitada] Devolución solicitada — Ana Pérez pidió devolver «Silla ergonómica» (compra #1042)  (otra#1)"
        ),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "no escape sequences into a pipe");

    // Nothing found, or nothing to look for: said in the user's language.
    for (lang, none, no_words) in [
        (
            "es_BO.UTF-8",
            "Sin resultados para «zzz»",
            "La búsqueda no tiene palabras",
        ),
        ("C", "No results for “zzz”", "The query has no words"),
    ] {
        env.lang = Some(lang);
        let (ok, out) = env.run(&["search", "zzz"], None);
        assert!(ok && out.trim() == none, "{lang}: {out}");
        let (ok, out) = env.run(&["search", "\"", "*", ":"], None);
        assert!(ok && out.starts_with(no_words), "{lang}: {out}");
        let (ok, out) = env.run(&["search", "zzz", "--json"], None);
        assert!(ok && out.is_empty(), "{lang}: no line in JSON: {out}");
    }
    record_issued_tokens(&control);
}

fn files_containing(root: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                hits.push(path);
            }
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the desktop session of scripts/test"]
async fn login_keeps_tokens_in_the_keyring_only_and_logout_removes_them() {
    require_session();
    let server = demo().await;
    let control = server.control();
    let url = server.http_url();
    let mut env = new_env("cli-keyring");
    // The password and the tokens pass through every crate here: all their logs are kept.
    env.log = "trace";

    let (ok, _) = env.run(
        &[
            "login",
            "--server",
            &url,
            "--username",
            "admin",
            "--name",
            "tienda",
        ],
        Some("wrong\n"),
    );
    assert!(!ok);
    assert!(
        env.stderr_of_last_run()
            .contains("wrong username or password"),
        "{}",
        env.stderr_of_last_run()
    );

    let (ok, out) = env.run(
        &[
            "login",
            "--server",
            &url,
            "--username",
            "admin",
            "--name",
            "tienda",
        ],
        Some("admin\n"),
    );
    assert!(ok, "{out}{}", env.stderr_of_last_run());
    assert!(out.contains("keyring"), "{out}");
    let issued = control.stats().tokens_issued;
    assert_eq!(issued.len(), 2, "one access and one refresh token");
    for token in &issued {
        assert!(
            files_containing(env.dir(), token).is_empty(),
            "a token was written to a file"
        );
    }
    let config = std::fs::read_to_string(env.dir().join("config/config.toml")).unwrap();
    assert!(
        config.contains("tienda") && !config.contains("admin\"\npassword"),
        "{config}"
    );

    // `watch --account` authenticates from the keyring alone.
    emit(&control, 1);
    let mut watch = env.watch(&["--account", "tienda"]);
    watch.wait_for(10, "live", |l| l["type"] == "state" && l["state"] == "live");
    watch.wait_ids(10, &[1]);
    watch.stop();

    // A rename takes the history and the keyring's tokens to the new name.
    let (ok, _) = env.run(&["rename", "tienda", "norte"], None);
    assert!(ok, "{}", env.stderr_of_last_run());
    let (ok, out) = env.run(&["rename", "norte", "  Tienda Centro "], None);
    assert!(ok, "{}", env.stderr_of_last_run());
    assert!(out.contains("`Tienda Centro`"), "{out}");
    let (ok, _) = env.run(&["rename", "Tienda Centro", ""], None);
    assert!(!ok, "an empty name is refused");
    assert!(
        env.stderr_of_last_run()
            .contains("cannot be an account name"),
        "{}",
        env.stderr_of_last_run()
    );
    let (ok, out) = env.run(&["list", "--account", "Tienda Centro", "--json"], None);
    assert!(ok, "{}", env.stderr_of_last_run());
    let listed: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), 1, "the history came along: {out}");
    assert_eq!(listed[0]["id"], "1");
    assert_eq!(listed[0]["account"], "Tienda Centro");
    emit(&control, 1);
    let mut watch = env.watch(&["--account", "Tienda Centro"]);
    watch.wait_for(10, "live", |l| l["type"] == "state" && l["state"] == "live");
    watch.wait_ids(10, &[2]);
    watch.stop();
    assert_eq!(
        control.stats().tokens_issued.len(),
        2,
        "the renamed account used the tokens it had, from the keyring: no new login"
    );

    let (ok, out) = env.run(&["logout", "--account", "Tienda Centro"], None);
    assert!(ok, "{out}");
    let mut watch = env.watch(&["--server", &url, "--name", "tienda"]);
    let line = watch.wait_for(10, "needs_login", |l| {
        l["type"] == "state" && l["state"] == "needs_login"
    });
    assert_eq!(line["detail"], "auth_failed");
    watch.stop();
    record_issued_tokens(&control);
}

/// Linux: the Secret Service is a D-Bus service (Windows' Credential Manager is always there).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the desktop session of scripts/test"]
async fn without_a_secret_service_login_says_what_to_install() {
    require_session();
    let server = demo().await;
    let url = server.http_url();
    let env = new_env("cli-no-keyring");
    // A session bus with no Secret Service on it, and none it could start: the stock session
    // config would D-Bus-activate the installed gnome-keyring.
    let config = env.dir().join("bare-bus.xml");
    std::fs::write(
        &config,
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#,
    )
    .unwrap();
    let mut bus = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dbus-daemon");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let mut cmd = env.command(&["login", "--server", &url, "--username", "admin"]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", address.trim())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"admin\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let _ = bus.kill();
    let _ = bus.wait();
    assert!(!out.status.success());
    let stderr = env.stderr_of_last_run();
    assert!(
        stderr.contains("no Secret Service") && stderr.contains("gnome-keyring"),
        "{stderr}"
    );

    // No session bus at all.
    let mut cmd = env.command(&["login", "--server", &url, "--username", "admin"]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"admin\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = env.stderr_of_last_run();
    assert!(
        stderr.contains("session bus") || stderr.contains("Secret Service"),
        "{stderr}"
    );
    assert!(
        !env.dir().join("config/config.toml").exists(),
        "no account saved without a keyring"
    );
    record_issued_tokens(&server.control());
}

#[cfg(target_os = "linux")]
fn wait_dunst_total(at_least: u64, secs: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let n = dunst_total();
        if n >= at_least || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Linux: dunst is the notification daemon here (Wine has no WinRT toasts).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the desktop session of scripts/test"]
async fn watch_toasts_reach_the_notification_daemon_and_bursts_become_one() {
    require_session();
    let server = demo().await;
    let control = server.control();
    let mut env = new_env("cli-toasts");
    env.tokens = Some(login_tokens(&server.http_url()).await);
    let url = server.http_url();
    let profile = profile(&env);
    let mut watch = env.watch(&["--server", &url, "--profile", &profile, "--toasts"]);
    watch.wait_for(10, "live", |l| l["type"] == "state" && l["state"] == "live");
    let before = dunst_total();
    control.emit(
        1,
        &EmitSpec {
            titulo: Some("Nueva Compra Realizada".into()),
            mensaje: Some(
                "<script>alert(1)</script><img src=x onerror=alert(2)> Cliente <b>Ana</b> & co"
                    .into(),
            ),
            ..Default::default()
        },
    );
    assert_eq!(
        wait_dunst_total(before + 1, 10),
        before + 1,
        "one toast for one notification"
    );
    let history = dunst_history();
    let (_, body) = history
        .iter()
        .find(|(s, _)| s == "Nueva Compra Realizada")
        .unwrap_or_else(|| panic!("{history:?}"));
    // The daemon renders body markup: the server's HTML must reach it escaped, as text.
    assert_eq!(
        body,
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; Cliente &lt;b&gt;Ana&lt;/b&gt; &amp; co"
    );

    let before = dunst_total();
    // Low stock: no default rule makes any of them urgent (a random sale of 1000 or more
    // would break out of the burst as a toast of its own, by the smartsales preset).
    let burst = control.emit(
        10,
        &EmitSpec {
            tipo: Some("stock_bajo".into()),
            ..Default::default()
        },
    );
    watch.wait_ids(10, &burst);
    let after = wait_dunst_total(before + 1, 10);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        dunst_total(),
        after,
        "a burst of 10 gave more than one toast"
    );
    assert_eq!(after, before + 1);
    let summaries = dunst_summaries();
    assert!(
        summaries.iter().any(|s| s.starts_with("10 ")),
        "{summaries:?}"
    );
    watch.stop();
    record_issued_tokens(&control);
}
