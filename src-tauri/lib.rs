//! Aviso's desktop shell (Tauri 2): a thin layer that maps the engine's events onto the
//! tray, native notifications and the panel UI, and the UI's calls onto the engine.
//!
//! - `shell`: the state (engine handle, account views, settings) and the operations.
//! - `commands`: the UI's commands (docs/ipc.md); `events`: engine events → tray/toasts/UI.
//! - `tray` and `icon`: the tray icon with its badge; `toasts`: native notifications.
//! - `policy`: the engine's notification policy (rules, quiet hours, bursts, digests,
//!   snoozes, silence alarms) driven for the shell, whose decisions the shell renders.
//! - `panel`: the window, created on demand and destroyed when closed.
//! - `urls`: which notification URLs may open; `i18n`: the shell's words (es, en).
//! - `settings`, `autostart`; `app_id`: the AppUserModelID toasts carry on Windows.

mod app_id;
mod autostart;
mod commands;
mod events;
pub mod i18n;
pub mod icon;
mod ipc;
mod panel;
mod policy;
mod settings;
mod shell;
mod shortcut;
mod toasts;
mod tray;
pub mod urls;
#[cfg(any(target_os = "windows", test))]
mod wintoast;

use std::sync::Arc;

use anyhow::Context as _;
use aviso_engine::config::Config;
use aviso_engine::credentials::Credentials;
use aviso_engine::dirs::Dirs;
use aviso_engine::{Engine, EngineOptions};
use tauri::{Manager, RunEvent, Runtime};

use crate::shell::Shell;

/// The panel window's label.
pub use crate::panel::LABEL as PANEL_LABEL;

/// Command-line switches.
#[derive(Debug, Default, Clone)]
pub struct Args {
    /// Run on the embedded demo backend with a demo account (nothing else is touched).
    pub demo: bool,
    /// Open the panel at start (`--show`; also `--toggle` when no instance runs yet).
    pub show: bool,
}

impl Args {
    pub fn parse(args: impl IntoIterator<Item = String>) -> Args {
        let mut out = Args::default();
        for a in args {
            match a.as_str() {
                "--demo" => out.demo = true,
                "--show" | "--toggle" => out.show = true,
                _ => {}
            }
        }
        out
    }
}

fn init_logging() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("AVISO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    for cap in aviso_engine::LOG_CAPS {
        filter = filter.add_directive(cap.parse().expect("LOG_CAPS are valid directives"));
    }
    // Plain text when stderr is a file or a pipe (Windows starts a GUI app with none).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Environment for GTK and WebKitGTK, set before either starts (the process has no other
/// thread yet). A value the user set wins.
///
/// `GDK_GL=disable`: GTK 3 probes GLX as it opens the X display, which loads Mesa and, with
/// it, libLLVM into the tray process (~30 MiB PSS with software GL), although nothing in the
/// tray draws with GL. Without GDK's GL, WebKitGTK shows the panel through shared memory
/// instead of GL textures: a list panel needs no GPU, and its repaints got cheaper too
/// (BENCHMARKS.md, desktop footprint).
fn toolkit_env() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
}

pub fn run() {
    toolkit_env();
    init_logging();
    let args = Args::parse(std::env::args().skip(1));
    let app = app(tauri::Builder::default(), args)
        .build(tauri::generate_context!())
        .expect("the Tauri application could not be built");
    app.run(|_app, event| {
        // A tray app outlives its last window; only Quit (an explicit exit code) ends it.
        if let RunEvent::ExitRequested { api, code, .. } = event {
            if code.is_none() {
                api.prevent_exit();
            }
        }
    });
}

/// The app on runtime `R`: its plugins, commands and start-up. [`run`] builds it on the
/// real runtime; the start-up smoke test (`tests/mock_app.rs`) on Tauri's mock runtime.
pub fn app<R: Runtime>(builder: tauri::Builder<R>, args: Args) -> tauri::Builder<R> {
    builder
        // First: a second launch hands over to this one, which shows its panel, or with
        // `--toggle` shows or closes it (bind that to a key where trays give no clicks).
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            let result = if argv.iter().any(|a| a == "--toggle") {
                panel::toggle(app)
            } else {
                panel::show(app).map(drop)
            };
            if let Err(e) = result {
                tracing::warn!("cannot show the panel: {e}");
            }
        }))
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(shortcut::plugin())
        .invoke_handler(tauri::generate_handler![
            commands::get_accounts,
            commands::list_notifications,
            commands::search_notifications,
            commands::mark_read,
            commands::mark_all_read,
            commands::open_notification,
            commands::list_profiles,
            commands::login,
            commands::logout,
            commands::get_settings,
            commands::set_settings,
            commands::get_streams,
            commands::get_locale,
            commands::take_pending_focus,
            commands::get_policy,
            commands::set_policy,
            commands::snooze,
            commands::get_health,
            commands::reconnect,
            commands::test_toast,
            commands::get_diagnostics,
            commands::get_facets,
            commands::rename_account,
            commands::get_storage,
            commands::dismiss_storage,
        ])
        .setup(move |app| {
            setup(app, &args).map_err(|e| {
                tracing::error!("start-up failed: {e:#}");
                e.into()
            })
        })
}

