//! `aviso-cli probe` against real servers on loopback: the seed-003 Socket.IO gateway in its
//! `twins` reading (greeting, every event twice), and a scripted WebSocket server that sends
//! what a backend built from a seed might (a greeting, a half-filled event, an unknown type,
//! a text that is not JSON, a close and a reconnect). What each frame became, the warnings,
//! the summary, `--suggest` (its TOML loads and maps the unknown type), the human output in
//! Spanish and English, and a bad profile.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use aviso_engine::frame::{parse_frame, Inbound};
use aviso_engine::Profile;
use aviso_testkit::seed_servers::SocketIo;
use aviso_testkit::CliEnv;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_aviso-cli");

/// A running `aviso-cli probe`: its stdout line by line, its stderr when it ends.
struct Probe {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

/// The environment of one test: its own config and data folders (the data folder must stay
/// empty: probing never writes the user's store), warnings only in the logs, no tokens.
fn probe_env(name: &str) -> CliEnv {
    let mut env = CliEnv::new(BIN, name);
    env.log = "warn";
    env
}

/// `aviso-cli probe ARGS` in `lang`, its stderr piped.
fn command(env: &CliEnv, lang: &str, args: &[&str]) -> Command {
    let mut full = vec!["probe"];
    full.extend_from_slice(args);
    let mut cmd = env.command(&full);
    cmd.env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stderr(Stdio::piped());
    cmd
}

impl Probe {
    fn start(mut cmd: Command) -> Probe {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Probe {
            child: Some(child),
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    /// Waits until a JSON line matches.
    fn wait_for(&mut self, secs: u64, what: &str, pred: impl Fn(&Value) -> bool) {
        let matches = |line: &String| serde_json::from_str(line).is_ok_and(|v: Value| pred(&v));
        if self.seen.iter().any(matches) {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = matches(&line);
                    self.seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!("no {what} within {secs} s; lines: {:#?}", self.seen),
            }
        }
    }

    /// Waits for the end it chose (`--seconds`), at most `secs`.
    fn wait(mut self, secs: u64) -> (std::process::ExitStatus, Vec<String>, String) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(secs);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("probe still running after {secs} s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        self.finish(status)
    }

    fn finish(
        mut self,
        status: std::process::ExitStatus,
    ) -> (std::process::ExitStatus, Vec<String>, String) {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status, std::mem::take(&mut self.seen), stderr)
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn json_lines(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// The frame lines (those with `became`).
fn frames(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l.get("became").is_some()).collect()
}

fn became(frame: &Value) -> &Vec<Value> {
    frame["became"].as_array().unwrap()
}

fn codes(frame: &Value) -> Vec<&str> {
    frame["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect()
}

/// Seed 003's gateway as a NestJS developer might write it: a `connected` greeting, every
/// business event and role notification twice (generic with an envelope, specific bare).
/// Each becomes one notification and one twin; the greeting is a control frame; the role
/// event is read as words (no JSON on screen).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_shows_the_twins_gateway_frame_by_frame() {
    let gateway = SocketIo::start_with(0, &["--reading", "twins"]);
    let dir = probe_env("cli-probe-twins");
    let url = gateway.url();
    let cmd = command(
        &dir,
        "en_US.UTF-8",
        &[
            "--profile",
            "socketio-gateway",
            "--server",
            &url,
            "--param",
            "user_id=u1",
            "--param",
            "role=proveedor",
            "--seconds",
            // Ends by itself (Windows has no SIGTERM to stop it with a summary).
            "20",
            "--json",
        ],
    );
    let mut probe = Probe::start(cmd);
    probe.wait_for(20, "live", |l| l["type"] == "state" && l["state"] == "live");
    // Joined its role's room once the server counts it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while gateway.get("/__test/stats").await["byRole"]["proveedor"] != 1 {
        assert!(Instant::now() < deadline, "never joined");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    gateway.post("/api/dashboard/emit-event", json!({"type": "reserva:creada", "data": {"reserva": {"id": 1, "estado": "confirmada", "fecha": "2024-11-15", "hora": "14:30"}}, "timestamp": "2024-11-15T14:30:00Z"}))
        .await;
    gateway.post("/api/dashboard/notify-role", json!({"role": "proveedor", "event": "nueva_solicitud", "payload": {"servicioId": 1, "clienteId": 123}}))
        .await;
    for kind in ["reserva:creada", "nueva_solicitud"] {
        probe.wait_for(10, &format!("the {kind} twin"), |l| {
            l["became"][0]["as"] == "twin" && l["became"][0]["kind"] == kind
        });
    }
    let (status, lines, stderr) = probe.wait(60);
    assert!(status.success(), "{status}: {stderr}");
    let lines = json_lines(&lines);
    let frames = frames(&lines);

    let greeting = frames
        .iter()
        .find(|f| f["frame"].as_str().unwrap().contains("\"connected\""))
        .expect("the greeting");
    assert_eq!(
        became(greeting),
        &vec![json!({"as": "control", "event": "connected"})]
    );

    let outcomes = |kind: &str, what: &str| -> Vec<Value> {
        frames
            .iter()
            .flat_map(|f| became(f).iter())
            .filter(|b| b["kind"] == kind && b["as"] == what)
            .cloned()
            .collect()
    };
    let reserva = outcomes("reserva:creada", "notification");
    assert_eq!(reserva.len(), 1, "{lines:#?}");
    assert_eq!(reserva[0]["title"], "Nueva reserva #1");
    let twin = outcomes("reserva:creada", "twin");
    assert_eq!(twin.len(), 1, "{lines:#?}");
    assert_eq!(twin[0]["id"], reserva[0]["id"], "the twin of the one shown");

    let role = outcomes("nueva_solicitud", "notification");
    assert_eq!(role.len(), 1, "{lines:#?}");
    assert_eq!(role[0]["title"], "Nueva solicitud");
    assert_eq!(role[0]["body"], "clienteId: 123 · servicioId: 1");
    assert_eq!(outcomes("nueva_solicitud", "twin").len(), 1, "{lines:#?}");

    assert!(
        !lines.iter().any(|l| l.to_string().contains("json_dump")),
        "no title or body reads as JSON: {lines:#?}"
    );
    // Its rule is `[frames.other]`: said, with the kind.
    let role_frame = frames
        .iter()
        .find(|f| became(f).iter().any(|b| b["kind"] == "nueva_solicitud"))
        .unwrap();
    assert!(codes(role_frame).contains(&"no_rule"), "{role_frame}");
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["became"]["notification"], 2, "{summary}");
    assert_eq!(summary["became"]["twin"], 2, "{summary}");
    assert_eq!(summary["became"]["control"], 1, "{summary}");
    assert_eq!(summary["connections"], 1, "{summary}");
    assert!(
        !dir.dir().join("data").join("aviso.db").exists(),
        "the user's store is never written"
    );
}

const GREETING: &str = r#"{"type":"connection_established","message":"Conectado al servidor de muebles","client_id":"CLIENT","timestamp":"2025-01-01T12:00:00+00:00"}"#;
const FULL: &str = r#"{"type":"furniture_created","data":{"furniture_id":"f1","nombre":"Mesa","descripcion":"Mesa de roble","altura":75,"ancho":120,"material":"roble","autor_username":"juan"},"timestamp":"2025-01-01T12:00:01+00:00"}"#;
const PARTIAL: &str = r#"{"type":"furniture_created","data":{"furniture_id":"f2","nombre":"Silla","descripcion":"Silla sin medidas","autor_username":"ana"},"timestamp":"2025-01-01T12:00:02+00:00"}"#;
const STOCK: &str = r#"{"type":"stock_bajo","data":{"sku":"A1","cantidad":2}}"#;
const NOT_JSON: &str = "esto no es JSON";
const AFTER: &str = r#"{"type":"furniture_deleted","data":{"furniture_id":"f1","nombre":"Mesa","descripcion":"Mesa de roble","altura":75,"ancho":120,"material":"roble","autor_username":"juan"},"timestamp":"2025-01-01T12:00:03+00:00"}"#;

/// A WebSocket server that sends, to its first connection, a greeting, a complete
/// `furniture_created`, one without `material`/`ancho`/`altura`, an unknown `stock_bajo`,
/// a text that is not JSON and a `furniture_deleted`, then closes; to every later one, the
/// greeting again under another client id, and stays open.
async fn scripted_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let n = connections.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let greeting = GREETING.replace("CLIENT", &format!("client-{n}"));
                if ws.send(Message::text(greeting)).await.is_err() {
                    return;
                }
                if n == 1 {
                    for text in [FULL, PARTIAL, STOCK, NOT_JSON, AFTER] {
                        let _ = ws.send(Message::text(text)).await;
                    }
                    let _ = ws.close(None).await;
                }
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    port
}

/// A profile file pointing at the scripted server, reconnecting fast.
fn profile_file(dir: &CliEnv, port: u16) -> String {
    let path = dir.dir().join("mine.toml");
    let mut f = std::fs::File::create(&path).unwrap();
    write!(
        f,
        "extends = \"furniture\"\n\n[websocket]\nurl = \"ws://127.0.0.1:{port}/eventos\"\n\n\
         [reconnect]\nmin_ms = 20\ninitial_ms = 100\nmax_ms = 400\n"
    )
    .unwrap();
    path.display().to_string()
}

/// A backend the presets do not know: what each frame became, the warnings that say why,
/// a bad frame that does not stop the probe, a reconnect whose greeting is still a control
/// frame, and `--suggest`'s profile, which loads and gives the unknown type a readable
/// title. The same run read in Spanish and in English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_explains_a_backend_it_has_never_seen_and_suggests_a_profile() {
    let (json_port, es_port, en_port) = (
        scripted_server().await,
        scripted_server().await,
        scripted_server().await,
    );
    let (json_dir, es_dir, en_dir) = (
        probe_env("cli-probe-json"),
        probe_env("cli-probe-es"),
        probe_env("cli-probe-en"),
    );
    let run = |dir: &CliEnv, port: u16, lang: &str, extra: &[&str], server: &str| {
        let file = profile_file(dir, port);
        let mut args = vec!["--profile", &file, "--server", server, "--seconds", "6"];
        args.extend_from_slice(extra);
        let mut cmd = command(dir, lang, &args);
        // Tokens are never printed, whether they come from the environment or the URL.
        cmd.env("AVISO_TOKEN", "t0k3n-from-env");
        Probe::start(cmd)
    };
    let json_server = format!("ws://127.0.0.1:{json_port}");
    let es_server = format!("ws://127.0.0.1:{es_port}");
    let en_server = format!("ws://127.0.0.1:{en_port}/?token=t0k3n-in-url");
    let json_run = run(
        &json_dir,
        json_port,
        "en_US.UTF-8",
        &["--json"],
        &json_server,
    );
    let es_run = run(&es_dir, es_port, "es_ES.UTF-8", &["--suggest"], &es_server);
    let en_run = run(&en_dir, en_port, "en_US.UTF-8", &[], &en_server);
    let (status, lines, stderr) = tokio::task::spawn_blocking(move || json_run.wait(40))
        .await
        .unwrap();
    assert!(status.success(), "{status}: {stderr}");
    let lines = json_lines(&lines);
    let frames = frames(&lines);
    let find = |text: &str| -> Vec<&Value> {
        frames
            .iter()
            .filter(|f| f["frame"].as_str().unwrap() == text)
            .copied()
            .collect()
    };

