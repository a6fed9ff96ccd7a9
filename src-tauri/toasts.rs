//! Native notifications (notify-rust: the freedesktop daemon on Linux, the notification
//! centre on macOS, toasts on Windows). This module decides nothing: the engine's policy
//! (`aviso_engine::policy::Feed`, driven by `crate::policy`) says what to show, and this
//! module renders each of its toasts — a burst's summary updated in place, quiet toasts
//! without sound, urgent ones at critical urgency — and reports clicks: the body opens the
//! item in the panel (marks it read, opens its URL), "Marcar como leída" marks it,
//! "Recordar en 1 h" / "Mañana a las 9:00" snooze it; a toast about several items (a
//! summary, a digest, a silence alarm) opens the panel.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender};

use aviso_engine::policy::{Toast, ToastKind, Urgency};

use crate::i18n::{self, Lang};

/// The sound a toast plays when sounds are on: the freedesktop sound theme's name on Linux,
/// the system's default notification sound on Windows (`ms-winsoundevent:Notification.
/// Default`; without a sound name Windows toasts are silent) and on macOS.
#[cfg(all(unix, not(target_os = "macos")))]
const SOUND: &str = "message-new-instant";
#[cfg(target_os = "windows")]
const SOUND: &str = "Default";
#[cfg(target_os = "macos")]
const SOUND: &str = "default";

/// The toast buttons' action keys (the daemon sends them back on a click).
const MARK_READ: &str = "mark_read";
const SNOOZE_HOUR: &str = "snooze_1h";
const SNOOZE_TOMORROW: &str = "snooze_tomorrow";

/// What the toast buttons' snoozes mean, in the engine's `parse_when` words.
pub const SNOOZE_HOUR_WHEN: &str = "1h";
pub const SNOOZE_TOMORROW_WHEN: &str = "mañana 9:00";

/// How many slots' daemon ids are kept: only a live burst's toast is ever updated, so a
/// few dozen recent ones are plenty.
const KEEP_SLOTS: usize = 64;

/// What a toast click asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Open {
        account: String,
        id: String,
    },
    MarkRead {
        account: String,
        id: String,
    },
    /// `when` in the words of `aviso_engine::policy::schedule::parse_when`.
    Snooze {
        account: String,
        id: String,
        when: &'static str,
    },
    OpenPanel,
}

/// What the toaster needs to know at the moment it shows something.
pub struct Context {
    pub lang: Lang,
    /// The "show pop-ups" setting. Pauses, quiet hours and do-not-disturb are the policy's.
    pub enabled: bool,
    /// The "play a sound" setting.
    pub sound: bool,
    pub icon: Option<String>,
}

/// A toast as notify-rust is given it, on any platform. Pure (no daemon), so the mapping
/// from the policy's toast is unit-tested.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    pub summary: String,
    /// Escaped: daemons read body markup, and the server's text must reach them as text.
    pub body: String,
    pub urgency: Urgency,
    /// The sound to play; `None` is silent.
    pub sound: Option<String>,
    /// (key, label) of each action; `default` is a click on the body.
    pub actions: Vec<(&'static str, &'static str)>,
    /// The item a click is about; `None`: the click opens the panel.
    pub target: Option<(String, String)>,
}

/// How the policy's toast looks with these settings.
pub fn look(toast: &Toast, ctx: &Context) -> Look {
    let texts = i18n::texts(ctx.lang);
    // One item (a notification, a reminder): its click opens it, its buttons act on it.
    let target = match (toast.kind, toast.items.as_slice()) {
        (ToastKind::Single | ToastKind::Reminder, [item]) => {
            Some((item.account.clone(), item.id.clone()))
        }
        _ => None,
    };
    let mut actions = vec![("default", texts.open_action)];
    if target.is_some() {
        actions.push((MARK_READ, texts.mark_read_action));
        actions.push((SNOOZE_HOUR, texts.snooze_hour_action));
        actions.push((SNOOZE_TOMORROW, texts.snooze_tomorrow_action));
    }
    // The policy's `silent` (a `quiet` rule, an update of a toast already shown) always
    // wins. A rule's own sound was chosen for that rule, so it plays even with the app's
    // sound setting off; everything else follows the setting.
    let sound = if toast.silent {
        None
    } else if let Some(own) = &toast.sound {
        Some(own.clone())
    } else if ctx.sound {
        Some(SOUND.to_string())
    } else {
        None
    };
    Look {
        summary: toast.title.clone(),
        body: aviso_engine::markup::escape(&toast.body),
        urgency: toast.urgency,
        sound,
        actions,
        target,
    }
}

