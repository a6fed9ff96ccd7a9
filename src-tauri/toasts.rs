//! Native notifications (notify-rust: the freedesktop daemon on Linux, the notification
//! centre on macOS, toasts on Windows), one per new notification, bursts folded.
//!
//! Rules: more than 3 new within 2 s become one summary toast; notifications that were
//! caught up (created more than a minute before they arrived: start-up, a long disconnect)
//! go into at most one summary, never one toast each. A click shows the panel on the item,
//! marks it read and opens its URL; "Mark as read" only marks it.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use aviso_engine::Notification;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::i18n::{self, Lang};

/// Collect until nothing new arrived for this long (at most the burst window), so a burst
/// is seen as one.
const GATHER: Duration = Duration::from_millis(400);
/// The window and the limit of the burst rule.
const BURST_WINDOW: Duration = Duration::from_secs(2);
const BURST_MAX: usize = 3;
/// Older than this at arrival = caught up, not live.
const CATCH_UP_AGE: Duration = Duration::from_secs(60);

/// The sound a toast plays when sounds are on: the freedesktop sound theme's name on Linux,
/// the system's default notification sound on Windows (`ms-winsoundevent:Notification.
/// Default`; without a sound name Windows toasts are silent) and on macOS.
#[cfg(all(unix, not(target_os = "macos")))]
const SOUND: &str = "message-new-instant";
#[cfg(target_os = "windows")]
const SOUND: &str = "Default";
#[cfg(target_os = "macos")]
const SOUND: &str = "default";

/// What a toast click asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Open { account: String, id: String },
    MarkRead { account: String, id: String },
    OpenPanel,
}

/// What the toaster needs to know at the moment it shows something.
pub struct Context {
    pub lang: Lang,
    pub enabled: bool,
    pub sound: bool,
    pub icon: Option<String>,
}

/// One toast to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Toast {
    Single(Notification),
    Summary {
        count: usize,
        all_purchases: bool,
        first_titles: Vec<String>,
    },
}

fn caught_up(n: &Notification, now: OffsetDateTime) -> bool {
    OffsetDateTime::parse(&n.created_at, &Rfc3339)
        .map(|t| now - t > CATCH_UP_AGE)
        .unwrap_or(false)
}

/// Decides what to show for one gathered batch, given when recent toasts were shown.
pub fn plan(
    batch: Vec<Notification>,
    recent: &mut VecDeque<Instant>,
    now: Instant,
    wall: OffsetDateTime,
) -> Vec<Toast> {
    while recent
        .front()
        .is_some_and(|t| now.duration_since(*t) > BURST_WINDOW)
    {
        recent.pop_front();
    }
    let caught = batch.iter().filter(|n| caught_up(n, wall)).count();
    let fold = batch.len() > 1 && (recent.len() + batch.len() > BURST_MAX || caught > 1);
    if batch.is_empty() {
        return Vec::new();
    }
    if fold {
        recent.push_back(now);
        let all_purchases = batch.iter().all(|n| n.kind == "nueva_compra");
        let first_titles = batch.iter().take(3).map(|n| n.title.clone()).collect();
        return vec![Toast::Summary {
            count: batch.len(),
            all_purchases,
            first_titles,
        }];
    }
    batch
        .into_iter()
        .map(|n| {
            recent.push_back(now);
            Toast::Single(n)
        })
        .collect()
}

/// Starts the toaster thread; returns the sender notifications go to.
pub fn start(
    context: impl Fn() -> Context + Send + 'static,
    on_action: impl Fn(Action) + Send + Sync + Clone + 'static,
) -> Sender<Notification> {
    // macOS: notifications are attributed to the app bundle's identifier.
    #[cfg(target_os = "macos")]
    if let Err(e) = notify_rust::set_application("app.aviso.desktop") {
        tracing::warn!("cannot register with the notification centre: {e}");
    }
    let (tx, rx) = std::sync::mpsc::channel::<Notification>();
    std::thread::Builder::new()
        .name("aviso-toasts".into())
        .spawn(move || run(rx, context, on_action))
        .expect("spawn the toast thread");
    tx
}

