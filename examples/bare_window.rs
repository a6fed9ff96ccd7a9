//! The floor of the desktop benchmarks (crates/aviso-bench, `desktop`): a bare Tauri 2
//! program with one window showing a static page, and nothing else (no tray, no engine, no
//! plugins, no IPC). `aviso-bench` measures it in the same run as the app, with the same
//! environment, so the panel's and the tray's figures read as deltas over what any Tauri
//! window costs on this machine.
//!
//! `bare_window` shows the window; `bare_window --no-window` runs the event loop without
//! one (the floor of a tray-resident app, which has no webview).

use tauri::{RunEvent, WebviewUrl, WebviewWindowBuilder};

fn main() {
    let window = !std::env::args().any(|a| a == "--no-window");
    let app = tauri::Builder::default()
        .setup(move |app| {
            if window {
                WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
                    .title("Bare Tauri window")
                    .inner_size(420.0, 640.0)
                    .build()?;
            }
            Ok(())
        })
        .build(tauri::generate_context!(
            "examples/bare_window/tauri.conf.json"
        ))
        .expect("the bare Tauri window could not be built");
    app.run(|_app, event| {
        // Like a tray app: it runs until killed, with or without a window.
        if let RunEvent::ExitRequested { api, code, .. } = event {
            if code.is_none() {
                api.prevent_exit();
            }
        }
    });
}
