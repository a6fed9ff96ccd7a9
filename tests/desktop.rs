//! The desktop app end to end: the real `aviso` binary driven through tauri-driver and
//! WebKitWebDriver under Xvfb, with dunst, an unlocked gnome-keyring and a
//! StatusNotifierWatcher on the session bus (scripts/test provides the session), against
//! the embedded demo backend on 127.0.0.1:0.
//!
//! Four scenarios, each in order, one at a time (the app is single-instance per session
//! bus): the panel, toasts, tray and settings end to end; two stores filtered, grouped,
//! renamed and a full disk's banner (`desktop/stores.rs`); the notification policy's
//! scripted evening (`desktop/evening.rs`); and a catch-up the server refuses, said by a
//! toast and the tray.
//!
//! Linux only: WebKitWebDriver and the tray host are Linux's; on Windows the window is
//! WebView2, which Wine cannot run (README, Platforms).
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aviso_app::icon::{self, Look};
use aviso_demo::{DemoConfig, DemoControl, DemoServer, EmitSpec};
use aviso_testkit::dunst::{dunst_history, dunst_menu, dunst_summaries, dunst_total};
use aviso_testkit::seed_servers;
use aviso_testkit::{record_issued_tokens, ArtifactDir, DriverPorts};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const APP: &str = env!("CARGO_BIN_EXE_aviso");

#[path = "desktop/evening.rs"]
mod evening;
#[path = "desktop/stores.rs"]
mod stores;

/// Held by each scenario for its whole run: one app per session bus (and one tray host).
/// (A Tokio mutex: held across awaits, and not poisoned when a scenario fails.)
static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Why these tests are `#[ignore]`d: a plain `cargo test` says "ignored", and the test
/// command (`scripts/test`) runs them with `--include-ignored` inside its session.
const SESSION: &str =
    "needs the desktop session of scripts/test (Xvfb, D-Bus, dunst, gnome-keyring, tauri-driver)";

/// Fails at once, saying why, when an ignored test is run outside that session.
fn require_session() {
    assert!(
        std::env::var_os("AVISO_SESSION_TESTS").is_some(),
        "this test {SESSION}: run it with scripts/test"
    );
}

/// Kills a child process and everything it started (its process group) when dropped, also
/// when a test panics: tauri-driver's WebKitWebDriver and the app must not outlive a test.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_until<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn wait_until_async<T, F: std::future::Future<Output = Option<T>>>(
    secs: u64,
    what: &str,
    mut f: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The demo backend on a free port, with no generated events.