/// Starts the toaster thread; returns the sender the policy's toasts go to.
pub fn start(
    context: impl Fn() -> Context + Send + 'static,
    on_action: impl Fn(Action) + Send + Sync + Clone + 'static,
) -> Sender<Toast> {
    // macOS: notifications are attributed to the app bundle's identifier.
    #[cfg(target_os = "macos")]
    if let Err(e) = notify_rust::set_application("app.aviso.desktop") {
        tracing::warn!("cannot register with the notification centre: {e}");
    }
    let (tx, rx) = std::sync::mpsc::channel::<Toast>();
    std::thread::Builder::new()
        .name("aviso-toasts".into())
        .spawn(move || run(rx, context, on_action))
        .expect("spawn the toast thread");
    tx
}

/// Shows each toast as it comes (notify-rust's calls block on D-Bus, hence a thread of its
/// own); remembers the daemon's id of each slot so an update replaces its toast.
fn run(
    rx: Receiver<Toast>,
    context: impl Fn() -> Context,
    on_action: impl Fn(Action) + Send + Sync + Clone + 'static,
) {
    let mut ids: HashMap<u64, u32> = HashMap::new();
    while let Ok(toast) = rx.recv() {
        let ctx = context();
        if !ctx.enabled {
            continue;
        }
        let replaces = toast
            .replaces
            .then(|| ids.get(&toast.slot).copied())
            .flatten();
        if let Some(id) = show(&ctx, &toast, replaces, on_action.clone()) {
            ids.insert(toast.slot, id);
        }
        if ids.len() > KEEP_SLOTS {
            let newest = ids.keys().max().copied().unwrap_or(0);
            ids.retain(|slot, _| *slot + (KEEP_SLOTS as u64) / 2 > newest);
        }
    }
}

/// Shows one toast, or updates the one of `replaces`; the daemon's id where the platform has
/// one (freedesktop).
#[cfg(not(target_os = "windows"))]
fn show(
    ctx: &Context,
    toast: &Toast,
    replaces: Option<u32>,
    on_action: impl Fn(Action) + Send + 'static,
) -> Option<u32> {
    let look = look(toast, ctx);
    let mut n = notify_rust::Notification::new();
    n.appname("Aviso");
    if let Some(icon) = &ctx.icon {
        n.icon(icon);
    }
    n.summary(&look.summary);
    n.body(&look.body);
    // The buttons, "Recordar en 1 h" among them: freedesktop actions on Linux (dunst shows
    // them in its menu; tests/desktop/evening.rs presses one there).
    for (key, label) in &look.actions {
        n.action(key, label);
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.urgency(match look.urgency {
            Urgency::Low => notify_rust::Urgency::Low,
            Urgency::Normal => notify_rust::Urgency::Normal,
            Urgency::Critical => notify_rust::Urgency::Critical,
        });
        match &look.sound {
            Some(sound) => {
                n.sound_name(sound);
            }
            None => {
                n.hint(notify_rust::Hint::SuppressSound(true));
            }
        }
        // freedesktop `replaces_id`: the daemon updates that toast in place.
        if let Some(id) = replaces {
            n.id(id);
        }
        match n.show() {
            Ok(handle) => {
                let id = handle.id();
                // An update keeps the daemon's id, so the click waiter of the toast it
                // replaces (a summary's: it opens the panel) still answers for it.
                if replaces.is_none() {
                    wait_for_click(handle, look.target, on_action);
                }
                Some(id)
            }
            Err(e) => {
                tracing::warn!("cannot show a notification: {e}");
                None
            }
        }
    }
    #[cfg(target_os = "macos")]
    {
        let _ = (replaces, &on_action);
        if look.sound.is_some() {
            n.sound_name(SOUND);
        }
        if let Err(e) = n.show() {
            tracing::warn!("cannot show a notification: {e}");
        }
        None
    }
}