fn run(
    rx: Receiver<Notification>,
    context: impl Fn() -> Context,
    on_action: impl Fn(Action) + Send + Sync + Clone + 'static,
) {
    let mut recent = VecDeque::new();
    while let Ok(first) = rx.recv() {
        // Debounced: each arrival extends the wait by GATHER, never past the burst window,
        // so a burst that trickles in (a busy machine, a slow link) is still seen as one.
        let mut batch = vec![first];
        let started = Instant::now();
        let mut until = started + GATHER;
        loop {
            match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(n) => {
                    batch.push(n);
                    until = (Instant::now() + GATHER).min(started + BURST_WINDOW);
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let ctx = context();
        if !ctx.enabled {
            continue;
        }
        for toast in plan(
            batch,
            &mut recent,
            Instant::now(),
            OffsetDateTime::now_utc(),
        ) {
            show(&ctx, toast, on_action.clone());
        }
    }
}

fn show(ctx: &Context, toast: Toast, on_action: impl Fn(Action) + Send + 'static) {
    let texts = i18n::texts(ctx.lang);
    let mut n = notify_rust::Notification::new();
    n.appname("Aviso");
    #[cfg(target_os = "windows")]
    n.app_id(crate::app_id::APP_USER_MODEL_ID);
    if let Some(icon) = &ctx.icon {
        n.icon(icon);
    }
    if ctx.sound {
        n.sound_name(SOUND);
    }
    let target = match &toast {
        Toast::Single(item) => {
            n.summary(&item.title);
            n.body(&aviso_engine::markup::escape(&item.body));
            n.action("default", texts.open_action);
            n.action("mark_read", texts.mark_read_action);
            Some((item.account.clone(), item.id.clone()))
        }
        Toast::Summary {
            count,
            all_purchases,
            first_titles,
        } => {
            n.summary(&i18n::burst_summary(ctx.lang, *count, *all_purchases));
            n.body(&aviso_engine::markup::escape(&format!(
                "{}…",
                first_titles.join(" · ")
            )));
            n.action("default", texts.open_action);
            None
        }
    };
    match n.show() {
        Ok(handle) => wait_for_click(handle, target, on_action),
        Err(e) => tracing::warn!("cannot show a notification: {e}"),
    }
}

/// What a response to a toast asks for. A click on the body is `Default` (D-Bus's
/// `"default"` action on Linux, an activation without arguments on Windows); the
/// "Mark as read" button is the `mark_read` action on both.
fn chosen(
    response: &notify_rust::NotificationResponse,
    target: &Option<(String, String)>,
) -> Option<Action> {
    use notify_rust::NotificationResponse as R;
    match (response, target) {
        (R::Default, Some((account, id))) => Some(Action::Open {
            account: account.clone(),
            id: id.clone(),
        }),
        (R::Action(a), Some((account, id))) if a == "mark_read" => Some(Action::MarkRead {
            account: account.clone(),
            id: id.clone(),
        }),
        (R::Default, None) => Some(Action::OpenPanel),
        _ => None,
    }
}

/// Linux: the daemon reports the click on D-Bus. Windows: the toast's `Activated` event
/// (WinRT, in this process while it runs; notify-rust forwards it). Either way, wait for
/// it on a thread of its own, which ends when the toast is clicked or closed.
#[cfg(not(target_os = "macos"))]
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

/// macOS: a click activates the app, which the single-instance handler turns into
/// showing the panel.
#[cfg(target_os = "macos")]
fn wait_for_click(
    _handle: notify_rust::NotificationHandle,
    _target: Option<(String, String)>,
    _on_action: impl Fn(Action) + Send + 'static,
) {
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: u32, kind: &str, age_secs: i64) -> Notification {
        let t = OffsetDateTime::now_utc() - time::Duration::seconds(age_secs);
        Notification {
            account: "a".into(),
            id: id.to_string(),
            kind: kind.into(),
            title: format!("t{id}"),
            body: String::new(),
            url: None,
            created_at: t.format(&Rfc3339).unwrap(),
            read: false,
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn up_to_three_in_two_seconds_are_shown_one_by_one() {
        let mut recent = VecDeque::new();
        let t0 = Instant::now();
        let wall = OffsetDateTime::now_utc();
        assert_eq!(plan(vec![n(1, "x", 0)], &mut recent, t0, wall).len(), 1);
        assert_eq!(
            plan(vec![n(2, "x", 0), n(3, "x", 0)], &mut recent, t0, wall).len(),
            2
        );
        // A fourth within the window folds into a summary... of one: shown as itself.
        let fourth = plan(
            vec![n(4, "x", 0)],
            &mut recent,
            t0 + Duration::from_millis(500),
            wall,
        );
        assert!(matches!(fourth.as_slice(), [Toast::Single(_)]));
        // Later, the window has passed.
        let later = plan(
            vec![n(5, "x", 0), n(6, "x", 0)],
            &mut recent,
            t0 + Duration::from_secs(5),
            wall,
        );
        assert_eq!(later.len(), 2);
    }

    #[test]
    fn a_burst_becomes_one_summary() {
        let mut recent = VecDeque::new();
        let batch: Vec<_> = (0..20).map(|i| n(i, "nueva_compra", 0)).collect();
        let toasts = plan(
            batch,
            &mut recent,
            Instant::now(),
            OffsetDateTime::now_utc(),
        );
        assert_eq!(toasts.len(), 1);
        assert!(matches!(
            &toasts[0],
            Toast::Summary {
                count: 20,
                all_purchases: true,
                ..
            }
        ));
    }

    #[test]
    fn caught_up_notifications_give_at_most_one_summary() {
        let mut recent = VecDeque::new();
        let batch = vec![n(1, "stock_bajo", 3600), n(2, "nueva_compra", 600)];
        let toasts = plan(
            batch,
            &mut recent,
            Instant::now(),
            OffsetDateTime::now_utc(),
        );
        assert!(matches!(
            toasts.as_slice(),
            [Toast::Summary {
                count: 2,
                all_purchases: false,
                ..
            }]
        ));
    }

    #[test]
    fn a_body_click_opens_the_item_and_the_button_marks_it_read() {
        use notify_rust::NotificationResponse as R;
        let target = Some(("tienda".to_string(), "42".to_string()));
        assert_eq!(
            chosen(&R::Default, &target),
            Some(Action::Open {
                account: "tienda".into(),
                id: "42".into()
            })
        );
        assert_eq!(
            chosen(&R::Action("mark_read".into()), &target),
            Some(Action::MarkRead {
                account: "tienda".into(),
                id: "42".into()
            })
        );
        // A summary toast has no item: its click opens the panel.
        assert_eq!(chosen(&R::Default, &None), Some(Action::OpenPanel));
        assert_eq!(chosen(&R::Action("mark_read".into()), &None), None);
        assert_eq!(
            chosen(&R::Closed(notify_rust::CloseReason::Dismissed), &target),
            None
        );
    }
}
