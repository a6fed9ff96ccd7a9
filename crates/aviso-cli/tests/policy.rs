//! A store's scripted evening through `aviso-cli watch --toasts`, on a clock compressed 60
//! times (a virtual minute is a real second): the digest of two sales made while Aviso was
//! not running, a sale, quiet hours holding two events, an
//! urgent sale breaking through, the digest at their end, a burst as one toast updated in
//! place, a snoozed sale coming back, a silence alarm, and dunst's own do-not-disturb
//! holding a sale until it is lifted; a `no_badge` rule keeps the low-stock warning off the
//! badge count (`badge` lines). Checked twice: the exact JSON lines of the policy's
//! decisions, and the exact toasts dunst received (its history). Linux only: dunst and
//! its history are the notification daemon this test reads back. The desktop app lives
//! the same evening in `tests/desktop/evening.rs`.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aviso_testkit::demo::{admin_tokens as login_tokens, emit_sale};
use aviso_testkit::dunst::{dunst_history, dunst_total};
use aviso_testkit::{record_issued_tokens, require_session, CliEnv, JsonLines};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_aviso-cli");
const START: &str = "2099-12-07T21:53:00-04:00";
/// START's hour and minute, for [`Script::until`]. Seven virtual minutes (7 s) before quiet
/// hours leave room for a start-up on a loaded machine; the silence alarm's 10 minutes
/// still cover the gap from the first sale to the next.
const START_HM: (f64, f64) = (21.0, 53.0);
const SCALE: f64 = 60.0;

/// Windows are in virtual seconds: a 2 s burst window and a 0.5 s gather in real time.
const CONFIG: &str = r#"
[policy]
time_zone = "America/La_Paz"
burst_window_secs = 120
gather_secs = 30
# Real seconds (created_at is the server's real time): older at arrival = caught up.
late_after_secs = 1.5
quiet_hours = [{ from = "22:00", to = "22:05" }]

# Low-stock warnings stay unread, off the tray's badge (`badge` lines).
[[policy.rules]]
name = "sin contador"
kind = "stock_bajo"
action = "no_badge"

[[policy.silence]]
name = "ventas"
kind = "nueva_compra"
after = "10m"
from = "21:00"
to = "23:59"
"#;

/// The CLI on the virtual clock of the evening: it starts at [`START`] when the real clock
/// says `anchor`, and runs [`SCALE`] times faster.
struct Script {
    env: CliEnv,
    anchor: f64,
}

impl Script {
    fn command(&mut self, args: &[&str]) -> Command {
        let mut cmd = self.env.command(args);
        cmd.env("AVISO_CLOCK_ANCHOR", self.anchor.to_string());
        cmd
    }

    /// `aviso-cli ARGS`, its JSON lines read as they come.
    fn spawn_json(&mut self, args: &[&str]) -> JsonLines {
        let child = self.command(args).stdout(Stdio::piped()).spawn().unwrap();
        let log = self
            .env
            .dir()
            .join(format!("stdout-{}.log", self.env.runs()));
        JsonLines::read(child, log)
    }

