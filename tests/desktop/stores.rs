//! Two stores in one panel: two accounts on two demo servers (logged in through
//! `aviso-cli login`, tokens in gnome-keyring), filtered by store and by kind, grouped by
//! store, one renamed in the settings (its history and tokens go with it), the badge
//! counting one store only, and a full disk said by a banner that goes away by itself.

use super::*;

/// `aviso-cli` beside the app, on the test's config, data and home; its stdout.
pub fn cli(root: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(Path::new(APP).with_file_name("aviso-cli"))
        .args(args)
        .env("AVISO_CONFIG_DIR", root.join("config"))
        .env("AVISO_DATA_DIR", root.join("data"))
        .env("HOME", root.join("home"))
        .env("LANG", "en_US.UTF-8")
        .env_remove("AVISO_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aviso-cli beside the app (cargo test builds it)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "aviso-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn row(account: &str, id: u64) -> String {
    format!(".notification[data-account='{account}'][data-id='{id}']")
}

/// The rows the list shows now, as (account, id), in order.
async fn rows(c: &Client) -> Vec<(String, String)> {
    let script = "return [...document.querySelectorAll('.notification')]
        .map(e => [e.dataset.account, e.dataset.id]);";
    match c.execute(script, vec![]).await {
        Ok(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| {
                let pair = v.as_array()?;
                Some((
                    pair.first()?.as_str()?.to_string(),
                    pair.get(1)?.as_str()?.to_string(),
                ))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Clicks through a script: buttons that show on hover are clicked as a user would.
async fn click(c: &Client, css: &str) {
    wait_until_async(10, css, || async { exists(c, css).await.then_some(()) }).await;
    c.execute(
        "document.querySelector(arguments[0]).click()",
        vec![json!(css)],
    )
    .await
    .unwrap();
}

async fn wait_rows(c: &Client, what: &str, want: &[(&str, u64)]) {
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, id)| (a.to_string(), id.to_string()))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = rows(c).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the list shows {got:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

pub async fn two_stores_in_one_panel() {
    let dir = ArtifactDir::new("desktop-stores");
    let root = dir.path().to_path_buf();
    let data = root.join("data");
    // The data directory on a small disk of its own, to be filled later.
    let disk = aviso_testkit::Tmpfs::mount(&data, "8m");
    let (centro, norte) = (quiet_demo().await, quiet_demo().await);
    for (name, server) in [("centro", &centro), ("norte", &norte)] {
        let url = server.http_url();
        cli(
            &root,
            &[
                "login",
                "--server",
                &url,
                "--username",
                "admin",
                "--name",
                name,
            ],
            "admin\n",
        );
    }
    let (watcher_log, _watcher) = tray_host(&root);

    let driver_ports = DriverPorts::new();
    let driver_log = std::fs::File::create(root.join("app-and-driver.log")).unwrap();
    let driver = Command::new("tauri-driver")
        .process_group(0)
        .args(driver_ports.args())
        .env("AVISO_CONFIG_DIR", root.join("config"))
        .env("AVISO_DATA_DIR", &data)
        .env("HOME", root.join("home"))
        .env("AVISO_LOG", "info")
        .env("LANG", "es_ES.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
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

    // Both servers number their events from 1: the same ids, two stores.
    let kind = |tipo: &str| EmitSpec {
        tipo: Some(tipo.into()),
        ..Default::default()
    };
    let compras = emit(&centro.control(), 2, kind("nueva_compra"));
    let devolucion = emit(&norte.control(), 1, kind("devolucion"))[0];
    let compra_norte = emit(&norte.control(), 1, kind("nueva_compra"))[0];
    assert_eq!((compras[0], devolucion), (1, 1));
    for css in [
        row("centro", compras[0]),
        row("centro", compras[1]),
        row("norte", devolucion),
        row("norte", compra_norte),
    ] {
        wait_until_async(15, &css, || async { exists(&c, &css).await.then_some(()) }).await;
    }
    assert_tray_shows(&watcher_log, 4, Look::Live);

    // A store's chip says its unread count, and shows that store alone.
    let norte_chip = "[data-filter=stores] button[data-store='norte']";
    let chip = wait_until_async(10, "norte's chip with its count", || async {
        Some(text_of(&c, norte_chip).await).filter(|t| t.contains('2'))
    })
    .await;
    assert!(chip.contains("norte"), "{chip}");
    click(&c, norte_chip).await;
    wait_rows(
        &c,
        "norte alone",
        &[("norte", compra_norte), ("norte", devolucion)],
    )
    .await;
    // A kind's chip narrows it further.
    click(&c, "[data-filter=kinds] button[data-kind='devolucion']").await;
    wait_rows(&c, "norte's returns", &[("norte", devolucion)]).await;
    // The choice is remembered (config.toml's [desktop.view]; the panel restores it at
    // start: ui/e2e).
    wait_until(10, "the view saved", || {
        let config = aviso_engine::config::Config::load(&root.join("config/config.toml")).ok()?;
        let view = config.desktop.get("view")?.as_table()?.clone();
        (view.get("account")?.as_str()? == "norte" && view.get("kind")?.as_str()? == "devolucion")
            .then_some(())
    });
    click(&c, "[data-filter=kinds] button[data-kind='']").await;
    click(&c, "[data-filter=stores] button[data-store='']").await;

    // Grouped by store: centro's items, then norte's, each newest first.
    click(&c, "button[data-action=group]").await;
    wait_rows(
        &c,
        "grouped by store",
        &[
            ("centro", compras[1]),
            ("centro", compras[0]),
            ("norte", compra_norte),
            ("norte", devolucion),
        ],
    )
    .await;
    let headers = c
        .execute(
            "return [...document.querySelectorAll('div.store[data-store]')].map(e => e.dataset.store);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(headers, json!(["centro", "norte"]));
    click(&c, "button[data-action=group]").await;

    // Settings: norte is renamed; its history and its tokens (gnome-keyring) go with it,
    // and it stays connected under the new name.
    click(&c, "button[data-action=settings]").await;
    click(
        &c,
        ".account[data-account='norte'] button[data-action=rename]",
    )
    .await;
    let field = wait_until_async(10, "the rename field", || async {
        c.find(Locator::Css("input[name=account-name]")).await.ok()
    })
    .await;
    // Typed over the old name (selected), then saved with the form's button.
    c.execute(
        "const f = document.querySelector('input[name=account-name]'); f.focus(); f.select();",
        vec![],
    )
    .await
    .unwrap();
    field.send_keys("Tienda Norte").await.unwrap();
    click(&c, "form.rename button[type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let config = aviso_engine::config::Config::load(&root.join("config/config.toml")).unwrap();
        let names: Vec<String> = config.accounts.into_iter().map(|a| a.name).collect();
        if names == ["centro", "Tienda Norte"] {
            break;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(root.join("app-and-driver.log")).unwrap_or_default();
            let page = c.source().await.unwrap_or_default();
            panic!("not renamed: {names:?}\nthe app's log:\n{log}\nthe page:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        aviso_engine::credentials::Credentials::keyring()
            .load("Tienda Norte")
            .unwrap()
            .is_some(),
        "the tokens moved in the keyring"
    );
    // The badge counts centro only.
    click(&c, "input[name=badge][value=some]").await;
    let counted = "input[name=badge-store][value='Tienda Norte']";
    wait_until_async(10, "the stores to choose from", || async {
        exists(&c, &format!("{counted}:checked"))
            .await
            .then_some(())
    })
    .await;
    click(&c, counted).await;
    assert_tray_shows(&watcher_log, 2, Look::Live);
    wait_until(10, "the badge setting saved", || {
        let config = std::fs::read_to_string(root.join("config/config.toml")).ok()?;
        config
            .contains("badge_accounts = [\"centro\"]")
            .then_some(())
    });
    click(&c, ".settings header button").await;
    let later = emit(&norte.control(), 1, kind("nueva_compra"))[0];
    for css in [
        row("Tienda Norte", devolucion),
        row("Tienda Norte", compra_norte),
        row("Tienda Norte", later),
    ] {
        wait_until_async(15, &css, || async { exists(&c, &css).await.then_some(()) }).await;
    }
    assert!(!exists(&c, ".notification[data-account='norte']").await);
    assert_tray_shows(&watcher_log, 2, Look::Live);
    let menu = tray_menu_labels(&watcher_log);
    assert!(
        menu.iter()
            .any(|l| l.starts_with("Tienda Norte: 3 sin leer")),
        "{menu:?}"
    );

    // The disk fills up: a banner says so and what to do, and goes by itself once space
    // is back (nothing clicked, no new notification).
    let filler = disk.fill();
    let big = EmitSpec {
        mensaje: Some("Pedido grande: ".to_string() + &"x".repeat(20_000)),
        ..Default::default()
    };
    let banner = ".banner[data-banner='disk_full']";
    let mut rounds = 0;
    while !exists(&c, banner).await {
        rounds += 1;
        assert!(rounds < 60, "the disk never filled up");
        emit(&centro.control(), 10, big.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let words = text_of(&c, banner).await;
    assert!(words.contains("disco"), "{words}");
    let shot = c.screenshot().await.unwrap();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::write(docs.join("desktop-disk-full-es.png"), shot).unwrap();
    std::fs::remove_file(filler).unwrap();
    wait_until_async(30, "the banner to clear itself", || async {
        (!exists(&c, banner).await).then_some(())
    })
    .await;
    // Everything that arrived meanwhile was written.
    let _ = c.close().await;
    wait_until(15, "the app to exit with its session", || {
        (!app_running()).then_some(())
    });
    let store = aviso_engine::store::Store::open(&data.join("aviso.db")).unwrap();
    let stored = store.total_count(Some("centro")).unwrap();
    assert_eq!(
        stored,
        centro.control().notifications().len() as u64,
        "every notification of the full disk's time was saved"
    );
    record_issued_tokens(&centro.control());
    record_issued_tokens(&norte.control());
}
