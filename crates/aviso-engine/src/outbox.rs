//! The outbox: mark-read operations applied locally at once and sent to the server until it
//! confirms them, across restarts (they live in the store).
//!
//! Marks go over REST ([`flush`]) or, where the profile has a socket frame for them (seed
//! 001's `websocket.mark_read`), over the live socket ([`Courier::send_over_socket`]), each
//! answered in order with `marked_read` or `error`. A running link's [`Courier`] keeps when
//! to flush next (retrying with a growing delay) and what awaits an answer on the socket.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::auth::{AuthError, TokenKeeper};
use crate::profile::Profile;
use crate::rest::{Rest, RestError};
use crate::session::Failure;
use crate::store::{OutboxKind, Store, StoreError};
use crate::template;

/// Up to this many unread, "mark all read" queues one mark per notification.
pub const EXACT_MARK_ALL: usize = 500;
/// While the outbox holds operations, how soon to try them again (doubling per attempt, up
/// to a minute: the server may be down for a while, and a mark-read is not urgent).
const RETRY_MIN: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(60);
/// How often to look for operations queued by another process (`aviso-cli mark-read`
/// while the app runs). One indexed SQLite read: cheap enough to do twice a minute.
const LOOK_EVERY: Duration = Duration::from_secs(30);

/// Whether mark-reads go over the socket (seed 001) rather than REST.
pub fn over_socket(profile: &Profile) -> bool {
    !profile.websocket.mark_read.is_empty()
}

/// Marks `ids` read (every unread notification when `None`), locally at once and queued
/// for the server. A socket dialect has no "mark all" frame: each unread notification is
/// queued instead; otherwise "mark all" is [`queue_mark_all`].
pub fn queue_marks(
    store: &Store,
    account: &str,
    profile: &Profile,
    ids: Option<&[String]>,
) -> Result<MarkedAll, StoreError> {
    let one_by_one = |ids: &[String]| {
        let ids = store.mark_read(account, ids, true)?;
        let count = ids.len() as u64;
        Ok(MarkedAll {
            ids,
            all: false,
            count,
        })
    };
    match ids {
        Some(ids) => one_by_one(ids),
        None if over_socket(profile) => one_by_one(&store.unread_ids(account)?),
        None => queue_mark_all(store, account, profile),
    }
}

/// What [`queue_mark_all`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MarkedAll {
    /// The notifications marked one by one (exact mode).
    pub ids: Vec<String>,
    /// One server-side "mark all" was queued instead (`ids` is empty).
    pub all: bool,
    /// How many were unread.
    pub count: u64,
}