    // The greeting, on both connections: a control frame, never an id change.
    let greetings: Vec<&&Value> = frames
        .iter()
        .filter(|f| {
            f["frame"]
                .as_str()
                .unwrap()
                .contains("connection_established")
        })
        .collect();
    assert_eq!(greetings.len(), 2, "one per connection: {lines:#?}");
    for g in &greetings {
        assert_eq!(
            became(g),
            &vec![json!({"as": "control", "event": "connection_established"})]
        );
        assert!(codes(g).is_empty(), "{g}");
    }
    let live = lines
        .iter()
        .filter(|l| l["type"] == "state" && l["state"] == "live")
        .count();
    assert_eq!(live, 2, "the reconnect is shown: {lines:#?}");
    // In order: the first connection's frames, its close, the second connection's greeting.
    let at = |pred: &dyn Fn(&Value) -> bool| lines.iter().position(pred).unwrap();
    let closed = at(&|l| l["type"] == "state" && l["state"] == "backoff");
    assert!(at(&|l| l["frame"] == AFTER) < closed, "{lines:#?}");
    let second = at(&|l| l["frame"].as_str().is_some_and(|f| f.contains("client-2")));
    let relive = lines
        .iter()
        .rposition(|l| l["type"] == "state" && l["state"] == "live")
        .unwrap();
    assert!(closed < relive && relive < second, "{lines:#?}");

