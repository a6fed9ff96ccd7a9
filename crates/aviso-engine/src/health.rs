//! Connection health: the facts the health view and `aviso-cli status` show per account
//! (state and transport, connected since, the last event, the last heartbeat's round trip,
//! today's reconnects and why, the next retry, the last catch-up, queued mark-reads, when
//! the access token expires, the store's size). The engine gathers them as its links run
//! ([`HealthBook`]) and publishes them as values ([`Health`]); the shell and the CLI only
//! render them.
//!
//! Most facts come from the events the engine emits anyway ([`HealthBook::observe`]), so
//! the view says what the state lines say; the links add what no event carries (a pong's
//! round trip, a catch-up's size, the token's expiry). A running engine also writes its
//! facts to the store ([`crate::store::Store::put_health`]) so another process
//! (`aviso-cli status`) can read them; a row not refreshed for [`STALE_AFTER`] belongs to
//! an Aviso that is no longer running.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::clock::rfc3339;
use crate::model::{ConnState, EngineEvent, StateDetail, TransportKind};

/// A running engine rewrites its rows at least this often.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// A row older than this was written by an Aviso that is not running any more.
pub const STALE_AFTER: Duration = Duration::from_secs(75);

/// One account's health, as the health view and `aviso-cli status --json` show it. Times
/// are RFC 3339; never a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub account: String,
    /// The server, its credentials and query redacted as in the logs.
    pub server: String,
    pub state: ConnState,
    pub transport: Option<TransportKind>,
    /// The state's reason code (`dead_peer`, `catch_up_failed`, …), as on the state line.
    pub detail: StateDetail,
    /// Since when the account is live; `None` while it is not.
    pub connected_since: Option<String>,
    pub last_event: Option<LastEvent>,
    /// The last heartbeat's round trip (ping sent → pong), in milliseconds; `None` until
    /// one was measured (Socket.IO keeps its heartbeat to itself).
    pub rtt_ms: Option<u64>,
    /// Live connections lost today (local time), and the reasons they were lost with.
    pub reconnects_today: u32,
    pub reconnect_reasons: BTreeMap<StateDetail, u32>,
    /// When the next connection attempt is due, while one is scheduled.
    pub next_retry_at: Option<String>,
    pub last_catch_up: Option<CatchUp>,
    /// Mark-reads waiting for the server to take them.
    pub queued_marks: u64,
    pub unread: u64,
    /// When the access token in use expires (its `exp`), when it says.
    pub token_expires_at: Option<String>,
    /// The local store's size on disk (database and its write-ahead log), in bytes.
    pub store_bytes: u64,
    /// When these facts were gathered.
    pub as_of: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastEvent {
    pub at: String,
    pub kind: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatchUp {
    pub at: String,
    /// Notifications it brought that were not here yet.
    pub items: u64,
    pub ok: bool,
}

/// What the links know about each account, kept as they run.
#[derive(Default)]
pub struct HealthBook {
    accounts: Mutex<HashMap<String, Facts>>,
    /// Woken on every change, for the publisher.
    changed: tokio::sync::Notify,
}

#[derive(Debug, Clone)]
struct Facts {
    server: String,
    state: ConnState,
    transport: Option<TransportKind>,
    detail: StateDetail,
    next_retry_at: Option<String>,
    connected_since: Option<SystemTime>,
    last_event: Option<LastEvent>,
    ping_sent: Option<Instant>,
    rtt: Option<Duration>,
    /// When each live connection was lost, and why (kept for today and yesterday).
    lost: Vec<(SystemTime, StateDetail)>,
    last_catch_up: Option<CatchUp>,
    token_expires_at: Option<u64>,
}

impl Facts {
    fn new(server: String) -> Facts {
        Facts {
            server,
            state: ConnState::Connecting,
            transport: None,
            detail: StateDetail::None,
            next_retry_at: None,
            connected_since: None,
            last_event: None,
            ping_sent: None,
            rtt: None,
            lost: Vec::new(),
            last_catch_up: None,
            token_expires_at: None,
        }
    }
}

impl HealthBook {
    /// Starts keeping an account's facts (again from nothing when it was kept before:
    /// a re-added account is a new connection).
    pub fn add(&self, account: &str, server: String) {
        self.with(account, |f| *f = Facts::new(server.clone()), true);
    }

    pub fn remove(&self, account: &str) {
        self.lock().remove(account);
        self.changed.notify_one();
    }

    /// Learns from an event the engine emits: the account's own state lines, its
    /// notifications. Other events teach nothing.
    pub fn observe(&self, event: &EngineEvent) {
        match event {
            EngineEvent::State {
                account,
                channel: None,
                state,
                transport,
                detail,
                next_retry_at,
            } => self.with(
                account,
                |f| {
                    let was_live = f.state == ConnState::Live;
                    let live = *state == ConnState::Live;
                    if live && !was_live {
                        f.connected_since = Some(SystemTime::now());
                    }
                    if was_live && !live && *state != ConnState::Stopped {
                        f.lost.push((SystemTime::now(), *detail));
                        f.ping_sent = None;
                    }
                    if !live {
                        f.connected_since = None;
                    }
                    f.state = *state;
                    f.transport = *transport;
                    f.detail = *detail;
                    f.next_retry_at = next_retry_at.clone();
                },
                false,
            ),
            EngineEvent::Notification(n) => self.with(
                &n.account,
                |f| {
                    f.last_event = Some(LastEvent {
                        at: rfc3339(SystemTime::now()),
                        kind: n.kind.clone(),
                        title: n.title.clone(),
                    })
                },
                false,
            ),
            _ => {}
        }
    }

    /// A heartbeat went out: the next pong measures the round trip.
    pub fn ping_sent(&self, account: &str) {
        self.with(account, |f| f.ping_sent = Some(Instant::now()), false);
    }

    /// A pong (or the sign of life a ping asked for) arrived.
    pub fn pong(&self, account: &str) {
        self.with(
            account,
            |f| {
                if let Some(sent) = f.ping_sent.take() {
                    f.rtt = Some(sent.elapsed());
                }
            },
            false,
        );
    }

    pub fn caught_up(&self, account: &str, items: u64, ok: bool) {
        self.with(
            account,
            |f| {
                f.last_catch_up = Some(CatchUp {
                    at: rfc3339(SystemTime::now()),
                    items,
                    ok,
                })
            },
            false,
        );
    }

    /// The access token in use expires at `exp` (seconds since the epoch), if it says.
    pub fn token_expires(&self, account: &str, exp: Option<u64>) {
        self.with(account, |f| f.token_expires_at = exp, false);
    }

    /// The facts of `account` (every account when `None`), without the store's figures
    /// (the caller adds them: [`Health::queued_marks`], [`Health::unread`],
    /// [`Health::store_bytes`]).
    pub fn report(&self, account: Option<&str>) -> Vec<Health> {
        let today = local_day(SystemTime::now());
        let now = rfc3339(SystemTime::now());
        let mut out: Vec<Health> = self
            .lock()
            .iter()
            .filter(|(name, _)| account.is_none_or(|a| a == name.as_str()))
            .map(|(name, f)| {
                let mut reasons = BTreeMap::new();
                let mut reconnects = 0;
                for (at, why) in &f.lost {
                    if local_day(*at) == today {
                        reconnects += 1;
                        *reasons.entry(*why).or_insert(0) += 1;
                    }
                }
                Health {
                    account: name.clone(),
                    server: f.server.clone(),
                    state: f.state,
                    transport: f.transport,
                    detail: f.detail,
                    connected_since: f.connected_since.map(rfc3339),
                    last_event: f.last_event.clone(),
                    rtt_ms: f.rtt.map(|d| d.as_millis() as u64),
                    reconnects_today: reconnects,
                    reconnect_reasons: reasons,
                    next_retry_at: f.next_retry_at.clone(),
                    last_catch_up: f.last_catch_up.clone(),
                    queued_marks: 0,
                    unread: 0,
                    token_expires_at: f
                        .token_expires_at
                        .map(|s| rfc3339(UNIX_EPOCH + Duration::from_secs(s))),
                    store_bytes: 0,
                    as_of: now.clone(),
                }
            })
            .collect();
        out.sort_by(|a, b| a.account.cmp(&b.account));
        out
    }

    /// Waits until a fact changed.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Facts>> {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `f` to an account's facts; unknown accounts are kept only when `create`.
    fn with(&self, account: &str, f: impl FnOnce(&mut Facts), create: bool) {
        {
            let mut accounts = self.lock();
            let facts = match accounts.get_mut(account) {
                Some(facts) => facts,
                None if create => accounts
                    .entry(account.to_string())
                    .or_insert_with(|| Facts::new(String::new())),
                None => return,
            };
            f(facts);
            // Two days of losses are enough to count today's.
            let horizon = SystemTime::now() - Duration::from_secs(2 * 86_400);
            facts.lost.retain(|(at, _)| *at >= horizon);
        }
        self.changed.notify_one();
    }
}

/// The facts as plain text for a support request ("Copiar diagnóstico"): English keys, one
/// fact per line, times in UTC as the logs have them. The server is already redacted; no
/// token is among the facts.
pub fn diagnostic(healths: &[Health], app: &str) -> String {
    let mut out = format!(
        "{app} on {} {}\n",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let or_none = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for h in healths {
        let transport = h
            .transport
            .map(|t| format!(" ({})", t.as_str()))
            .unwrap_or_default();
        let reasons: Vec<String> = h
            .reconnect_reasons
            .iter()
            .map(|(why, n)| format!("{why} x{n}"))
            .collect();
        let lines = [
            ("account", h.account.clone()),
            ("server", h.server.clone()),
            ("state", format!("{}{transport}", h.state.as_str())),
            (
                "detail",
                or_none(Some(h.detail.to_string()).filter(|d| !d.is_empty())),
            ),
            ("connected_since", or_none(h.connected_since.clone())),
            (
                "last_event",
                or_none(
                    h.last_event
                        .as_ref()
                        .map(|e| format!("{} {} {:?}", e.at, e.kind, e.title)),
                ),
            ),
            ("rtt_ms", or_none(h.rtt_ms.map(|v| v.to_string()))),
            (
                "reconnects_today",
                if reasons.is_empty() {
                    h.reconnects_today.to_string()
                } else {
                    format!("{} ({})", h.reconnects_today, reasons.join(", "))
                },
            ),
            ("next_retry_at", or_none(h.next_retry_at.clone())),
            (
                "last_catch_up",
                or_none(h.last_catch_up.as_ref().map(|c| {
                    if c.ok {
                        format!("{} {} new", c.at, c.items)
                    } else {
                        format!("{} failed", c.at)
                    }
                })),
            ),
            ("queued_marks", h.queued_marks.to_string()),
            ("unread", h.unread.to_string()),
            ("token_expires_at", or_none(h.token_expires_at.clone())),
            ("store_bytes", h.store_bytes.to_string()),
            ("as_of", h.as_of.clone()),
        ];
        out.push('\n');
        for (key, value) in lines {
            out.push_str(&format!("{key}: {value}\n"));
        }
    }
    out
}

/// The local calendar day of `t` (the machine's time zone).
fn local_day(t: SystemTime) -> Option<jiff::civil::Date> {
    let ts = jiff::Timestamp::try_from(t).ok()?;
    Some(ts.to_zoned(jiff::tz::TimeZone::system()).date())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(state: ConnState, detail: StateDetail) -> EngineEvent {
        EngineEvent::State {
            account: "tienda".into(),
            channel: None,
            state,
            transport: Some(TransportKind::Websocket),
            detail,
            next_retry_at: None,
        }
    }

    fn book() -> HealthBook {
        let book = HealthBook::default();
        book.add("tienda", "https://tienda.example/".into());
        book
    }

    #[test]
    fn live_since_and_losses_counted_with_their_reasons() {
        let book = book();
        book.observe(&state(ConnState::Connecting, StateDetail::None));
        assert_eq!(book.report(None)[0].connected_since, None);
        book.observe(&state(ConnState::Live, StateDetail::None));
        let live = &book.report(None)[0];
        assert!(live.connected_since.is_some());
        assert_eq!(live.reconnects_today, 0);
        book.observe(&state(ConnState::Backoff, StateDetail::DeadPeer));
        book.observe(&state(ConnState::Live, StateDetail::None));
        book.observe(&state(ConnState::Backoff, StateDetail::ServerError));
        book.observe(&state(ConnState::Connecting, StateDetail::None));
        book.observe(&state(ConnState::Live, StateDetail::None));
        book.observe(&state(ConnState::Backoff, StateDetail::DeadPeer));
        let h = &book.report(Some("tienda"))[0];
        assert_eq!(h.reconnects_today, 3);
        assert_eq!(
            h.reconnect_reasons,
            BTreeMap::from([(StateDetail::DeadPeer, 2), (StateDetail::ServerError, 1)])
        );
        assert_eq!(h.connected_since, None, "not live now");
        assert_eq!(h.detail, StateDetail::DeadPeer);
        // A stop is not a loss.
        book.observe(&state(ConnState::Live, StateDetail::None));
        book.observe(&state(ConnState::Stopped, StateDetail::None));
        assert_eq!(book.report(None)[0].reconnects_today, 3);
    }

    #[test]
    fn channel_lines_and_other_accounts_teach_nothing() {
        let book = book();
        book.observe(&EngineEvent::State {
            account: "tienda".into(),
            channel: Some("heart_rate".into()),
            state: ConnState::Live,
            transport: None,
            detail: StateDetail::None,
            next_retry_at: None,
        });
        book.observe(&EngineEvent::State {
            account: "otra".into(),
            channel: None,
            state: ConnState::Live,
            transport: None,
            detail: StateDetail::None,
            next_retry_at: None,
        });
        let all = book.report(None);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].state, ConnState::Connecting);
        assert!(book.report(Some("otra")).is_empty());
    }

    #[test]
    fn a_pong_measures_the_ping_before_it_once() {
        let book = book();
        book.pong("tienda");
        assert_eq!(book.report(None)[0].rtt_ms, None, "no ping yet");
        book.ping_sent("tienda");
        std::thread::sleep(Duration::from_millis(20));
        book.pong("tienda");
        let rtt = book.report(None)[0].rtt_ms.unwrap();
        assert!((20..1000).contains(&rtt), "{rtt}");
        std::thread::sleep(Duration::from_millis(30));
        book.pong("tienda");
        assert_eq!(book.report(None)[0].rtt_ms, Some(rtt), "one pong per ping");
    }

    #[test]
    fn last_event_catch_up_and_token_expiry_are_kept() {
        let book = book();
        book.observe(&EngineEvent::Notification(crate::model::Notification {
            account: "tienda".into(),
            id: "7".into(),
            kind: "nueva_compra".into(),
            title: "Nueva compra".into(),
            body: String::new(),
            url: None,
            created_at: "2026-12-04T10:00:00Z".into(),
            read: false,
            data: serde_json::Value::Null,
        }));
        book.caught_up("tienda", 12, true);
        book.token_expires("tienda", Some(1_700_000_000));
        let h = &book.report(None)[0];
        let last = h.last_event.as_ref().unwrap();
        assert_eq!(
            (last.kind.as_str(), last.title.as_str()),
            ("nueva_compra", "Nueva compra")
        );
        assert_eq!(
            h.last_catch_up.as_ref().map(|c| (c.items, c.ok)),
            Some((12, true))
        );
        assert_eq!(h.token_expires_at.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(h.server, "https://tienda.example/");
    }

    #[test]
    fn the_diagnostic_says_each_fact_on_a_line() {
        let book = book();
        book.observe(&state(ConnState::Live, StateDetail::None));
        book.observe(&state(ConnState::Backoff, StateDetail::DeadPeer));
        book.caught_up("tienda", 3, false);
        let text = diagnostic(&book.report(None), "Aviso 0.1.0");
        assert!(text.starts_with("Aviso 0.1.0 on "), "{text}");
        for line in [
            "account: tienda",
            "server: https://tienda.example/",
            "state: backoff (websocket)",
            "detail: dead_peer",
            "connected_since: -",
            "reconnects_today: 1 (dead_peer x1)",
            "rtt_ms: -",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
        }
        assert!(
            text.lines()
                .any(|l| l.starts_with("last_catch_up: ") && l.ends_with(" failed")),
            "{text}"
        );
    }
}
