//! Engine events onto the tray, the toasts and the UI. The event names are constants in
//! `ipc.rs` and `ui/src/lib/events.ts` (kept in step by a test; docs/ipc.md lists them).
//!
//! The pump works in rounds: whatever the engine has queued when a round starts goes into
//! it, so a burst costs one emit per round rather than one per notification (each emit is a
//! script run in the panel's web process, and each unread change a tray icon redraw).
//! Notifications keep their order with the read marks around them; unread counts and
//! account views, which are states, are sent once per round with their latest value.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aviso_engine::{EngineEvent, Notification};
use serde_json::json;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::mpsc::Receiver;

use crate::ipc::{
    CONNECTION_STATE_CHANGED, NOTIFICATIONS_READ, NOTIFICATIONS_RECEIVED_BATCH,
    NOTIFICATION_RECEIVED, STORAGE_CHANGED, STREAMS_UPDATED, UNREAD_CHANGED,
};
use crate::shell::Shell;

/// Most engine events taken into one round.
const ROUND_MAX: usize = 2_000;

/// Runs until the engine stops.
pub async fn pump<R: Runtime>(app: AppHandle<R>, shell: Arc<Shell>, mut rx: Receiver<EngineEvent>) {
    while let Some(event) = rx.recv().await {
        let mut round = Round::default();
        round.take(&app, &shell, event);
        for _ in 1..ROUND_MAX {
            match rx.try_recv() {
                Ok(event) => round.take(&app, &shell, event),
                Err(_) => break,
            }
        }
        round.flush(&app, &shell);
    }
}

/// What one round has to send.
#[derive(Default)]
struct Round {
    received: Vec<Notification>,
    /// account → (count, total over all accounts), the latest of the round.
    unread: BTreeMap<String, (u64, u64)>,
    /// Accounts whose view changed (an event's second), sent as they are at the end.
    touched: BTreeSet<String>,
    tray: bool,
}

impl Round {
    fn take<R: Runtime>(&mut self, app: &AppHandle<R>, shell: &Arc<Shell>, event: EngineEvent) {
        match event {
            EngineEvent::Notification(n) => {
                if shell.touch(&n.account).is_some() {
                    self.touched.insert(n.account.clone());
                }
                // The policy decides what to announce (history the server already marks
                // read, such as seed 001's initial list, never is).
                shell.notification_arrived(app, &n);
                self.received.push(n);
            }
            EngineEvent::Read { account, ids, all } => {
                // After the notifications it may be about.
                self.send_received(app);
                let payload = json!({"account": account, "ids": ids, "all": all});
                let _ = app.emit(NOTIFICATIONS_READ, payload);
            }
            EngineEvent::Unread { account, count } => {
                let total = shell.set_unread(&account, count);
                self.unread.insert(account, (count, total));
                self.tray = true;
            }
            // The account's own state. Per-channel states of multi-socket accounts reach the
            // UI through their stream channels below.
            EngineEvent::State {
                account,
                channel: None,
                state,
                transport,
                detail,
                next_retry_at,
            } => {
                if shell
                    .set_state(&account, state, transport, detail, next_retry_at)
                    .is_some()
                {
                    self.touched.insert(account);
                }
                self.tray = true;
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
                // One that loses notifications is also a toast (the policy decides which).
                shell.engine_problem(app, &account, code);
            }
        }
    }

    fn send_received<R: Runtime>(&mut self, app: &AppHandle<R>) {
        match self.received.len() {
            0 => {}
            1 => {
                let _ = app.emit(NOTIFICATION_RECEIVED, &self.received[0]);
            }
            _ => {
                let _ = app.emit(NOTIFICATIONS_RECEIVED_BATCH, &self.received);
            }
        }
        self.received.clear();
    }

    fn flush<R: Runtime>(mut self, app: &AppHandle<R>, shell: &Arc<Shell>) {
        self.send_received(app);
        for (account, (count, total)) in &self.unread {
            let payload = json!({"account": account, "count": count, "total": total});
            let _ = app.emit(UNREAD_CHANGED, payload);
            // Once per round: with a `no_badge` rule this reads the unread list.
            shell.count_badge(account, Some(*count));
        }
        if !self.touched.is_empty() {
            for view in shell.accounts() {
                if self.touched.contains(&view.name) {
                    let _ = app.emit(CONNECTION_STATE_CHANGED, view);
                }
            }
        }
        if self.tray {
            shell.refresh_tray();
        }
    }
}

/// Tells the panel each time what is wrong with the local database changes (a full disk,
/// a read-only directory, a database moved aside), so its banners come and go by
/// themselves. Ends with the store.
pub async fn follow_storage<R: Runtime>(
    app: AppHandle<R>,
    mut problems: tokio::sync::watch::Receiver<Vec<aviso_engine::store::StorageProblem>>,
) {
    while problems.changed().await.is_ok() {
        let now = problems.borrow_and_update().clone();
        tracing::info!(
            "storage problems now: {:?}",
            now.iter().map(|p| p.code.as_str()).collect::<Vec<_>>()
        );
        let _ = app.emit(STORAGE_CHANGED, now);
    }
}