/// "Mark all read", locally at once and queued for the server. Exact where it is
/// affordable: the ids the user saw, one mark each, so nothing that reaches the server
/// after the click is marked read unseen. A larger backlog (or a profile without a
/// per-notification endpoint) goes as one server-side "mark all".
pub fn queue_mark_all(
    store: &Store,
    account: &str,
    profile: &Profile,
) -> Result<MarkedAll, StoreError> {
    let unread = store.unread_count(Some(account))?;
    if unread as usize <= EXACT_MARK_ALL && !profile.rest.mark_read.is_empty() {
        let ids = store.unread_ids(account)?;
        let ids = store.mark_read(account, &ids, true)?;
        let count = ids.len() as u64;
        return Ok(MarkedAll {
            ids,
            all: false,
            count,
        });
    }
    let count = store.mark_all_read(account, true)?;
    Ok(MarkedAll {
        ids: Vec::new(),
        all: count > 0,
        count,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum FlushError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A freshly refreshed access token was refused (HTTP 401): the session is over.
    #[error("the server refused a freshly issued token (HTTP 401); log in again")]
    FreshTokenRefused,
}

impl FlushError {
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            FlushError::Auth(e) => e.code(),
            FlushError::Store(e) => e.code(),
            FlushError::FreshTokenRefused => crate::ErrorCode::NeedsLogin,
        }
    }

    /// The token could not be renewed because the server cannot be reached: a server that
    /// is down, retried quietly like the rest (the state lines show it), not an error line.
    pub fn is_outage(&self) -> bool {
        matches!(self, FlushError::Auth(e) if matches!(e.failure(), Failure::Transient(_)))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flushed {
    pub sent: usize,
    /// Operations still queued (the server could not be reached).
    pub pending: usize,
    /// A server-side "mark all read" went through: the local mark was moved up to it (the
    /// server also marked what arrived between the click and now).
    pub read_all: bool,
    /// Marks the server answered 404 for (it does not know the notification): dropped
    /// from the queue, and not confirmed. `*` stands for a "mark all".
    pub not_found: Vec<String>,
    /// Marks the server refused with a fresh token (HTTP 403: this user may not mark
    /// notifications read): dropped from the queue (asking again cannot help), not
    /// confirmed.
    pub forbidden: Vec<String>,
    /// The profile has no endpoint for these marks: they are read here only.
    pub local_only: usize,
}

impl Flushed {
    /// The error line for marks the server refused with a fresh token, if any.
    pub fn forbidden_message(&self) -> Option<String> {
        (!self.forbidden.is_empty()).then(|| {
            format!(
                "the server refused to mark {} notification(s) read (HTTP 403, with a fresh token): this user may not be allowed to; they are read here only",
                self.forbidden.len()
            )
        })
    }
}

/// Sends the account's queued operations in order. Stops at the first one the server
/// cannot take now (it is down), so order is kept and nothing is hammered.
pub async fn flush(
    rest: &Rest,
    store: &Store,
    account: &str,
    tokens: &TokenKeeper,
) -> Result<Flushed, FlushError> {
    let ops = store.outbox(account)?;
    let mut done = Flushed::default();
    if ops.is_empty() {
        return Ok(done);
    }
    let mut access = tokens.access().await?;
    let mut refreshed = false;
    for (i, op) in ops.iter().enumerate() {
        let target = match &op.kind {
            OutboxKind::Read(id) => id.clone(),
            OutboxKind::ReadAll => "*".to_string(),
        };
        loop {
            let result = match &op.kind {
                OutboxKind::Read(id) => rest.mark_read(access.token.as_ref(), id).await,
                OutboxKind::ReadAll => rest.mark_all_read(access.token.as_ref()).await,
            };
            match result {
                Ok(()) => {
                    store.outbox_done(op.seq)?;
                    done.sent += 1;
                    if op.kind == OutboxKind::ReadAll {
                        // The server marked everything it had, including notifications
                        // that reached us after the click: so does the store, to agree.
                        store.mark_all_read(account, false)?;
                        done.read_all = true;
                    }
                }
                // The server does not know the id (deleted, or never there): nothing to
                // send, and nothing confirmed.
                Err(RestError::NotFound) => {
                    store.outbox_done(op.seq)?;
                    done.not_found.push(target.clone());
                }
                // No such endpoint in the profile: read state is local only.
                Err(RestError::NotConfigured(_)) => {
                    store.outbox_done(op.seq)?;
                    done.local_only += 1;
                }
                Err(RestError::Auth(_)) if !refreshed => {
                    refreshed = true;
                    let _newer_or_fresh = tokens.refresh_after(access.generation).await?;
                    access = tokens.access().await?;
                    continue;
                }
                // Refused with a token just issued: not a stale session but a permission.
                Err(RestError::Auth(403)) => {
                    store.outbox_done(op.seq)?;
                    done.forbidden.push(target.clone());
                }
                Err(RestError::Auth(_)) => return Err(FlushError::FreshTokenRefused),
                Err(e) => {
                    tracing::info!(account, "mark-read not sent yet: {e}");
                    store.outbox_attempted(op.seq)?;
                    done.pending = ops.len() - i;
                    return Ok(done);
                }
            }
            break;
        }
    }
    Ok(done)
}

/// Why the outbox could not be sent over the socket.
#[derive(Debug, thiserror::Error)]
pub enum SocketFlushError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The profile's `websocket.mark_read` frame cannot be rendered.
    #[error("{0}")]
    BadProfile(String),
}

impl SocketFlushError {
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            SocketFlushError::Store(e) => e.code(),
            SocketFlushError::BadProfile(_) => crate::ErrorCode::BadProfile,
        }
    }
}

/// A running link's side of the outbox: when to flush next, and the mark-reads sent over
/// the socket that the server has not answered yet.
#[derive(Debug)]
pub struct Courier {
    /// When to flush next.
    at: Option<Instant>,
    /// Flushes in a row that left operations queued.
    attempts: u32,
    /// Mark-reads sent over the socket and not confirmed yet, oldest first: the server
    /// answers each with `marked_read` or `error`, in order.
    in_flight: VecDeque<String>,
}

