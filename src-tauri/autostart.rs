//! Start at login: an XDG autostart entry on Linux, a LaunchAgent on macOS, the Run key on
//! Windows (tauri-plugin-autostart). Started that way, Aviso stays in the tray (`--hidden`).

use tauri::{AppHandle, Runtime};
use tauri_plugin_autostart::ManagerExt;

pub fn apply<R: Runtime>(app: &AppHandle<R>, enabled: bool) {
    let launcher = app.autolaunch();
    let result = match (enabled, launcher.is_enabled().unwrap_or(false)) {
        (true, false) => launcher.enable(),
        (false, true) => launcher.disable(),
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!("cannot change start at login: {e}");
    }
}