    /// Sleeps until the virtual clock shows `hh:mm:ss` of the evening.
    fn until(&self, hms: &str) {
        let parts: Vec<f64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
        let virtual_secs =
            (parts[0] - START_HM.0) * 3600.0 + (parts[1] - START_HM.1) * 60.0 + parts[2];
        let real_at = self.anchor + virtual_secs / SCALE;
        let now = unix_now();
        if real_at > now {
            std::thread::sleep(Duration::from_secs_f64(real_at - now));
        }
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn is_policy_line(l: &Value) -> bool {
    matches!(
        l["type"].as_str(),
        Some("toast" | "held" | "muted" | "digest" | "snoozed" | "released" | "silence")
    )
}

/// The parts of a policy line this script is about (times and slots vary).
fn shape(l: &Value) -> Value {
    match l["type"].as_str().unwrap() {
        "toast" => json!({
            "type": "toast", "kind": l["kind"], "title": l["title"], "body": l["body"],
            "urgency": l["urgency"], "replaces": l["replaces"],
        }),
        "held" => json!({"type": "held", "id": l["id"], "reason": l["reason"]}),
        "digest" => json!({"type": "digest", "reason": l["reason"], "stores": l["stores"]}),
        "snoozed" | "released" => json!({"type": l["type"], "id": l["id"]}),
        "silence" => json!({"type": "silence", "account": l["account"], "kind": l["kind"]}),
        _ => l.clone(),
    }
}

fn write_config(dir: &Path) {
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(dir.join("config/config.toml"), CONFIG).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the desktop session of scripts/test"]
async fn a_scripted_evening_gives_exactly_the_expected_toasts() {
    require_session();
    let server = aviso_testkit::demo::start().await;
    let control = server.control();
    let url = server.http_url();
    let mut env = CliEnv::new(BIN, "cli-policy");
    write_config(env.dir());
    env.tokens = Some(login_tokens(&url).await);
    env.lang = Some("es_BO.UTF-8");
    env.var("AVISO_CLOCK_START", START);
    env.var("AVISO_CLOCK_SCALE", SCALE.to_string());
    let mut script = Script {
        env,
        anchor: unix_now(),
    };
    let history_before = dunst_history().len();
    let total_before = dunst_total();
    // Two sales while Aviso was not running: caught up at start, told in one digest.
    emit_sale(&control, "nueva_compra", "Previa 1", "10.00");
    emit_sale(&control, "nueva_compra", "Previa 2", "20.00");
    std::thread::sleep(Duration::from_millis(2500));
    // The virtual evening starts now, as the watch does (the login and the sleep above are
    // not part of it).
    script.anchor = unix_now();
    let mut watch = script.spawn_json(&[
        "watch",
        "--server",
        &url,
        "--profile",
        "smartsales",
        "--name",
        "tienda",
        "--toasts",
    ]);
    watch.seen_or_wait_for(10, "live", |l| l["type"] == "state" && l["state"] == "live");
    watch.seen_or_wait_for(5, "the away digest", |l| {
        l["type"] == "digest" && l["reason"] == "away"
    });

    // 21:5x: a sale, shown as it comes.
    let a = emit_sale(&control, "nueva_compra", "Compra A", "150.00");
    watch.seen_or_wait_for(5, "A's toast", |l| {
        l["type"] == "toast" && l["title"] == "Compra A"
    });
    // 22:00-22:05 are quiet hours: held; a sale of 5000 is urgent and breaks through.
    script.until("22:00:30");
    let b = emit_sale(&control, "nueva_compra", "Compra B", "100.00");
    let c = emit_sale(&control, "stock_bajo", "Stock bajo C", "");
    watch.seen_or_wait_for(5, "C held", |l| {
        l["type"] == "held" && l["id"] == c.as_str()
    });
    emit_sale(&control, "nueva_compra", "Compra grande", "5000.00");
    watch.seen_or_wait_for(5, "the urgent toast", |l| {
        l["type"] == "toast" && l["urgency"] == "critical"
    });
    // 22:05: the digest of what was held.
    script.until("22:05:00");
    watch.seen_or_wait_for(5, "the digest", |l| {
        l["type"] == "toast" && l["kind"] == "digest"
    });
    // A burst: four sales, then three more within its window: one toast, updated.
    for i in 1..=4 {
        emit_sale(&control, "nueva_compra", &format!("Rápida {i}"), "10.00");
    }
    let first = watch.seen_or_wait_for(5, "the summary", |l| l["kind"] == "summary");
    std::thread::sleep(Duration::from_millis(800));
    for i in 5..=7 {
        emit_sale(&control, "nueva_compra", &format!("Rápida {i}"), "10.00");
    }
    let update = watch.seen_or_wait_for(5, "the summary's update", |l| {
        l["kind"] == "summary" && l["replaces"] == true
    });
    assert_eq!(first["slot"], update["slot"]);
    // A is snoozed for 3 minutes from another process: it leaves the unread count, and
    // comes back with a toast.
    let snooze = script
        .command(&["snooze", &a, "3m"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&snooze.stdout).into_owned();
    assert!(snooze.status.success(), "{said}");
    assert!(
        said.starts_with(&format!("tienda#{a} pospuesta hasta 2099-12-07 22:")),
        "{said}"
    );
    watch.seen_or_wait_for(5, "snoozed", |l| l["type"] == "snoozed");
    watch.seen_or_wait_for(8, "the reminder", |l| l["kind"] == "reminder");
    // The last sale was the burst's: ten minutes later the silence alarm fires, once.
    let alarm = watch.seen_or_wait_for(20, "the silence alarm", |l| l["type"] == "silence");
    // dunst's own do-not-disturb holds the next sale; lifting it gives the digest.
    let dunstctl = |paused: &str| {
        let ok = Command::new("dunstctl")
            .args(["set-paused", paused])
            .status()
            .unwrap()
            .success();
        assert!(ok, "dunstctl set-paused {paused}");
    };
    dunstctl("true");
    std::thread::sleep(Duration::from_millis(2500));
    let d = emit_sale(&control, "nueva_compra", "Compra D", "20.00");
    let held = watch.seen_or_wait_for(5, "D held", |l| {
        l["type"] == "held" && l["id"] == d.as_str()
    });
    dunstctl("false");
    assert_eq!(held["reason"], "do_not_disturb");
    watch.seen_or_wait_for(5, "the digest after do-not-disturb", |l| {
        l["type"] == "digest" && l["reason"] == "do_not_disturb"
    });
    std::thread::sleep(Duration::from_secs(1));
    let lines = watch.stop();

    let policy: Vec<Value> = lines
        .iter()
        .filter(|l| is_policy_line(l))
        .map(shape)
        .collect();
    let toast = |kind: &str, title: &str, body: &str, urgency: &str, replaces: bool| {
        json!({"type": "toast", "kind": kind, "title": title, "body": body,
               "urgency": urgency, "replaces": replaces})
    };
    // The unread count: 13 stored, 12 while A is snoozed, 13 once it is back; the badge
    // one less (the low-stock warning C is unread, not on the badge).
    let after = |kind: &str, count: &str| -> u64 {
        let at = lines
            .iter()
            .position(|l| l["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"));
        lines[at..]
            .iter()
            .find(|l| l["type"] == count)
            .and_then(|l| l["count"].as_u64())
            .unwrap_or_else(|| panic!("no {count} after {kind}"))
    };
    assert_eq!(
        (after("snoozed", "unread"), after("released", "unread")),
        (12, 13),
        "all lines: {lines:#?}"
    );
    assert_eq!(
        (after("snoozed", "badge"), after("released", "badge")),
        (11, 12),
        "all lines: {lines:#?}"
    );
    let since = alarm["since"].as_str().unwrap();
    let since_local: aviso_engine::policy::Timestamp = since.parse().unwrap();
    let hhmm = since_local
        .to_zoned(aviso_engine::policy::TimeZone::get("America/La_Paz").unwrap())
        .strftime("%H:%M")
        .to_string();
    let silence_title = format!("tienda: sin compras desde las {hhmm}");
    let silence_body = "Nada en 10 min. ¿Funcionan el checkout y el webhook?";
    assert_eq!(
        policy,
        vec![
            json!({"type": "digest", "reason": "away", "stores": [{
                "account": "tienda",
                "kinds": [{"kind": "nueva_compra", "count": 2, "total": "30.00"}],
                "currency": "$", "ids": ["1", "2"]}]}),
            toast(
                "digest",
                "Mientras no estabas",
                "2 compras · $30,00",
                "normal",
                false
            ),
            toast(
                "single",
                "Compra A",
                "Compra A: total 150.00",
                "normal",
                false
            ),
            json!({"type": "held", "id": b, "reason": "quiet_hours"}),
            json!({"type": "held", "id": c, "reason": "quiet_hours"}),
            toast(
                "single",
                "Compra grande",
                "Compra grande: total 5000.00",
                "critical",
                false
            ),
            json!({"type": "digest", "reason": "quiet_hours", "stores": [{
                "account": "tienda",
                "kinds": [{"kind": "nueva_compra", "count": 1, "total": "100.00"},
                          {"kind": "stock_bajo", "count": 1}],
                "currency": "$", "ids": [b, c]}]}),
            toast(
                "digest",
                "Mientras no estabas",
                "1 compra · $100,00 · 1 aviso de stock bajo",
                "normal",
                false
            ),
            toast(
                "summary",
                "4 notificaciones nuevas",
                "4 compras · $40,00",
                "normal",
                false
            ),
            toast(
                "summary",
                "7 notificaciones nuevas",
                "7 compras · $70,00",
                "normal",
                true
            ),
            json!({"type": "snoozed", "id": a}),
            json!({"type": "released", "id": a}),
            toast(
                "reminder",
                "Recordatorio: Compra A",
                "Compra A: total 150.00",
                "normal",
                false
            ),
            json!({"type": "silence", "account": "tienda", "kind": "nueva_compra"}),
            toast("silence", &silence_title, silence_body, "normal", false),
            json!({"type": "held", "id": d, "reason": "do_not_disturb"}),
            json!({"type": "digest", "reason": "do_not_disturb", "stores": [{
                "account": "tienda",
                "kinds": [{"kind": "nueva_compra", "count": 1, "total": "20.00"}],
                "currency": "$", "ids": [d]}]}),
            toast(
                "digest",
                "Mientras no estabas",
                "1 compra · $20,00",
                "normal",
                false
            ),
        ],
        "all lines: {lines:#?}"
    );
    assert!(
        since.starts_with("2099-12-08T02:0"),
        "silent since the burst (22:0x in La Paz): {since}"
    );

    // What the notification daemon received: one toast per decision, the burst's update in
    // place (nine toasts shown, eight in the daemon).
    let total = dunst_total();
    assert_eq!(total - total_before, 9 - 1, "toasts in dunst");
    let history = dunst_history();
    let mut got: Vec<(String, String)> = history[..history.len() - history_before].to_vec();
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("Mientras no estabas", "2 compras · $30,00"),
        ("Compra A", "Compra A: total 150.00"),
        ("Compra grande", "Compra grande: total 5000.00"),
        (
            "Mientras no estabas",
            "1 compra · $100,00 · 1 aviso de stock bajo",
        ),
        ("7 notificaciones nuevas", "7 compras · $70,00"),
        ("Recordatorio: Compra A", "Compra A: total 150.00"),
        (silence_title.as_str(), silence_body),
        ("Mientras no estabas", "1 compra · $20,00"),
    ]
    .iter()
    .map(|(s, b)| (s.to_string(), b.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    record_issued_tokens(&control);
}
