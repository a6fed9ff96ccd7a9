//! A store's scripted evening through the desktop app: the evening of
//! `crates/aviso-cli/tests/policy.rs` (the CLI's), lived by the real `aviso` binary on a
//! policy clock compressed 300 times (a virtual hour is 12 real seconds). Two sales made
//! before it started come as one digest; a sale, snoozed from its toast's "Recordar en 1 h"
//! through dunst's menu, leaves the unread count and comes back with a reminder; quiet hours
//! hold a sale and a low-stock warning (which a `no_badge` rule keeps off the tray's badge,
//! not out of the unread list), an urgent sale breaks through, the digest comes at their
//! end; a burst is one toast updated in place; a silence alarm fires; dunst's own
//! do-not-disturb holds a sale until it is lifted. Checked on what a person sees: the tray
//! icon's badge, and the exact toasts dunst received (its history).

use super::*;
use aviso_testkit::demo::emit_sale;

/// 7 December 2099, 21:00 in La Paz (UTC-4, no DST): in the future, since the store hides a
/// snoozed notification until its time by the real clock.
const START: &str = "2099-12-07T21:00:00-04:00";
const START_HM: (f64, f64) = (21.0, 0.0);
const SCALE: f64 = 300.0;

/// Windows in virtual seconds: a 2 s burst window and a 0.5 s gather in real time. The
/// first sale comes 35 virtual minutes after the start (7 s, room for the app to start on
/// a loaded machine); the alarm's 50 minutes cover every gap between sales but the last.
const POLICY: &str = r#"
[policy]
time_zone = "America/La_Paz"
burst_window_secs = 600
gather_secs = 150
# Real seconds (created_at is the server's real time): older at arrival = caught up.
late_after_secs = 1.5
quiet_hours = [{ from = "22:00", to = "22:30" }]

[[policy.rules]]
name = "sin contador"
kind = "stock_bajo"
action = "no_badge"

[[policy.silence]]
name = "ventas"
kind = "nueva_compra"
after = "50m"
from = "21:00"
to = "23:59"
"#;

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The virtual evening's clock, as the app reads it (the same three `AVISO_CLOCK_*`).
struct Evening {
    anchor: f64,
}

impl Evening {
    fn virtual_secs(hms: &str) -> f64 {
        let p: Vec<f64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
        (p[0] - START_HM.0) * 3600.0 + (p[1] - START_HM.1) * 60.0 + p.get(2).unwrap_or(&0.0)
    }

    /// Sleeps until the virtual clock shows `hh:mm[:ss]`.
    fn until(&self, hms: &str) {
        let real_at = self.anchor + Self::virtual_secs(hms) / SCALE;
        let now = unix_now();
        if real_at > now {
            std::thread::sleep(Duration::from_secs_f64(real_at - now));
        }
    }

    /// Whether the virtual clock is still before `hh:mm` (a step of the script late on a
    /// loaded machine would test something else than it says).
    fn before(&self, hms: &str) -> bool {
        unix_now() < self.anchor + Self::virtual_secs(hms) / SCALE
    }

    /// The virtual minute of day now, as minutes after midnight.
    fn minute_now(&self) -> f64 {
        (START_HM.0 * 60.0 + START_HM.1) + (unix_now() - self.anchor) * SCALE / 60.0
    }
}