    let full = find(FULL);
    assert_eq!(
        became(full[0])[0]["title"],
        "Nuevo mueble creado: Mesa - roble (120x75cm)"
    );
    assert!(codes(full[0]).is_empty(), "{}", full[0]);

    let partial = find(PARTIAL);
    let b = &became(partial[0])[0];
    assert_eq!(b["as"], "notification");
    assert_eq!(b["title"], "Furniture created", "the kind in words");
    let w = &partial[0]["warnings"][0];
    assert_eq!(w["code"], "fell_back", "{w}");
    assert_eq!(w["part"], "title");
    assert_eq!(
        w["template"],
        "Nuevo mueble creado: {data.nombre} - {data.material} ({data.ancho}x{data.altura}cm)"
    );
    assert_eq!(
        w["missing"],
        json!(["data.material", "data.ancho", "data.altura"])
    );

    let stock = find(STOCK);
    assert_eq!(became(stock[0]), &vec![json!({"as": "ignored"})]);
    assert_eq!(stock[0]["warnings"][0]["code"], "no_rule");
    assert_eq!(stock[0]["warnings"][0]["kind"], "stock_bajo");
    assert_eq!(stock[0]["warnings"][0]["other"], false);

    let bad = find(NOT_JSON);
    assert_eq!(became(bad[0])[0]["as"], "error");
    assert_eq!(became(bad[0])[0]["code"], "bad_frame");
    // The probe goes on: the frame after it is shown, after it.
    let position = |f: &Value| frames.iter().position(|g| *g == f).unwrap();
    let after = find(AFTER);
    assert_eq!(became(after[0])[0]["as"], "notification");
    assert!(position(after[0]) > position(bad[0]));