fn setup<R: Runtime>(app: &mut tauri::App<R>, args: &Args) -> anyhow::Result<()> {
    let handle = app.handle().clone();
    let dirs = Dirs::from_env();
    let (config_path, mut config, data_dir, creds, demo) = if args.demo {
        let (config, creds, demo) = tauri::async_runtime::block_on(start_demo())?;
        let data_dir = dirs.data.join("demo");
        // A fresh demo server numbers its events from 1: an old demo store would hide them.
        let _ = std::fs::remove_dir_all(&data_dir);
        (
            dirs.config.join("demo.toml"),
            config,
            data_dir,
            creds,
            Some(demo),
        )
    } else {
        let path = dirs.config_file();
        let config = Config::load(&path)?;
        (
            path,
            config,
            dirs.data.clone(),
            Credentials::from_env(),
            None,
        )
    };
    if args.demo {
        // Settings survive demo runs; accounts are the demo's.
        config.desktop = Config::load(&config_path)
            .map(|c| c.desktop)
            .unwrap_or_default();
    }
    let options = EngineOptions {
        data_dir: data_dir.clone(),
        extra_ca: config.extra_ca.clone(),
    };
    let (engine, events) = Engine::open(options, creds).context("cannot open the engine")?;
    let icon_path = write_toast_icon(&data_dir);
    app_id::register(icon_path.as_deref());
    let shell = Arc::new(Shell::new(engine, config_path, config, icon_path));
    app.manage(shell.clone());
    if let Some(demo) = demo {
        app.manage(DemoBackend(demo));
    }

    let start = shell.clone();
    tauri::async_runtime::block_on(async move {
        for account in start.account_configs() {
            match account.spec() {
                Ok(spec) => start.engine.add(spec),
                Err(e) => tracing::error!(account = %account.name, "cannot start: {e}"),
            }
        }
    });
    let tray_shell = shell.clone();
    shell.set_tray(tray::Tray::build(
        &handle,
        shell.lang(),
        move |app, action| tray_shell.on_tray_action(app, action),
    )?);
    let (toast_shell, action_shell, action_app) = (shell.clone(), shell.clone(), handle.clone());
    shell.set_toaster(toasts::start(
        move || toast_shell.toast_context(),
        move |action| action_shell.on_toast_action(&action_app, action),
    ));
    tauri::async_runtime::spawn(events::pump(handle.clone(), shell.clone(), events));
    tauri::async_runtime::spawn(shell::drive_policy(handle.clone(), shell.clone()));
    tauri::async_runtime::spawn(events::follow_storage(
        handle.clone(),
        shell.engine.store().watch_problems(),
    ));
    autostart::apply(&handle, shell.settings().autostart);
    if let Err(e) = shortcut::apply(&handle, &shell.settings().shortcut) {
        // Taken by another program, or unreadable: the panel still opens from the tray.
        tracing::warn!("cannot register the global shortcut {e}");
    }
    if args.show || shell.account_configs().is_empty() {
        panel::show(&handle)?;
    }
    Ok(())
}

/// Keeps the embedded demo server alive as long as the app.
struct DemoBackend(#[allow(dead_code)] aviso_demo::DemoServer);

async fn start_demo() -> anyhow::Result<(Config, Credentials, aviso_demo::DemoServer)> {
    let demo = aviso_demo::DemoServer::start(
        ([127, 0, 0, 1], 0).into(),
        aviso_demo::DemoConfig::default(),
    )
    .await?;
    let tls = aviso_engine::tls::client_config(None)?;
    let http = aviso_engine::engine::http_client(&tls)?;
    let (account, _, tokens) =
        aviso_engine::accounts::demo(&http, &demo.http_url(), "smartsales").await?;
    let config = Config {
        accounts: vec![account],
        ..Config::default()
    };
    Ok((config, Credentials::in_memory(tokens), demo))
}

/// Writes the app icon where the notification daemon can read it.
fn write_toast_icon(dir: &std::path::Path) -> Option<String> {
    let path = dir.join("aviso-icon.png");
    let size = 128;
    let rgba = icon::render(size, 0, icon::Look::Live);
    let file = std::fs::File::create(&path).ok()?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), size, size);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().ok()?.write_image_data(&rgba).ok()?;
    Some(path.display().to_string())
}
