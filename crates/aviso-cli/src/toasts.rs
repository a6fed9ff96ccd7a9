//! `watch --toasts`: the engine's policy decides (`aviso_engine::policy::Feed`, which also
//! keeps the store's snoozes in step); this module prints its decisions as JSON lines and
//! renders its toasts through the desktop's notification daemon. A burst's summary is one
//! toast updated in place (freedesktop `replaces_id`). It also prints the tray badge's
//! count (`badge` lines: the unread count less what a `no_badge` rule matches).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use aviso_engine::dnd;
use aviso_engine::policy::{Clock, Decision, Feed, Policy, Toast, Urgency};
use aviso_engine::store::Store;
use aviso_engine::{EngineEvent, Notification};
use tokio::sync::mpsc;

/// The longest the policy sleeps: its time is the wall clock's, which can be set forward
/// (or the machine wake) while it sleeps on the monotonic clock.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// What the watch loop tells the policy's task.
#[derive(Debug)]
pub enum Input {
    Notification(Notification),
    /// The account's unread count changed: its badge count may have too.
    Unread(String),
    /// An `error` line: a toast if it means notifications are being lost.
    Problem {
        account: String,
        code: aviso_engine::ErrorCode,
    },
}

/// Runs until the sender is dropped. Decisions go out on `lines` as JSON lines, and a
/// `badge` line when an account's badge count changed.
pub async fn run(
    policy: Policy,
    clock: Clock,
    store: Arc<Store>,
    mut rx: mpsc::Receiver<Input>,
    lines: mpsc::UnboundedSender<String>,
) {
    let mut feed = Feed::new(policy, clock, store.clone());
    let mut renderer = Renderer::default();
    let mut dnd = dnd::Poll::connect().await;
    let mut badges = Badges::default();
    loop {
        let mut wait = feed.wait(MAX_SLEEP);
        if let Some(due) = dnd.due_in() {
            wait = wait.min(due);
        }
        let mut decisions = tokio::select! {
            input = rx.recv() => {
                let Some(input) = input else { break };
                // What else is queued goes in with it: a burst's unread changes are one
                // badge count.
                let mut inputs = vec![input];
                while let Ok(more) = rx.try_recv() {
                    inputs.push(more);
                }
                let mut out = Vec::new();
                for input in inputs {
                    match input {
                        Input::Notification(n) => out.extend(feed.notification(&n)),
                        Input::Unread(account) => badges.changed(account),
                        Input::Problem { account, code } => {
                            out.extend(feed.problem(&account, code))
                        }
                    }
                }
                out
            }
            _ = tokio::time::sleep(wait) => {
                let mut out = Vec::new();
                if let Some(on) = dnd.poll().await {
                    out.extend(feed.set_do_not_disturb(on));
                }
                out.extend(feed.tick());
                out
            }
        };
        for d in decisions.drain(..) {
            send(&lines, &d);
            // The unread count changed: snoozed ones are not counted.
            if let Decision::Released { account, .. } | Decision::Snoozed { account, .. } = &d {
                unread(&store, account, &lines);
                badges.changed(account.clone());
            }
            if let Decision::Toast(t) = d {
                renderer = renderer.show(t).await;
            }
        }
        badges.print(&feed, &lines);
    }
}

/// The accounts whose badge may have changed, and the counts last printed.
#[derive(Default)]
struct Badges {
    changed: BTreeSet<String>,
    printed: HashMap<String, u64>,
}

impl Badges {
    fn changed(&mut self, account: String) {
        self.changed.insert(account);
    }

    /// Prints a `badge` line for each account whose count is new.
    fn print(&mut self, feed: &Feed, lines: &mpsc::UnboundedSender<String>) {
        for account in std::mem::take(&mut self.changed) {
            match feed.badge_count(&account) {
                Ok(count) => {
                    if self.printed.get(&account) != Some(&count) {
                        send(
                            lines,
                            &serde_json::json!({"type": "badge", "account": account, "count": count}),
                        );
                        self.printed.insert(account, count);
                    }
                }
                Err(e) => tracing::warn!("cannot count the badge of {account}: {e}"),
            }
        }
    }
}

fn send(lines: &mpsc::UnboundedSender<String>, value: &impl serde::Serialize) {
    if let Ok(text) = serde_json::to_string(value) {
        let _ = lines.send(text);
    }
}

fn unread(store: &Store, account: &str, lines: &mpsc::UnboundedSender<String>) {
    if let Ok(count) = store.unread_count(Some(account)) {
        send(
            lines,
            &EngineEvent::Unread {
                account: account.to_string(),
                count,
            },
        );
    }
}

/// Shows toasts; remembers the daemon's id of each slot so an update replaces it.
#[derive(Default)]
struct Renderer {
    ids: HashMap<u64, u32>,
}

impl Renderer {
    async fn show(mut self, toast: Toast) -> Renderer {
        let replaces = toast.replaces.then(|| self.ids.get(&toast.slot).copied());
        let slot = toast.slot;
        let shown = tokio::task::spawn_blocking(move || show(&toast, replaces.flatten())).await;
        if let Ok(Some(id)) = shown {
            self.ids.insert(slot, id);
        }
        // Bounded: only a live burst is ever updated.
        if self.ids.len() > 64 {
            let newest = self.ids.keys().max().copied().unwrap_or(0);
            self.ids.retain(|k, _| *k + 32 > newest);
        }
        self
    }
}

/// Shows one toast; the daemon's id where the platform has one (freedesktop).
fn show(toast: &Toast, replaces: Option<u32>) -> Option<u32> {
    let mut n = notify_rust::Notification::new();
    n.appname("Aviso")
        .summary(&toast.title)
        // Daemons read body markup: the server's text must reach them as text.
        .body(&aviso_engine::markup::escape(&toast.body))
        .icon("dialog-information");
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.urgency(match toast.urgency {
            Urgency::Low => notify_rust::Urgency::Low,
            Urgency::Normal => notify_rust::Urgency::Normal,
            Urgency::Critical => notify_rust::Urgency::Critical,
        });
        if toast.silent {
            n.hint(notify_rust::Hint::SuppressSound(true));
        } else if let Some(sound) = &toast.sound {
            n.sound_name(sound);
        }
        if let Some(id) = replaces {
            n.id(id);
        }
        match n.show() {
            Ok(handle) => Some(handle.id()),
            Err(e) => {
                tracing::warn!("cannot show a desktop notification: {e}");
                None
            }
        }
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        // Windows and macOS: no update in place from here (the app's shell uses the
        // toast's tag); an update is a new toast.
        let _ = (replaces, toast.urgency == Urgency::Critical);
        if let Err(e) = n.show() {
            tracing::warn!("cannot show a desktop notification: {e}");
        }
        None
    }
}
