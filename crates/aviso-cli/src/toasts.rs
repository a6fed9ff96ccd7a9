//! `watch --toasts`: the engine's policy decides (`aviso_engine::policy::Feed`, which also
//! keeps the store's snoozes in step); this module prints its decisions as JSON lines and
//! renders its toasts through the desktop's notification daemon. A burst's summary is one
//! toast updated in place (freedesktop `replaces_id`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aviso_engine::dnd::DoNotDisturb;
use aviso_engine::policy::{Clock, Decision, Feed, Policy, Toast, Urgency};
use aviso_engine::store::Store;
use aviso_engine::{EngineEvent, Notification};
use tokio::sync::mpsc;

/// How often time moves for the policy (in real time): short enough that a burst's gather
/// (400 ms by default) and a due snooze are seen promptly, long enough to cost nothing.
const TICK: Duration = Duration::from_millis(100);
/// How often the desktop's do-not-disturb is read: a D-Bus property, cheap; a toast held a
/// second late is no harm.
const DND_EVERY: Duration = Duration::from_secs(1);

/// Runs until the sender is dropped. Decisions go out on `lines` as JSON lines.
pub async fn run(
    policy: Policy,
    clock: Clock,
    store: Arc<Store>,
    mut rx: mpsc::Receiver<Notification>,
    lines: mpsc::UnboundedSender<String>,
) {
    let mut feed = Feed::new(policy, clock, store.clone());
    let mut renderer = Renderer::default();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let dnd = DoNotDisturb::connect().await;
    let mut dnd_on = false;
    let mut dnd_tick = tokio::time::interval(DND_EVERY);
    loop {
        let decisions = tokio::select! {
            n = rx.recv() => {
                let Some(n) = n else { break };
                feed.notification(&n)
            }
            _ = tick.tick() => feed.tick(),
            _ = dnd_tick.tick(), if dnd.is_some() => {
                let on = match &dnd {
                    Some(d) => d.get().await.unwrap_or(false),
                    None => false,
                };
                if on == dnd_on {
                    continue;
                }
                dnd_on = on;
                feed.set_do_not_disturb(on)
            }
        };
        for d in decisions {
            send(&lines, &d);
            // The unread count changed: snoozed ones are not counted.
            if let Decision::Released { account, .. } | Decision::Snoozed { account, .. } = &d {
                unread(&store, account, &lines);
            }
            if let Decision::Toast(t) = d {
                renderer = renderer.show(t).await;
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