async fn quiet_demo() -> DemoServer {
    DemoServer::start(
        "127.0.0.1:0".parse().unwrap(),
        DemoConfig {
            event_interval: None,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// The demo's tokens for `admin` (`{"access", "refresh"}`), as a login would get them.
async fn demo_tokens(url: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{url}/api/token/"))
        .json(&json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The tray host (a StatusNotifierWatcher on the session bus), logging each registration to
/// the returned file; stopped when the handle drops.
fn tray_host(root: &Path) -> (PathBuf, Killed) {
    let log = root.join("sni-items.log");
    let mut watcher = Command::new("/usr/bin/python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/desktop/sni-watcher.py"))
        .arg(&log)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the StatusNotifierWatcher");
    let mut ready = String::new();
    BufReader::new(watcher.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "READY");
    (log, Killed(watcher))
}

/// The PNG the tray item currently publishes (what a tray host would draw), as RGBA.
fn tray_icon(watcher_log: &Path) -> Option<(u32, Vec<u8>)> {
    let line = std::fs::read_to_string(watcher_log)
        .ok()?
        .lines()
        .last()?
        .to_string();
    let (service, path) = line.split_once(' ')?;
    let get = |prop: &str| -> Option<String> {
        let out = Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                service,
                "--object-path",
                path,
                "--method",
            ])
            .args([
                "org.freedesktop.DBus.Properties.Get",
                "org.kde.StatusNotifierItem",
                prop,
            ])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        Some(text.split('\'').nth(1).unwrap_or("").to_string())
    };
    let name = get("IconName")?;
    let theme = get("IconThemePath").unwrap_or_default();
    let file = if name.starts_with('/') {
        PathBuf::from(&name)
    } else {
        Path::new(&theme).join(format!("{name}.png"))
    };
    let decoder = png::Decoder::new(std::fs::File::open(file).ok()?);
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).ok()?;
    Some((info.width, buf))
}

fn assert_tray_shows(watcher_log: &Path, count: u64, look: Look) {
    let want = icon::render(64, count, look);
    wait_until(
        10,
        &format!("the tray icon for {count} unread ({look:?})"),
        || tray_icon(watcher_log).filter(|(w, rgba)| *w == 64 && *rgba == want),
    );
}

/// An element's `textContent` ("" when absent): what the DOM holds, rendered or not.
async fn text_of(c: &Client, css: &str) -> String {
    let script = "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';";
    match c.execute(script, vec![json!(css)]).await {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

async fn exists(c: &Client, css: &str) -> bool {
    c.find_all(Locator::Css(css))
        .await
        .map(|v| !v.is_empty())
        .unwrap_or(false)
}

fn emit(control: &DemoControl, n: usize, spec: EmitSpec) -> Vec<u64> {
    control.emit(n, &spec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the desktop session of scripts/test"]
async fn the_desktop_app_end_to_end() {
    require_session();
    let _one = ONE_APP.lock().await;
    let dir = ArtifactDir::new("desktop");
    let root = dir.path().to_path_buf();
    let demo = quiet_demo().await;
    let control = demo.control();
    let server = demo.http_url();

    // The browser launcher: a stand-in `xdg-open` that records what it was asked to open.
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opened = root.join("opened.log");
    std::fs::write(
        bin.join("xdg-open"),
        format!("#!/bin/sh\necho \"$@\" >> '{}'\n", opened.display()),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("xdg-open"))
        .status()
        .unwrap();

    // The tray host.
    let (watcher_log, _watcher) = tray_host(&root);
    // Toasts an earlier scenario left open would take the clicks below ("action 0").
    let _ = Command::new("dunstctl").arg("close-all").status();

    // The policy's clock runs 600 times faster (docs/policy.md, "Time for tests"): a snooze of
    // 1 h comes back in 6 s. It starts in the future, as the store hides a snoozed item until
    // its time by the real clock. The burst and gather windows are scaled with it, so a burst
    // behaves as on the real clock (2 s and 0.4 s).
    let now = time::OffsetDateTime::now_utc();
    let clock_start = (now + time::Duration::days(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let clock_anchor = now.unix_timestamp().to_string();
    std::fs::create_dir_all(root.join("config")).unwrap();
    std::fs::write(
        root.join("config/config.toml"),
        "[policy]\nburst_window_secs = 1200.0\ngather_secs = 240.0\n",
    )
    .unwrap();

    let driver_ports = DriverPorts::new();
    let driver_log = std::fs::File::create(root.join("app-and-driver.log")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let driver = Command::new("tauri-driver")
        .process_group(0)
        .args(driver_ports.args())
        .env("AVISO_CONFIG_DIR", root.join("config"))
        .env("AVISO_DATA_DIR", root.join("data"))
        // Its own home: the autostart entry (auto-launch writes $HOME/.config/autostart) and
        // WebKit's data stay out of the real one.
        .env("HOME", root.join("home"))
        .env("AVISO_LOG", "info")
        .env("LANG", "es_ES.UTF-8")
        .env("AVISO_CLOCK_START", &clock_start)
        .env("AVISO_CLOCK_ANCHOR", &clock_anchor)
        .env("AVISO_CLOCK_SCALE", "600")
        .env("PATH", path)
        .env_remove("AVISO_TOKEN")
        .stdout(driver_log.try_clone().unwrap())
        .stderr(driver_log)
        .spawn()
        .expect("tauri-driver (scripts/setup --test installs it)");
    let _driver = Killed(driver);
    let port = DriverPorts::wait_listening(_driver.0.id(), Duration::from_secs(20))
        .expect("tauri-driver did not listen");
    let webdriver = format!("http://127.0.0.1:{port}");

    let c = app_session(&webdriver, &["--show"]).await;

    // First run: no account, so the panel opens on the login view.
    let server_input = wait_until_async(20, "the login form", || async {
        c.find(Locator::Css("input[name=server]")).await.ok()
    })
    .await;
    server_input.clear().await.unwrap();
    server_input.send_keys(&server).await.unwrap();
    c.find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("admin")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("admin")
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Logged in: the token is in the Secret Service, and in no file.
    let account = server.trim_start_matches("http://").to_string();
    let stored = wait_until(10, "tokens in the keyring", || {
        aviso_engine::credentials::Credentials::keyring()
            .load(&account)
            .ok()
            .flatten()
    });
    assert!(!stored.access.is_empty());
    for token in control.stats().tokens_issued {
        // Exit status 1 is grep's "no match"; 0 is a match and 2 an error (a file it could
        // not read would otherwise pass as "nothing found").
        let hits = Command::new("grep")
            .args(["-rl", "--devices=skip", &token])
            .arg(&root)
            .output()
            .unwrap();
        assert_eq!(
            hits.status.code(),
            Some(1),
            "a token was written to {}{}",
            String::from_utf8_lossy(&hits.stdout),
            String::from_utf8_lossy(&hits.stderr)
        );
    }
    let config = std::fs::read_to_string(root.join("config/config.toml")).unwrap();
    assert!(
        config.contains(&server) && !config.contains("password"),
        "{config}"
    );

    // Events appear in the panel and as toasts; the tray badge follows.
    assert_tray_shows(&watcher_log, 0, Look::Live);
    let before = dunst_total();
    let ids = emit(
        &control,
        2,
        EmitSpec {
            tipo: Some("nueva_compra".into()),
            ..Default::default()
        },
    );
    for id in &ids {
        let css = format!(".notification[data-id='{id}']");
        wait_until_async(10, "a notification in the panel", || async {
            exists(&c, &css).await.then_some(())
        })
        .await;
    }
    assert_eq!(
        wait_until(10, "two toasts", || Some(dunst_total())
            .filter(|n| *n >= before + 2)),
        before + 2
    );
    assert_tray_shows(&watcher_log, 2, Look::Live);
    // The tray menu has a line for the store: its unread count and its connection.
    let store_line = format!("{account}: 2 sin leer · conectada");
    wait_until(10, "the store's line in the tray menu", || {
        tray_menu_labels(&watcher_log)
            .contains(&store_line)
            .then_some(())
    });

    // A click on a toast (dunst's first) shows that item, marks it read (the server sees
    // it) and opens its URL, which is on the server's origin.
    Command::new("dunstctl")
        .args(["action", "0"])
        .status()
        .unwrap();
    let clicked = wait_until(10, "the server to see a clicked item read", || {
        control
            .stats()
            .marked_read
            .iter()
            .map(|m| m.id)
            .find(|id| ids.contains(id))
    });
    let opened_urls = wait_until(10, "the browser to open", || {
        std::fs::read_to_string(&opened).ok()
    });
    let url = control
        .notifications()
        .into_iter()
        .find(|n| n.notification.id == clicked)
        .map(|n| n.notification.url)
        .unwrap();
    assert_eq!(opened_urls.trim(), format!("{server}{url}"));
    let highlighted = format!(".notification[data-id='{clicked}'][aria-current='true']");
    wait_until_async(5, "the clicked item highlighted in the panel", || async {
        exists(&c, &highlighted).await.then_some(())
    })
    .await;
    assert_tray_shows(&watcher_log, 1, Look::Live);

    // Mark all read: the server, the panel and the tray all say 0.
    c.find(Locator::Css("button[data-action=mark-all]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(10, "the server to mark all read", || {
        control
            .notifications()
            .iter()
            .all(|n| n.notification.leida)
            .then_some(())
    });
    wait_until_async(10, "no unread row", || async {
        (!exists(&c, ".notification.unread").await).then_some(())
    })
    .await;
    assert_tray_shows(&watcher_log, 0, Look::Live);

    // "Recordar en 1 h" from the panel: the item leaves the unread list and the count, and
    // comes back when due (6 s on the test's clock) with a reminder toast.
    c.find(Locator::Css("button[data-tab=unread]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let snoozed = emit(
        &control,
        1,
        EmitSpec {
            tipo: Some("stock_bajo".into()),
            titulo: Some("Stock bajo: café".into()),
            ..Default::default()
        },
    )[0];
    let row = format!(".notification[data-id='{snoozed}']");
    wait_until_async(10, "the item to snooze in the panel", || async {
        exists(&c, &row).await.then_some(())
    })
    .await;
    assert_tray_shows(&watcher_log, 1, Look::Live);
    // The row's buttons show on hover; a script click is a user's click without the hover.
    c.execute(
        "document.querySelector(arguments[0]).click()",
        vec![json!(format!("{row} button[data-action=snooze]"))],
    )
    .await
    .unwrap();
    let in_an_hour = wait_until_async(10, "the snooze choices", || async {
        c.find(Locator::Css(".sheet button[data-when='1h']"))
            .await
            .ok()
    })
    .await;
    let snoozed_at = Instant::now();
    in_an_hour.click().await.unwrap();
    wait_until_async(5, "the snoozed item to leave the unread list", || async {
        (!exists(&c, &row).await).then_some(())
    })
    .await;
    assert_tray_shows(&watcher_log, 0, Look::Live);
    wait_until_async(30, "the snoozed item to come back", || async {
        exists(&c, &row).await.then_some(())
    })
    .await;
    assert!(
        snoozed_at.elapsed() >= Duration::from_secs(4),
        "it came back after {:?}, before its time",
        snoozed_at.elapsed()
    );
    assert_tray_shows(&watcher_log, 1, Look::Live);
    let reminders = wait_until(10, "the reminder toast", || {
        let shown = dunst_summaries();
        shown
            .iter()
            .any(|s| s == "Recordatorio: Stock bajo: café")
            .then_some(shown)
    });
    assert_eq!(
        reminders
            .iter()
            .filter(|s| s.as_str() == "Stock bajo: café")
            .count(),
        1,
        "one toast at arrival, one reminder: {reminders:?}"
    );

    // Search, through the shell's command and the engine's index: "cafe" finds "café" (its
    // accent ignored) and marks it in the row as text; Esc gives the list back.
    let search = c
        .find(Locator::Css("input[data-action=search]"))
        .await
        .unwrap();
    search.send_keys("cafe").await.unwrap();
    let marked = format!("{row} .title mark");
    wait_until_async(10, "the search hit with its match marked", || async {
        exists(&c, &marked).await.then_some(())
    })
    .await;
    assert_eq!(text_of(&c, &marked).await, "café");
    assert_eq!(
        text_of(&c, &format!("{row} .title")).await,
        "Stock bajo: café"
    );
    search
        .send_keys(&char::from(fantoccini::key::Key::Escape).to_string())
        .await
        .unwrap();
    wait_until_async(10, "the list back, unmarked", || async {
        (!exists(&c, &marked).await && exists(&c, &row).await).then_some(())
    })
    .await;

    c.find(Locator::Css("button[data-action=mark-all]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_tray_shows(&watcher_log, 0, Look::Live);

    // A burst is one summary toast, updated in place (freedesktop replaces_id) while it
    // lasts: 20, then 5 more within the burst window, give one toast that says 25. (Sales
    // under 1000: the preset's rule makes bigger ones urgent, and urgent ones are toasted
    // on their own, through bursts.)
    let _ = dunst_summaries();
    let before = dunst_total();
    let burst = EmitSpec {
        tipo: Some("nueva_compra".into()),
        datos: Some(json!({"total": "150.00"})),
        ..Default::default()
    };
    emit(&control, 20, burst.clone());
    wait_until(10, "the summary toast", || {
        Some(dunst_total()).filter(|n| *n > before)
    });
    emit(&control, 5, burst);
    std::thread::sleep(Duration::from_millis(2500));
    let after = dunst_total();
    let summaries = dunst_summaries();
    assert_eq!(
        after,
        before + 1,
        "a burst of 20 + 5 must give one toast: {summaries:?}"
    );
    assert!(
        summaries.iter().any(|s| s == "25 notificaciones nuevas"),
        "{summaries:?}"
    );
    assert_tray_shows(&watcher_log, 25, Look::Live);

    // Hostile URLs are refused on click, and hostile text stays text.
    let opened_before = std::fs::read_to_string(&opened).unwrap_or_default();
    let hostile = emit(
        &control,
        1,
        EmitSpec {
            titulo: Some("<img src=x onerror=alert(1)>".into()),
            url: Some("javascript:alert(1)".into()),
            ..Default::default()
        },
    );
    let foreign = emit(
        &control,
        1,
        EmitSpec {
            url: Some("https://evil.example/admin/".into()),
            ..Default::default()
        },
    );
    let title_css = format!(".notification[data-id='{}'] .title", hostile[0]);
    let title = wait_until_async(10, "the hostile title", || async {
        Some(text_of(&c, &title_css).await).filter(|t| !t.is_empty())
    })
    .await;
    assert_eq!(title, "<img src=x onerror=alert(1)>");
    assert!(
        !exists(&c, ".notification img").await,
        "markup in a title became an element"
    );
    for id in [hostile[0], foreign[0]] {
        let css = format!(".notification[data-id='{id}'] button.open");
        let row = wait_until_async(10, "the hostile row", || async {
            c.find(Locator::Css(&css)).await.ok()
        })
        .await;
        row.click().await.unwrap();
        wait_until(10, "the click to mark it read", || {
            control
                .stats()
                .marked_read
                .iter()
                .any(|m| m.id == id)
                .then_some(())
        });
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap_or_default(),
        opened_before,
        "a refused URL was opened"
    );
    let log = std::fs::read_to_string(root.join("app-and-driver.log")).unwrap_or_default();
    assert!(
        log.matches("refused to open a notification URL").count() >= 2,
        "refusals are logged"
    );

    // The connection health view: the account's card says it is live with facts from the
    // engine, and "Probar aviso" raises a toast through the same path as real ones.
    c.find(Locator::Css("button[data-action=health]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let card = format!(".card[data-account='{account}'][data-state=live]");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !exists(&c, &card).await {
        let page = c.source().await.unwrap_or_default();
        assert!(Instant::now() < deadline, "no {card} in:\n{page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rtt = wait_until_async(10, "a measured round trip", || async {
        Some(text_of(&c, &format!("{card} [data-fact=rtt]")).await).filter(|t| t.contains(" ms"))
    })
    .await;
    assert!(!rtt.contains('—'), "{rtt}");
    let store_fact = text_of(&c, &format!("{card} [data-fact=store]")).await;
    assert!(
        store_fact.contains("KB") || store_fact.contains("MB"),
        "{store_fact}"
    );
    let _ = dunst_summaries();
    let before = dunst_total();
    c.find(Locator::Css(&format!(
        "{card} button[data-action=test-toast]"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_until(10, "the test toast", || {
        Some(dunst_total()).filter(|n| *n > before)
    });
    let shown = dunst_summaries();
    assert!(
        shown.contains(&format!("{account}: aviso de prueba")),
        "{shown:?}"
    );
    c.find(Locator::Css("button[data-action=back]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Another process adds an account while the app runs (`aviso-cli login`): the app's
    // next write of config.toml (the setting below) keeps it.
    let cli = |args: &[&str], stdin: &str| {
        stores::cli(&root, args, stdin);
    };
    cli(
        &[
            "login",
            "--server",
            &server,
            "--username",
            "admin",
            "--name",
            "otra",
        ],
        "admin\n",
    );

    // Start at login, switched in the settings: an XDG autostart entry appears and goes
    // (in the test's own home), and the choice is saved.
    c.find(Locator::Css("button[data-action=settings]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let switch = wait_until_async(10, "the settings view", || async {
        c.find(Locator::Css("input[name=autostart]")).await.ok()
    })
    .await;
    switch.click().await.unwrap();
    let entry = root.join("home/.config/autostart/Aviso.desktop");
    let desktop_file = wait_until(10, "the autostart entry", || {
        std::fs::read_to_string(&entry).ok()
    });
    assert!(
        desktop_file.contains(APP) && desktop_file.contains("--hidden"),
        "{desktop_file}"
    );
    let saved = wait_until(10, "the saved setting", || {
        let config = std::fs::read_to_string(root.join("config/config.toml")).ok()?;
        config.contains("autostart = true").then_some(config)
    });
    assert!(saved.contains("[desktop]"), "{saved}");
    let names: Vec<String> = aviso_engine::config::Config::load(&root.join("config/config.toml"))
        .unwrap()
        .accounts
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(
        names,
        [account.clone(), "otra".to_string()],
        "the app's write kept the account aviso-cli added"
    );
    c.find(Locator::Css("input[name=autostart]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(10, "the autostart entry to go", || {
        (!entry.exists()).then_some(())
    });
    cli(&["logout", "--account", "otra"], "");
    c.find(Locator::Css("header button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Screenshots of the real app (es), kept in docs/.
    let shot = c.screenshot().await.unwrap();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::write(docs.join("desktop-panel-es.png"), shot).unwrap();

    // Closing the panel keeps Aviso in the tray and ends its web content process; the badge
    // keeps following the server. WebKitGTK's network process stays until the app quits:
    // every WebKit process is listed, so the day it ends too this check says so.
    // (Closed as a user would: `aviso --toggle`, a second launch handing over to this one.
    // Closing it through WebDriver would end the WebDriver session, which ends the app.)
    let open_webkit = webkit_processes();
    assert!(
        open_webkit.iter().any(|p| p == "WebKitWebProcess"),
        "the open panel runs a WebKit web process: {open_webkit:?}"
    );
    assert!(Command::new(APP)
        .arg("--toggle")
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut left = webkit_processes();
    while left != ["WebKitNetworkProcess"] && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        left = webkit_processes();
    }
    assert_eq!(
        left,
        ["WebKitNetworkProcess"],
        "after closing the panel, only WebKit's network process is left"
    );
    assert!(app_running(), "closing the panel quit the app");
    // The global shortcut (the default, Ctrl+Alt+Shift+A, pressed as a keyboard would:
    // XTEST through xdotool) opens the panel from anywhere, and closes it again.
    let press = || {
        let done = Command::new("xdotool")
            .args(["key", "ctrl+alt+shift+a"])
            .status()
            .expect("xdotool (scripts/setup --test installs it)");
        assert!(done.success());
    };
    press();
    wait_until(15, "the shortcut to open the panel", || {
        (web_processes() > 0).then_some(())
    });
    press();
    wait_until(15, "the shortcut to close the panel", || {
        (web_processes() == 0).then_some(())
    });
    // A second launch shows the panel again (single instance).
    assert!(Command::new(APP).status().unwrap().success());
    wait_until(15, "the panel to come back", || {
        (web_processes() > 0).then_some(())
    });
    let unread = control
        .notifications()
        .iter()
        .filter(|n| !n.notification.leida)
        .count() as u64;
    emit(&control, 1, EmitSpec::default());
    assert_tray_shows(&watcher_log, unread + 1, Look::Live);

    // A mark made by another process beside the app (`aviso-cli mark-read --all`, same
    // data): the running app hears of it, and the tray's count goes to 0.
    let marked = Command::new(Path::new(APP).with_file_name("aviso-cli"))
        .args(["mark-read", "--all"])
        .env("AVISO_CONFIG_DIR", root.join("config"))
        .env("AVISO_DATA_DIR", root.join("data"))
        .env("HOME", root.join("home"))
        .env_remove("AVISO_TOKEN")
        .output()
        .expect("aviso-cli beside the app (cargo test builds it)");
    assert!(
        marked.status.success(),
        "{}",
        String::from_utf8_lossy(&marked.stderr)
    );
    assert_tray_shows(&watcher_log, 0, Look::Live);

    // The server goes away: the tray shows the offline look.
    record_issued_tokens(&control);
    demo.stop().await;
    assert_tray_shows(&watcher_log, 0, Look::Offline);
    let _ = c.close().await;
    wait_until(15, "the app to exit with its session", || {
        (!app_running()).then_some(())
    });

    // A seed-003 account (the Socket.IO gateway) has live values: the panel's live view
    // shows its channels with their state and latest value.
    let mut gateway = seed_servers::SocketIo::start();
    let config_path = root.join("config/config.toml");
    let mut config = aviso_engine::config::Config::load(&config_path).unwrap();
    config.accounts.clear();
    config.upsert(aviso_engine::config::AccountConfig {
        name: "agenda".into(),
        server: gateway.url(),
        profile: "socketio-gateway".into(),
        username: None,
        params: [
            ("user_id".to_string(), "u1".to_string()),
            ("role".to_string(), "admin".to_string()),
        ]
        .into_iter()
        .collect(),
    });
    config.save(&config_path).unwrap();
    let c = app_session(&webdriver, &["--show"]).await;
    let dashboard = "li.channel[data-channel='dashboard'][data-state='open']";
    let live_tab = wait_until_async(30, "the live tab", || async {
        gateway
            .post("/api/dashboard/update-dashboard", json!({"ventas_hoy": 12}))
            .await;
        c.find(Locator::Css("button[data-tab=live]")).await.ok()
    })
    .await;
    live_tab.click().await.unwrap();
    let value = wait_until_async(20, "the dashboard channel live", || async {
        Some(text_of(&c, dashboard).await).filter(|t| t.contains("ventas_hoy"))
    })
    .await;
    assert!(value.contains("12"), "{value}");
    // The DOM is updated before WebKit repaints; give the screenshot a painted frame.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let shot = c.screenshot().await.unwrap();
    std::fs::write(docs.join("desktop-streams-es.png"), shot).unwrap();
    let _ = c.close().await;
    wait_until(15, "the app to exit with its session", || {
        (!app_running()).then_some(())
    });
    gateway.stop();

    // `aviso --demo` (the README's run command): the demo account's events arrive on their own.
    let c = app_session(&webdriver, &["--demo", "--show"]).await;
    wait_until_async(30, "a demo event in the panel", || async {
        exists(&c, ".notification[data-account='demo']")
            .await
            .then_some(())
    })
    .await;
    let _ = c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the desktop session of scripts/test"]
async fn two_stores_filtered_grouped_renamed_and_a_full_disk_said() {
    require_session();
    let _one = ONE_APP.lock().await;
    stores::two_stores_in_one_panel().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the desktop session of scripts/test"]
async fn a_scripted_evening_gives_exactly_the_expected_toasts() {
    require_session();
    let _one = ONE_APP.lock().await;
    evening::live_the_evening().await;
}

/// A catch-up the server refuses (the account's profile names a REST list the server does
/// not have: HTTP 405) loses what the socket does not deliver. The app says it as the CLI
/// does, from the same engine decision: one problem toast in the user's language, and the
/// tray's status line says the same words while it lasts; pushes still count on the badge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the desktop session of scripts/test"]
async fn a_catch_up_the_server_refuses_is_one_toast_and_the_trays_status() {
    require_session();
    let _one = ONE_APP.lock().await;
    let dir = ArtifactDir::new("desktop-problem");
    let root = dir.path().to_path_buf();
    let demo = quiet_demo().await;
    let control = demo.control();
    let url = demo.http_url();
    let tokens = demo_tokens(&url).await;
    std::fs::create_dir_all(root.join("config")).unwrap();
    let profile = root.join("config/broken-list.toml");
    std::fs::write(
        &profile,
        "extends = \"smartsales\"\n[polling]\ninterval_secs = 0.5\nsafety_interval_secs = 1.0\n\
         [rest]\nlist = \"GET /api/token/?desde={cursor}\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("config/config.toml"),
        format!(
            "[[accounts]]\nname = \"tienda\"\nserver = \"{url}\"\nprofile = \"{}\"\n",
            profile.display()
        ),
    )
    .unwrap();

    let (watcher_log, _watcher) = tray_host(&root);
    let _ = dunst_history();

    let log = std::fs::File::create(root.join("app.log")).unwrap();
    let app = Command::new(APP)
        .process_group(0)
        .env("AVISO_CONFIG_DIR", root.join("config"))
        .env("AVISO_DATA_DIR", root.join("data"))
        .env("HOME", root.join("home"))
        .env("AVISO_LOG", "info")
        .env("LANG", "es_ES.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("AVISO_TOKEN", tokens["access"].as_str().unwrap())
        .env("AVISO_REFRESH_TOKEN", tokens["refresh"].as_str().unwrap())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let _app = Killed(app);

    const TITLE: &str = "tienda: se pueden perder notificaciones";
    let problems = |history: &[(String, String)]| -> Vec<String> {
        history
            .iter()
            .filter(|(summary, _)| summary == TITLE)
            .map(|(_, body)| body.clone())
            .collect()
    };
    let body = wait_until(15, "the problem toast", || {
        problems(&dunst_history()).into_iter().next()
    });
    assert!(
        body.contains("rest.list") && body.contains("no se podrá recuperar"),
        "says what is lost and what to fix: {body}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let labels = tray_menu_labels(&watcher_log);
        if labels.contains(&TITLE.to_string()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the tray's status line never said it; its menu: {labels:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The socket works: pushes still arrive and count.
    emit(&control, 2, EmitSpec::default());
    assert_tray_shows(&watcher_log, 2, Look::Live);
    // Retried every second here (the safety poll), said once.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(problems(&dunst_history()).len(), 1, "one toast per episode");
    assert!(tray_menu_labels(&watcher_log).contains(&TITLE.to_string()));
    record_issued_tokens(&control);
}

/// The labels of the tray item's menu, as a tray host reads them over D-Bus (dbusmenu).
fn tray_menu_labels(watcher_log: &Path) -> Vec<String> {
    let Some(line) = std::fs::read_to_string(watcher_log)
        .ok()
        .and_then(|t| t.lines().last().map(str::to_string))
    else {
        return Vec::new();
    };
    let Some((service, path)) = line.split_once(' ') else {
        return Vec::new();
    };
    let gdbus = |path: &str, method: &[&str]| -> String {
        Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                service,
                "--object-path",
                path,
            ])
            .arg("--method")
            .args(method)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let menu = gdbus(
        path,
        &[
            "org.freedesktop.DBus.Properties.Get",
            "org.kde.StatusNotifierItem",
            "Menu",
        ],
    );
    let Some(menu) = menu.split('\'').nth(1) else {
        return Vec::new();
    };
    let layout = gdbus(
        menu,
        // (parent 0, depth 10: `-1` would read as an option to gdbus, properties)
        &["com.canonical.dbusmenu.GetLayout", "0", "10", "['label']"],
    );
    layout
        .split("'label': <'")
        .skip(1)
        .filter_map(|rest| rest.split_once("'>").map(|(label, _)| label.to_string()))
        .collect()
}

/// A WebDriver session with the app started with `args`. tauri-driver accepts connections
/// before the WebKitWebDriver behind it is ready, so early attempts are retried.
async fn app_session(webdriver: &str, args: &[&str]) -> Client {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert(
            "tauri:options".into(),
            json!({"application": APP, "args": args}),
        );
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(webdriver)
            .await
        {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                eprintln!("WebDriver session not ready yet ({e}); retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("no WebDriver session with the app: {e}"),
        }
    }
}

/// Every WebKitGTK helper process running now (`WebKitWebProcess`, `WebKitNetworkProcess`,
/// …), by program name, sorted; the WebDriver (`WebKitWebDriver`) is the test's, not the
/// app's, and is left out.
fn webkit_processes() -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        let name = String::from_utf8_lossy(program);
        let name = name.rsplit('/').next().unwrap_or_default();
        if name.starts_with("WebKit") && name != "WebKitWebDriver" {
            found.push(name.to_string());
        }
    }
    found.sort();
    found
}

/// WebKitGTK's web content processes running now.
fn web_processes() -> usize {
    webkit_processes()
        .iter()
        .filter(|name| *name == "WebKitWebProcess")
        .count()
}

/// Whether the app runs (its command line starts with the binary, so `aviso-cli` and
/// `aviso-bench` processes do not count).
fn app_running() -> bool {
    let pattern = format!("^{APP}( |$)");
    let out = Command::new("pgrep").args(["-f", &pattern]).output();
    out.map(|o| o.status.success()).unwrap_or(false)
}
