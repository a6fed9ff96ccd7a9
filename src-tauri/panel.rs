//! The panel window. It exists only while shown: closing it destroys its webview and its
//! web process. WebKitGTK's network process, started with the first webview, stays until
//! the app quits (Linux, measured: BENCHMARKS.md's "PSS after closing" row and the desktop
//! test's list of WebKit processes after closing).

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::ipc::PANEL_FOCUS_ITEM;

/// A notification the panel is asked to show and highlight (a toast's click, `aviso
/// --focus`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FocusTarget {
    pub account: String,
    pub id: String,
}

pub const LABEL: &str = "panel";

/// Shows the panel, creating it when needed. Returns whether it already existed (and so
/// has a UI listening for events).
pub fn show<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<bool> {
    if let Some(w) = app.get_webview_window(LABEL) {
        w.unminimize()?;
        w.show()?;
        w.set_focus()?;
        return Ok(true);
    }
    WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title("Aviso")
        .inner_size(420.0, 640.0)
        .min_inner_size(360.0, 420.0)
        .visible(true)
        .focused(true)
        .build()?;
    Ok(false)
}

/// Shows or closes the panel (a tray click).
pub fn toggle<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    match app.get_webview_window(LABEL) {
        Some(w) if w.is_visible().unwrap_or(false) => w.close(),
        _ => show(app).map(drop),
    }
}

/// Shows the panel on one item: an open panel gets the event; a new one asks for it with
/// `take_pending_focus` once its listeners are up (an event sent while its script loads
/// would be lost).
pub fn focus_item<R: Runtime>(
    app: &AppHandle<R>,
    target: FocusTarget,
    pending: &std::sync::Mutex<Option<FocusTarget>>,
) {
    *pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(target.clone());
    match show(app) {
        Ok(true) => {
            pending.lock().unwrap_or_else(|e| e.into_inner()).take();
            let _ = app.emit(PANEL_FOCUS_ITEM, target);
        }
        Ok(false) => {}
        Err(e) => tracing::warn!("cannot show the panel: {e}"),
    }
}