impl Courier {
    /// A courier that flushes at `now` (what an earlier run left queued goes at once).
    pub fn new(now: Instant) -> Courier {
        Courier {
            at: Some(now),
            attempts: 0,
            in_flight: VecDeque::new(),
        }
    }

    /// When to flush next.
    pub fn due_at(&self) -> Option<Instant> {
        self.at
    }

    /// Nothing can be sent now (no session): look again later.
    pub fn look_later(&mut self, now: Instant) {
        self.at = Some(now + LOOK_EVERY);
    }

    /// A flush left `pending` operations queued: try again after a delay that doubles per
    /// attempt (2 s to a minute), or, when nothing is left, look for new ones every 30 s.
    pub fn flushed(&mut self, pending: usize, now: Instant) {
        if pending == 0 {
            self.attempts = 0;
            self.at = Some(now + LOOK_EVERY);
        } else {
            self.attempts = self.attempts.saturating_add(1);
            let delay = RETRY_MIN * 2u32.saturating_pow(self.attempts.min(6) - 1);
            self.at = Some(now + delay.min(RETRY_MAX));
        }
    }

    /// The connection is gone: what was sent over it will not be answered (it is sent again
    /// at the next flush).
    pub fn connection_lost(&mut self) {
        self.in_flight.clear();
    }

    /// The server confirmed `id` (`marked_read`): it leaves the outbox; once nothing awaits
    /// an answer, the outbox is looked at again in 30 s.
    pub fn confirmed(
        &mut self,
        store: &Store,
        account: &str,
        id: &str,
        now: Instant,
    ) -> Result<(), StoreError> {
        self.in_flight.retain(|x| x != id);
        store.outbox_confirm_read(account, id)?;
        if self.in_flight.is_empty() {
            self.attempts = 0;
            self.at = Some(now + LOOK_EVERY);
        }
        Ok(())
    }

    /// An in-band error. The server answers socket mark-reads in order, so while one is in
    /// flight the error is its answer: that mark-read is refused (an unknown id), and sending
    /// it again would only be refused again. Returns the refused id (`None`: nothing was
    /// in flight, the error is about something else) and whether it left the outbox.
    pub fn refused(
        &mut self,
        store: &Store,
        account: &str,
    ) -> Option<(String, Result<(), StoreError>)> {
        let id = self.in_flight.pop_front()?;
        let dropped = store.outbox_confirm_read(account, &id).map(|_| ());
        Some((id, dropped))
    }

