//! The app's start-up on Tauri's mock runtime (`tauri::test`): the same plugins, commands and
//! setup as the real app (`aviso_app::app`, which `run` builds on the real runtime), with the
//! embedded demo backend, and no webview engine. A smoke test between the unit tests and the
//! end-to-end ones (`tests/desktop.rs`): it fails in seconds when start-up or a command's
//! wiring breaks. Linux, in the session of scripts/test (the tray's GTK needs a display, the
//! single-instance plugin a session bus).

#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use aviso_app::Args;
use aviso_testkit::ArtifactDir;
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

/// Calls a command as the panel does; its answer, or its refusal.
fn invoke(panel: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        panel,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

#[test]
#[ignore = "needs the desktop session of scripts/test (a display, D-Bus)"]
fn the_app_starts_on_the_mock_runtime_goes_live_on_the_demo_and_answers_commands() {
    aviso_testkit::require_session();
    let dir = ArtifactDir::new("mock-app");
    // Its own folders (this test binary runs nothing else).
    std::env::set_var("AVISO_CONFIG_DIR", dir.path().join("config"));
    std::env::set_var("AVISO_DATA_DIR", dir.path().join("data"));
    std::env::set_var("HOME", dir.path().join("home"));
    // No toasts: the demo's events must not reach the session's dunst (other tests count
    // what it shows). Settings of demo runs live in demo.toml.
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/demo.toml"),
        "[desktop]\ntoasts = false\n",
    )
    .unwrap();
    gtk::init().expect("GTK needs the session's display");

    let args = Args::parse(["--demo".to_string(), "--show".to_string()]);
    // The mock context, with the app's identifier (the single-instance plugin's bus name).
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let mut context = mock_context(noop_assets());
    context.config_mut().identifier = conf["identifier"].as_str().unwrap().to_string();
    let mut app = aviso_app::app(mock_builder(), args)
        .build(context)
        .expect("the app builds");
    // One turn of the (mock) event loop runs the app's setup: the engine, the demo, the
    // tray, the panel. (`run_iteration` is deprecated for busy loops; one turn is all this
    // needs.)
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let panel = app
        .get_webview_window(aviso_app::PANEL_LABEL)
        .expect("--show opened the panel");

    // The demo account is there and its connection goes live.
    let deadline = Instant::now() + Duration::from_secs(30);
    let account = loop {
        let accounts = invoke(&panel, "get_accounts", json!({})).expect("get_accounts");
        let list = accounts.as_array().expect("a list of accounts").clone();
        assert_eq!(list.len(), 1, "{accounts}");
        if list[0]["state"] == "live" {
            break list[0].clone();
        }
        assert!(Instant::now() < deadline, "never live: {accounts}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(account["transport"], "websocket", "{account}");

    // Its notifications reach the store and the panel's list (the demo sends one every few
    // seconds).
    let name = account["name"].as_str().unwrap().to_string();
    loop {
        let page = invoke(
            &panel,
            "list_notifications",
            json!({"account": name, "filter": "all", "limit": 10}),
        )
        .expect("list_notifications");
        if page.as_array().is_some_and(|p| !p.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "no notification listed: {page}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // The presets, the settings, the policy: answered as the panel reads them.
    let profiles = invoke(&panel, "list_profiles", json!({})).unwrap();
    assert!(
        profiles
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "smartsales"),
        "{profiles}"
    );
    let settings = invoke(&panel, "get_settings", json!({})).unwrap();
    assert_eq!(
        settings["toasts"], false,
        "the demo run's own settings: {settings}"
    );

    // A refusal carries its code, as the panel switches on it.
    let refused = invoke(
        &panel,
        "login",
        json!({"server": "ftp://tienda", "profile": "smartsales", "username": "a", "password": "b"}),
    )
    .expect_err("an ftp server is refused");
    assert_eq!(refused["code"], "invalid_url", "{refused}");
    let refused = invoke(
        &panel,
        "snooze",
        json!({"account": name, "id": "1", "when": "pronto"}),
    )
    .expect_err("an unreadable time is refused");
    assert!(refused["code"].is_string(), "{refused}");
}