    assert!(
        !lines.iter().any(|l| l.to_string().contains("id_changes")),
        "{lines:#?}"
    );
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["connections"], 2, "{summary}");
    assert_eq!(summary["became"]["control"], 2, "{summary}");
    assert_eq!(summary["became"]["notification"], 3, "{summary}");
    assert_eq!(summary["became"]["ignored"], 1, "{summary}");
    assert_eq!(summary["became"]["error"], 1, "{summary}");

    // Spanish, with --suggest: the report on stderr, the profile alone on stdout.
    let (status, stdout, report) = tokio::task::spawn_blocking(move || es_run.wait(40))
        .await
        .unwrap();
    assert!(status.success(), "{status}: {report}");
    for words in [
        "· estado: conectado (WebSocket)",
        "→ trama de control (saludo o acuse): connection_established",
        "→ notificación `furniture_created`: «Nuevo mueble creado: Mesa - roble (120x75cm)»",
        "→ notificación `furniture_created`: «Furniture created»",
        "a la plantilla `Nuevo mueble creado: {data.nombre} - {data.material} ({data.ancho}x{data.altura}cm)` le faltan {data.material}, {data.ancho}, {data.altura} en esta trama",
        "→ ignorada: ninguna regla para el tipo `stock_bajo`",
        "→ error bad_frame",
        "Resumen: 7 trama(s) en 2 conexión(es)",
        "notificación: 3 · control: 2 · ignorada: 1 · error: 1",
        "Avisos (cada uno una vez",
    ] {
        assert!(report.contains(words), "no {words:?} in:\n{report}");
    }
    let suggested = stdout.join("\n");
    assert!(
        suggested.contains("[frames.types.\"stock_bajo\"]"),
        "{suggested}"
    );
    let profile =
        Profile::parse("suggested", &suggested).unwrap_or_else(|e| panic!("{e}\n{suggested}"));
    let title = |frame: &str| match parse_frame(&profile, "a", frame).unwrap().0 {
        Inbound::Event { notification, .. } => notification.title,
        other => panic!("{frame}: {other:?}"),
    };
    let stock_title = title(STOCK);
    assert!(!stock_title.contains(['{', '?']), "{stock_title}");
    assert_eq!(stock_title, "Stock bajo: A1");
    // The type whose title fell back reads with what every one of its frames had.
    assert_eq!(title(PARTIAL), "Furniture created: Silla");
    // The file's own settings are kept.
    assert_eq!(
        profile.websocket.url,
        format!("ws://127.0.0.1:{es_port}/eventos")
    );

    // English, on stdout.
    let (status, stdout, stderr) = tokio::task::spawn_blocking(move || en_run.wait(40))
        .await
        .unwrap();
    assert!(status.success(), "{status}: {stderr}");
    let report = stdout.join("\n");
    for words in [
        "· state: live (WebSocket)",
        "→ control frame (greeting or ack): connection_established",
        "→ notification `furniture_created`: “Furniture created”",
        "the title fell back to the kind in words: template `Nuevo mueble creado: {data.nombre} - {data.material} ({data.ancho}x{data.altura}cm)` is missing {data.material}, {data.ancho}, {data.altura} in this frame",
        "→ ignored: no rule for type `stock_bajo`",
        "→ error bad_frame",
        "→ notification `furniture_deleted`",
        "Summary: 7 frame(s) over 2 connection(s)",
        "notification: 3 · control: 2 · ignored: 1 · error: 1",
        "Warnings (each once",
    ] {
        assert!(report.contains(words), "no {words:?} in:\n{report}");
    }
    for (out, err) in [(&report, &stderr), (&suggested, &String::new())] {
        for token in ["t0k3n-from-env", "t0k3n-in-url"] {
            assert!(
                !out.contains(token) && !err.contains(token),
                "{token} printed"
            );
        }
    }
    for dir in [&json_dir, &es_dir, &en_dir] {
        assert!(!dir.dir().join("data").join("aviso.db").exists());
    }
}

/// What `watch` refuses, `probe` refuses the same way: a clear message, a non-zero status.
#[test]
fn probe_refuses_a_bad_profile_an_unknown_account_and_missing_params() {
    let dir = probe_env("cli-probe-errors");
    let server = "http://127.0.0.1:9";
    for (lang, args, said) in [
        (
            "en_US.UTF-8",
            vec!["--server", server, "--profile", "no-such-profile"],
            "unknown profile `no-such-profile` (see `aviso-cli profiles`)",
        ),
        (
            "es_ES.UTF-8",
            vec!["--server", server, "--profile", "no-such-profile"],
            "no hay ningún perfil `no-such-profile` (mira `aviso-cli profiles`)",
        ),
        (
            "en_US.UTF-8",
            vec!["--account", "nadie"],
            "no account named `nadie`",
        ),
        (
            "en_US.UTF-8",
            vec!["--server", server, "--profile", "socketio-gateway"],
            "needs the parameter `role`: pass --param role=VALUE",
        ),
    ] {
        let out = command(&dir, lang, &args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
}
