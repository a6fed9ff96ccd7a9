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

/// Escapes text for the notification server's markup (the spec allows a subset of HTML
/// in bodies, so `<b>` from a hostile server must stay literal).
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn show(summary: &str, body: &str) {
    let result = notify_rust::Notification::new()
        .appname("Aviso")
        .summary(summary)
        .body(&escape_markup(body))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape_markup("<b>x</b> & 'y'"),
            "&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;"
        );
    }
}