    /// Seed 001: each queued mark-read goes out through `send` as the profile's
    /// `websocket.mark_read` frame (`send` says whether it went) and stays queued until
    /// `marked_read` confirms it; unconfirmed ones are sent again at the next flush (the
    /// server marks idempotently). Schedules the next flush, unless the outbox or the
    /// frame cannot be read.
    pub fn send_over_socket(
        &mut self,
        store: &Store,
        account: &str,
        profile: &Profile,
        mut send: impl FnMut(String) -> bool,
    ) -> Result<(), SocketFlushError> {
        let ops = store.outbox(account)?;
        self.in_flight.clear();
        let frame_template = &profile.websocket.mark_read;
        let mut pending = 0;
        for op in ops {
            let id = match op.kind {
                OutboxKind::Read(id) => id,
                OutboxKind::ReadAll => {
                    // Queued by `aviso-cli mark-read --all`: the socket has no such frame.
                    if profile.rest.mark_all_read.is_empty() {
                        let _ = store.outbox_done(op.seq);
                    } else {
                        pending += 1;
                    }
                    continue;
                }
            };
            let frame = template::render_with(frame_template, |k| (k == "id").then(|| id.clone()))
                .map_err(|e| SocketFlushError::BadProfile(e.to_string()))?;
            if send(frame) {
                let _ = store.outbox_attempted(op.seq);
                self.in_flight.push_back(id);
            }
            pending += 1;
        }
        self.flushed(pending, Instant::now());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wearable() -> Profile {
        Profile::load("wearable").unwrap()
    }

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_queue_that_does_not_empty_is_retried_ever_later_up_to_a_minute() {
        let now = Instant::now();
        let mut courier = Courier::new(now);
        assert_eq!(courier.due_at(), Some(now));
        let mut delays = Vec::new();
        for _ in 0..8 {
            courier.flushed(1, now);
            delays.push((courier.due_at().unwrap() - now).as_secs());
        }
        assert_eq!(delays, [2, 4, 8, 16, 32, 60, 60, 60]);
        // Emptied: the delay starts over, and the queue is looked at twice a minute.
        courier.flushed(0, now);
        assert_eq!(courier.due_at(), Some(now + LOOK_EVERY));
        courier.flushed(3, now);
        assert_eq!(courier.due_at(), Some(now + RETRY_MIN));
        courier.look_later(now);
        assert_eq!(courier.due_at(), Some(now + LOOK_EVERY));
    }

    #[tokio::test]
    async fn socket_marks_await_their_answers_in_order() {
        let store = Store::open_in_memory().unwrap();
        let profile = wearable();
        assert!(over_socket(&profile));
        store.mark_read("w", &ids(&["7", "8", "9"]), true).unwrap();
        let mut sent = Vec::new();
        let mut courier = Courier::new(Instant::now());
        courier
            .send_over_socket(&store, "w", &profile, |frame| {
                sent.push(frame);
                // The socket's queue is full for the third.
                sent.len() < 3
            })
            .unwrap();
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[0], r#"{"type":"mark_read","notification_id":7}"#);
        // All three are pending (the third was not sent): retried soon.
        let retry_in = courier.due_at().unwrap() - Instant::now();
        assert!(retry_in <= RETRY_MIN, "{retry_in:?}");
        // An error, then `marked_read 8`: the error answers 7, the oldest in flight, which
        // leaves the queue unconfirmed.
        let (refused, dropped) = courier.refused(&store, "w").unwrap();
        assert_eq!(refused, "7");
        dropped.unwrap();
        courier.confirmed(&store, "w", "8", Instant::now()).unwrap();
        // Nothing in flight any more: another error is about something else.
        assert!(courier.refused(&store, "w").is_none());
        let left: Vec<_> = store
            .outbox("w")
            .unwrap()
            .into_iter()
            .map(|o| o.kind)
            .collect();
        assert_eq!(left, [OutboxKind::Read("9".into())]);
        // A lost connection forgets what was in flight: no answer is coming.
        courier
            .send_over_socket(&store, "w", &profile, |_| true)
            .unwrap();
        courier.connection_lost();
        assert!(courier.refused(&store, "w").is_none());
    }

    #[test]
    fn the_last_answer_awaited_schedules_a_look_in_thirty_seconds() {
        let store = Store::open_in_memory().unwrap();
        store.mark_read("w", &ids(&["1", "2"]), true).unwrap();
        let mut courier = Courier::new(Instant::now());
        courier
            .send_over_socket(&store, "w", &wearable(), |_| true)
            .unwrap();
        let now = Instant::now();
        courier.confirmed(&store, "w", "2", now).unwrap();
        assert_ne!(
            courier.due_at(),
            Some(now + LOOK_EVERY),
            "1 still awaits its answer"
        );
        courier.confirmed(&store, "w", "1", now).unwrap();
        assert_eq!(courier.due_at(), Some(now + LOOK_EVERY));
        assert!(store.outbox("w").unwrap().is_empty());
    }

    #[test]
    fn marking_all_over_a_socket_queues_each_unread_notification() {
        let store = Store::open_in_memory().unwrap();
        let n = |id: &str| crate::model::Notification {
            account: "w".into(),
            id: id.into(),
            kind: "k".into(),
            title: "t".into(),
            body: String::new(),
            url: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            read: false,
            data: serde_json::Value::Null,
        };
        store.ingest(&[n("1"), n("2")]).unwrap();
        let marked = queue_marks(&store, "w", &wearable(), None).unwrap();
        assert_eq!((marked.all, marked.count), (false, 2));
        let mut queued: Vec<_> = store
            .outbox("w")
            .unwrap()
            .into_iter()
            .map(|o| o.kind)
            .collect();
        queued.sort_by_key(|k| format!("{k:?}"));
        assert_eq!(
            queued,
            [OutboxKind::Read("1".into()), OutboxKind::Read("2".into())]
        );
        // A bad frame template is the profile's fault, said as such.
        let mut bad = wearable();
        bad.websocket.mark_read = "{unclosed".into();
        let e = Courier::new(Instant::now())
            .send_over_socket(&store, "w", &bad, |_| true)
            .unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::BadProfile);
    }
}
