//! Engine events onto the tray, the toasts and the UI. The event names are constants here
//! and in `ui/src/lib/events.ts` (keep both in step; docs/ipc.md lists them).

use std::sync::Arc;

use aviso_engine::EngineEvent;
use serde_json::json;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::mpsc::Receiver;

use crate::shell::Shell;

pub const NOTIFICATION_RECEIVED: &str = "notifications://received";
pub const NOTIFICATIONS_READ: &str = "notifications://read";
pub const UNREAD_CHANGED: &str = "notifications://unread-changed";
pub const CONNECTION_STATE_CHANGED: &str = "connection://state-changed";
pub const PANEL_FOCUS_ITEM: &str = "panel://focus-item";
pub const STREAMS_UPDATED: &str = "streams://updated";
pub const SETTINGS_CHANGED: &str = "settings://changed";

/// Runs until the engine stops.
pub async fn pump<R: Runtime>(app: AppHandle<R>, shell: Arc<Shell>, mut rx: Receiver<EngineEvent>) {
    while let Some(event) = rx.recv().await {
        handle(&app, &shell, event);
    }
}

pub fn handle<R: Runtime>(app: &AppHandle<R>, shell: &Arc<Shell>, event: EngineEvent) {
    match event {
        EngineEvent::Notification(n) => {
            if let Some(view) = shell.touch(&n.account) {
                let _ = app.emit(CONNECTION_STATE_CHANGED, view);
            }
            let _ = app.emit(NOTIFICATION_RECEIVED, &n);
            // History the server already marks read (seed 001's initial list) is shown in
            // the panel, not announced.
            if !n.read {
                shell.toast(n);
            }
        }
        EngineEvent::Read { account, ids, all } => {
            let payload = json!({"account": account, "ids": ids, "all": all});
            let _ = app.emit(NOTIFICATIONS_READ, payload);
        }
        EngineEvent::Unread { account, count } => {
            let total = shell.set_unread(&account, count);
            let payload = json!({"account": account, "count": count, "total": total});
            let _ = app.emit(UNREAD_CHANGED, payload);
            shell.refresh_tray();
        }
        // The account's own state. Per-channel states of multi-socket accounts reach the UI
        // through their stream channels below.
        EngineEvent::State {
            account,
            channel: None,
            state,
            transport,
            detail,
            next_retry_at,
        } => {
            if let Some(view) = shell.set_state(&account, state, transport, detail, next_retry_at) {
                let _ = app.emit(CONNECTION_STATE_CHANGED, view);
            }
            shell.refresh_tray();
        }
        EngineEvent::State {
            channel: Some(_), ..
        } => {}
        EngineEvent::Stream {
            account, channel, ..
        }
        | EngineEvent::StreamState {
            account, channel, ..
        } => {
            let streams = shell.engine.streams();
            if let Some(c) = streams
                .into_iter()
                .find(|c| c.account == account && c.channel == channel)
            {
                let _ = app.emit(STREAMS_UPDATED, c);
            }
        }
        EngineEvent::Error {
            account,
            code,
            message,
        } => {
            tracing::warn!(account = %account, code = %code, "{message}");
        }
    }
}