/// Windows: a WinRT toast of our own (`wintoast`), tagged with its policy slot, so an
/// update (a live burst's growing count) replaces the slot's toast in place, which
/// notify-rust cannot do there. Its buttons and body click come back as the same responses
/// as on Linux. Not run anywhere: Wine has no WinRT toasts (README, "Platforms").
#[cfg(target_os = "windows")]
fn show(
    ctx: &Context,
    toast: &Toast,
    _replaces: Option<u32>,
    on_action: impl Fn(Action) + Send + 'static,
) -> Option<u32> {
    use std::sync::OnceLock;
    // This run of the app, for the tags (see `wintoast::tag`).
    static RUN: OnceLock<u64> = OnceLock::new();
    let run = *RUN.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let look = look(toast, ctx);
    let spec = crate::wintoast::Spec {
        title: &look.summary,
        // Windows shows text, not markup: the policy's text, unescaped.
        body: &toast.body,
        buttons: look
            .actions
            .iter()
            .filter(|(key, _)| *key != "default")
            .map(|(key, label)| (*key, *label))
            .collect(),
        urgent: look.urgency == Urgency::Critical,
        sound: look.sound.is_some(),
        logo: ctx.icon.as_deref(),
    };
    let target = look.target.clone();
    let shown = crate::wintoast::show(
        &crate::wintoast::xml(&spec),
        &crate::wintoast::tag(run, toast.slot),
        move |response| {
            tracing::info!(?response, "toast response");
            if let Some(a) = chosen(&response, &target) {
                on_action(a);
            }
        },
    );
    if let Err(e) = shown {
        tracing::warn!("cannot show a notification: {e}");
    }
    None
}

/// What a response to a toast asks for. A click on the body is `Default` (D-Bus's
/// `"default"` action on Linux, an activation without arguments on Windows); the buttons
/// are their action keys on both.
fn chosen(
    response: &notify_rust::NotificationResponse,
    target: &Option<(String, String)>,
) -> Option<Action> {
    use notify_rust::NotificationResponse as R;
    let (account, id) = match (response, target) {
        (R::Default, None) => return Some(Action::OpenPanel),
        (_, None) => return None,
        (_, Some((account, id))) => (account.clone(), id.clone()),
    };
    match response {
        R::Default => Some(Action::Open { account, id }),
        R::Action(a) if a == MARK_READ => Some(Action::MarkRead { account, id }),
        R::Action(a) if a == SNOOZE_HOUR => Some(Action::Snooze {
            account,
            id,
            when: SNOOZE_HOUR_WHEN,
        }),
        R::Action(a) if a == SNOOZE_TOMORROW => Some(Action::Snooze {
            account,
            id,
            when: SNOOZE_TOMORROW_WHEN,
        }),
        _ => None,
    }
}

