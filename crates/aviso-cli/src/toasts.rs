//! `watch --toasts`: native notifications through the desktop's notification daemon.
//!
//! Bursts are folded: notifications are collected for a short window, and more than
//! three at once become one summary toast instead of a flood.

use std::time::Duration;

use aviso_engine::Notification;
use tokio::sync::mpsc;

/// How long to collect before showing: long enough to see a burst as one.
const WINDOW: Duration = Duration::from_millis(700);
/// More than this many in one window become a summary.
const MAX_SINGLE: usize = 3;

fn show(summary: &str, body: &str) {
    let result = notify_rust::Notification::new()
        .appname("Aviso")
        .summary(summary)
        .body(&aviso_engine::markup::escape(body))
        .icon("dialog-information")
        .show();
    if let Err(e) = result {
        tracing::warn!("cannot show a desktop notification: {e}");
    }
}

/// Runs until the sender is dropped.
pub async fn run(mut rx: mpsc::Receiver<Notification>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + WINDOW;
        while let Ok(Some(n)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            batch.push(n);
        }
        let _ = tokio::task::spawn_blocking(move || {
            if batch.len() > MAX_SINGLE {
                let spanish = std::env::var("LANG").unwrap_or_default().starts_with("es");
                let summary = if spanish {
                    format!("{} notificaciones nuevas", batch.len())
                } else {
                    format!("{} new notifications", batch.len())
                };
                let titles: Vec<&str> = batch.iter().take(3).map(|n| n.title.as_str()).collect();
                show(&summary, &format!("{}…", titles.join(" · ")));
            } else {
                for n in &batch {
                    show(&n.title, &n.body);
                }
            }
        })
        .await;
    }
}
