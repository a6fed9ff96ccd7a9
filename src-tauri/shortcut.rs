//! The global keyboard shortcut that opens and closes the panel, from anywhere (setting
//! `shortcut`; empty turns it off). Three modifiers by default, so it clashes with nothing
//! common: no editor, browser or desktop binds Ctrl+Alt+Shift+A, and on Spanish keyboards
//! AltGr+Shift+A types nothing. Registered through `tauri-plugin-global-shortcut` (X11,
//! Windows, macOS; Wayland sessions give apps no global keys: there `aviso --toggle` can be
//! bound in the desktop's own keyboard settings).

use std::str::FromStr;

use tauri::{AppHandle, Runtime};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutState};

use crate::panel;

/// The default shortcut (`CommandOrControl` is Cmd on macOS).
pub const DEFAULT: &str = "CommandOrControl+Alt+Shift+A";

/// The plugin, with the panel toggle as its only handler.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, _shortcut, event| {
            if event.state == ShortcutState::Pressed {
                if let Err(e) = panel::toggle(app) {
                    tracing::warn!("cannot toggle the panel: {e}");
                }
            }
        })
        .build()
}

/// Reads a shortcut as the settings hold it ("CommandOrControl+Alt+Shift+A"); empty is none.
pub fn parse(text: &str) -> Result<Option<Shortcut>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let shortcut = Shortcut::from_str(text).map_err(|e| format!("`{text}`: {e}"))?;
    // A key alone would take that key from every other program.
    if shortcut.mods.is_empty() {
        return Err(format!(
            "`{text}` needs at least one modifier (Ctrl, Alt, Shift, Super)"
        ));
    }
    Ok(Some(shortcut))
}

/// Makes `text` the only shortcut Aviso holds. Fails (and holds none) when it cannot be
/// read or another program holds it already.
pub fn apply<R: Runtime>(app: &AppHandle<R>, text: &str) -> Result<(), String> {
    let keys = app.global_shortcut();
    keys.unregister_all().map_err(|e| e.to_string())?;
    if let Some(shortcut) = parse(text)? {
        keys.register(shortcut)
            .map_err(|e| format!("`{}`: {e}", text.trim()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_read_and_a_bare_key_refused() {
        assert!(parse(DEFAULT).unwrap().is_some());
        assert!(parse("Ctrl+Alt+N").unwrap().is_some());
        assert_eq!(parse("  ").unwrap(), None);
        assert!(parse("A").unwrap_err().contains("modifier"));
        assert!(parse("Ctrl+Nope").is_err());
    }
}