/// Linux: the daemon reports the click on D-Bus; wait for it on a thread of its own, which
/// ends when the toast is clicked or closed. (Windows: `wintoast::show`'s handler.)
#[cfg(all(unix, not(target_os = "macos")))]
fn wait_for_click(
    handle: notify_rust::NotificationHandle,
    target: Option<(String, String)>,
    on_action: impl Fn(Action) + Send + 'static,
) {
    std::thread::spawn(move || {
        let result = handle.wait_for_response(|response: &notify_rust::NotificationResponse| {
            tracing::info!(?response, "toast response");
            if let Some(a) = chosen(response, &target) {
                on_action(a);
            }
        });
        if let Err(e) = result {
            tracing::warn!("lost a toast's response: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use aviso_engine::policy::Item;

    fn toast(kind: ToastKind, items: usize) -> Toast {
        Toast {
            slot: 1,
            replaces: false,
            kind,
            title: "Nueva compra".into(),
            body: "Cliente <b>Ana</b>".into(),
            urgency: Urgency::Normal,
            silent: false,
            sound: None,
            url: None,
            items: (0..items)
                .map(|i| Item {
                    account: "tienda".into(),
                    id: i.to_string(),
                })
                .collect(),
        }
    }

    fn ctx(sound: bool) -> Context {
        Context {
            lang: Lang::Es,
            enabled: true,
            sound,
            icon: None,
        }
    }

    #[test]
    fn a_single_toast_is_about_its_item_with_its_buttons() {
        let l = look(&toast(ToastKind::Single, 1), &ctx(true));
        assert_eq!(l.target, Some(("tienda".into(), "0".into())));
        assert_eq!(
            l.actions,
            [
                ("default", "Abrir"),
                ("mark_read", "Marcar como leída"),
                ("snooze_1h", "Recordar en 1 h"),
                ("snooze_tomorrow", "Mañana a las 9:00"),
            ]
        );
        assert_eq!(l.body, "Cliente &lt;b&gt;Ana&lt;/b&gt;");
        assert_eq!(l.sound.as_deref(), Some(SOUND));
        // A reminder (a snooze come back) acts on its item too.
        let r = look(&toast(ToastKind::Reminder, 1), &ctx(true));
        assert_eq!(r.target, Some(("tienda".into(), "0".into())));
    }

    #[test]
    fn summaries_digests_and_alarms_open_the_panel() {
        for kind in [
            ToastKind::Summary,
            ToastKind::Digest,
            ToastKind::Silence,
            ToastKind::Problem,
            ToastKind::Test,
        ] {
            let l = look(&toast(kind, 3), &ctx(true));
            assert_eq!(l.target, None, "{kind:?}");
            assert_eq!(l.actions, [("default", "Abrir")], "{kind:?}");
        }
    }

    #[test]
    fn quiet_is_silent_urgent_is_critical_and_a_rule_sound_is_its_own() {
        let mut quiet = toast(ToastKind::Single, 1);
        quiet.silent = true;
        quiet.urgency = Urgency::Low;
        let l = look(&quiet, &ctx(true));
        assert_eq!((l.sound, l.urgency), (None, Urgency::Low));

        let mut urgent = toast(ToastKind::Single, 1);
        urgent.urgency = Urgency::Critical;
        assert_eq!(look(&urgent, &ctx(false)).urgency, Urgency::Critical);
        // Sounds off: silent, unless a rule chose a sound for this one.
        assert_eq!(look(&urgent, &ctx(false)).sound, None);
        urgent.sound = Some("alarm-clock-elapsed".into());
        assert_eq!(
            look(&urgent, &ctx(false)).sound.as_deref(),
            Some("alarm-clock-elapsed")
        );
        // An update of a burst's toast never sounds again.
        let mut update = toast(ToastKind::Summary, 5);
        update.replaces = true;
        update.silent = true;
        assert_eq!(look(&update, &ctx(true)).sound, None);
    }

    #[test]
    fn clicks_open_mark_read_or_snooze_the_item() {
        use notify_rust::NotificationResponse as R;
        let target = Some(("tienda".to_string(), "42".to_string()));
        let item = |a: Action| Some(a);
        assert_eq!(
            chosen(&R::Default, &target),
            item(Action::Open {
                account: "tienda".into(),
                id: "42".into()
            })
        );
        assert_eq!(
            chosen(&R::Action("mark_read".into()), &target),
            item(Action::MarkRead {
                account: "tienda".into(),
                id: "42".into()
            })
        );
        assert_eq!(
            chosen(&R::Action("snooze_1h".into()), &target),
            item(Action::Snooze {
                account: "tienda".into(),
                id: "42".into(),
                when: "1h"
            })
        );
        assert_eq!(
            chosen(&R::Action("snooze_tomorrow".into()), &target),
            item(Action::Snooze {
                account: "tienda".into(),
                id: "42".into(),
                when: "mañana 9:00"
            })
        );
        // A toast about several items opens the panel and has no item buttons.
        assert_eq!(chosen(&R::Default, &None), Some(Action::OpenPanel));
        assert_eq!(chosen(&R::Action("mark_read".into()), &None), None);
        assert_eq!(
            chosen(&R::Closed(notify_rust::CloseReason::Dismissed), &target),
            None
        );
    }
}