/// dunst's history as (id, summary, body), newest first; the body as the daemon got it.
fn dunst_history_ids() -> Vec<(u64, String, String)> {
    let out = Command::new("dunstctl").arg("history").output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let text = |i: &Value, k: &str| i[k]["data"].as_str().unwrap_or("").to_string();
    v["data"][0]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    let id = i["id"]["data"].as_u64().unwrap_or(0);
                    (id, text(i, "summary"), text(i, "body"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The line of dunst's menu that offers `label` on the toast titled `summary`, waiting for
/// the toast to show; with `pick`, that button is pressed.
fn menu_line(secs: u64, label: &str, summary: &str, pick: bool) -> String {
    menu_line_starting(secs, &format!("#{label} ({summary}) ["), pick)
}

/// The first line of dunst's menu that starts with `start`, waiting for it to show.
fn menu_line_starting(secs: u64, start: &str, pick: bool) -> String {
    wait_until(secs, &format!("`{start}` in dunst"), || {
        dunst_menu(if pick { start } else { "" })
            .into_iter()
            .find(|l| l.starts_with(start))
    })
}

/// The dunst id in a menu line `#Label (Summary) [id,key]`.
fn toast_id(line: &str) -> String {
    line.rsplit_once('[')
        .and_then(|(_, rest)| rest.split_once(','))
        .map(|(id, _)| id.to_string())
        .unwrap_or_default()
}

pub async fn live_the_evening() {
    let dir = ArtifactDir::new("desktop-evening");
    let root = dir.path().to_path_buf();
    let demo = quiet_demo().await;
    let control = demo.control();
    let url = demo.http_url();
    let tokens = demo_tokens(&url).await;
    std::fs::create_dir_all(root.join("config")).unwrap();
    std::fs::write(
        root.join("config/config.toml"),
        format!(
            "{POLICY}\n[[accounts]]\nname = \"tienda\"\nserver = \"{url}\"\nprofile = \"smartsales\"\n"
        ),
    )
    .unwrap();

    // The tray host.
    let (watcher_log, _watcher) = tray_host(&root);

    // What dunst showed before this evening is closed and left out.
    let _ = dunst_history();
    let id_before = dunst_history_ids()
        .iter()
        .map(|(id, _, _)| *id)
        .max()
        .unwrap_or(0);

    // Two sales while Aviso was not running: caught up at start, told in one digest.
    emit_sale(&control, "nueva_compra", "Previa 1", "10.00");
    emit_sale(&control, "nueva_compra", "Previa 2", "20.00");
    std::thread::sleep(Duration::from_millis(2500));

    // The evening starts as the app does: the tray-resident app alone (an account is
    // configured, so no panel), its tokens from the environment.
    let evening = Evening { anchor: unix_now() };
    let log = std::fs::File::create(root.join("app.log")).unwrap();
    let app = Command::new(APP)
        .process_group(0)
        .env("AVISO_CONFIG_DIR", root.join("config"))
        .env("AVISO_DATA_DIR", root.join("data"))
        .env("HOME", root.join("home"))
        .env("AVISO_LOG", "info")
        .env("LANG", "es_BO.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("AVISO_TOKEN", tokens["access"].as_str().unwrap())
        .env("AVISO_REFRESH_TOKEN", tokens["refresh"].as_str().unwrap())
        .env("AVISO_CLOCK_START", START)
        .env("AVISO_CLOCK_ANCHOR", evening.anchor.to_string())
        .env("AVISO_CLOCK_SCALE", SCALE.to_string())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let _app = Killed(app);
    let store =
        || aviso_engine::store::Store::open(&root.join("data/aviso.db")).expect("the app's store");

    // Live, with the two caught up unread on the badge; their digest follows.
    assert_tray_shows(&watcher_log, 2, Look::Live);
    menu_line(10, "Abrir", "Mientras no estabas", false);

    // 21:35: a sale, shown as it comes; "Recordar en 1 h" from its toast (dunst's menu)
    // snoozes it: it leaves the unread list and the badge.
    evening.until("21:35:00");
    let a = emit_sale(&control, "nueva_compra", "Compra A", "150.00");
    assert_tray_shows(&watcher_log, 3, Look::Live);
    menu_line(10, "Recordar en 1 h", "Compra A", true);
    assert_tray_shows(&watcher_log, 2, Look::Live);
    let snoozed = store().snoozes().unwrap();
    assert_eq!(
        snoozed
            .iter()
            .map(|(n, _)| n.id.as_str())
            .collect::<Vec<_>>(),
        [a.as_str()]
    );
    assert!(
        evening.before("22:00"),
        "start-up took too long: the snooze came in quiet hours"
    );

    // 22:00-22:30 are quiet hours: a sale and a low-stock warning are held. The warning is
    // unread (the panel counts 4) but a `no_badge` rule keeps it off the tray's badge (3).
    evening.until("22:03:00");
    let b = emit_sale(&control, "nueva_compra", "Compra B", "100.00");
    let c = emit_sale(&control, "stock_bajo", "Stock bajo C", "");
    assert_tray_shows(&watcher_log, 3, Look::Live);
    let s = store();
    assert_eq!(s.unread_count(Some("tienda")).unwrap(), 4);
    let unread: Vec<String> = s
        .list(&aviso_engine::store::ListQuery {
            account: Some("tienda".into()),
            unread_only: true,
            limit: 50,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert!(unread.contains(&c) && unread.contains(&b), "{unread:?}");
    drop(s);
    // An urgent sale breaks through.
    evening.until("22:10:00");
    assert!(evening.before("22:25"), "the quiet hours were over already");
    emit_sale(&control, "nueva_compra", "Compra grande", "5000.00");
    menu_line(10, "Abrir", "Compra grande", false);

    // 22:30: the digest of what was held. Then a burst: four sales, then three more within
    // its window: one toast (one dunst id), updated in place.
    evening.until("22:31:00");
    for i in 1..=4 {
        emit_sale(&control, "nueva_compra", &format!("Rápida {i}"), "10.00");
    }
    let four = menu_line(10, "Abrir", "4 notificaciones nuevas", false);
    std::thread::sleep(Duration::from_millis(800));
    for i in 5..=7 {
        emit_sale(&control, "nueva_compra", &format!("Rápida {i}"), "10.00");
    }
    let burst_minute = evening.minute_now();
    let seven = menu_line(10, "Abrir", "7 notificaciones nuevas", false);
    assert_eq!(toast_id(&four), toast_id(&seven), "{four} / {seven}");

    // 1 h after the snooze, A comes back with a reminder: 13 unread, 12 on the badge.
    menu_line(15, "Recordar en 1 h", "Recordatorio: Compra A", false);
    assert_tray_shows(&watcher_log, 12, Look::Live);
    assert_eq!(store().unread_count(Some("tienda")).unwrap(), 13);

    // The burst's was the last sale: 50 minutes later the silence alarm fires, once.
    let alarm = menu_line_starting(20, "#Abrir (tienda: sin compras desde las ", false);

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
    emit_sale(&control, "nueva_compra", "Compra D", "20.00");
    std::thread::sleep(Duration::from_millis(1500));
    dunstctl("false");
    wait_until(10, "the digest after do-not-disturb", || {
        dunst_menu("")
            .iter()
            .any(|l| l.contains("(Mientras no estabas)"))
            .then_some(())
    });
    std::thread::sleep(Duration::from_secs(1));

    // What dunst received: one toast per decision, the burst's update in place: nine
    // toasts shown, eight in the daemon, the same eight as the CLI's evening.
    let _ = dunst_history();
    let history: Vec<(u64, String, String)> = dunst_history_ids()
        .into_iter()
        .filter(|(id, _, _)| *id > id_before)
        .collect();
    let silence_title = history
        .iter()
        .map(|(_, s, _)| s.clone())
        .find(|s| s.starts_with("tienda: sin compras desde las "))
        .unwrap_or_else(|| panic!("no silence alarm in {history:#?} ({alarm})"));
    // Silent since the burst's last sale (its virtual minute, or the next one on arrival).
    let hhmm = silence_title.trim_start_matches("tienda: sin compras desde las ");
    let (h, m) = hhmm.split_once(':').unwrap();
    let since = h.parse::<f64>().unwrap() * 60.0 + m.parse::<f64>().unwrap();
    assert!(
        (burst_minute.floor() - 1.0..=burst_minute + 2.0).contains(&since),
        "{silence_title}: the burst ended at minute {burst_minute}"
    );
    let mut got: Vec<(String, String)> = history
        .iter()
        .map(|(_, s, b)| (s.clone(), b.clone()))
        .collect();
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
        (
            silence_title.as_str(),
            "Nada en 50 min. ¿Funcionan el checkout y el webhook?",
        ),
        ("Mientras no estabas", "1 compra · $20,00"),
    ]
    .iter()
    .map(|(s, b)| (s.to_string(), b.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want, "dunst's history of the evening: {history:#?}");
    record_issued_tokens(&control);
}
