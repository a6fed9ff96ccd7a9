//! The connection state machine, pure: `handle(input, now) -> actions`, no I/O, no clock.
//!
//! Like rumqttc's `MqttState`, it only decides; `link.rs` performs the actions (connect,
//! ping, fetch, refresh) and feeds their outcomes back as inputs. Time comes in as an
//! argument, so every rule below is unit-tested without sockets or sleeps.
//!
//! ```text
//!  Start ─► connecting ──Connected──► live ──Closed──► backoff ──(delay)──► connecting
//!               │  ▲                   │                  │
//!               │  └────probe──── polling ◄── 404, or `fallback_after` failures in a row
//!               └── auth refused ─► refresh once ─► still refused ─► needs_login
//! ```
//!
//! Without a REST read to poll (`Policy::can_poll` false: seeds 003 and 004), there is no
//! polling phase: every failure, a 404 included, backs off and retries.

use std::time::Duration;

use tokio::time::Instant;

use crate::backoff::{Backoff, BackoffPolicy};
use crate::model::{ConnState, StateDetail, TransportKind};
use crate::profile::{secs, HeartbeatMode, Profile, TransportChoice};

/// Timing rules, taken from a profile.
#[derive(Debug, Clone)]
pub struct Policy {
    pub backoff: BackoffPolicy,
    pub stable_after: Duration,
    pub fallback_after: u32,
    pub ping_every: Option<Duration>,
    /// Silence this long means a dead peer. None where the transport detects it itself
    /// (Socket.IO: Engine.IO's pingInterval + pingTimeout from the server's handshake).
    pub dead_after: Option<Duration>,
    pub poll_every: Duration,
    pub probe_every: Duration,
    pub safety_every: Duration,
    /// A catch-up this long after pushes stop (see `PollingSection::after_push_secs`).
    pub after_push: Option<Duration>,
    /// Whether a streaming transport exists at all (a polling-only profile never connects).
    pub streaming: bool,
    /// Whether there is a REST read to poll. Without one (seeds 003 and 004), a failing
    /// transport keeps backing off: "polling" nothing would only hide the outage.
    pub can_poll: bool,
    pub streaming_kind: TransportKind,
}

impl Policy {
    pub fn from_profile(p: &Profile) -> Policy {
        let ms = Duration::from_millis;
        Policy {
            backoff: BackoffPolicy {
                min: ms(p.reconnect.min_ms),
                initial: ms(p.reconnect.initial_ms),
                max: ms(p.reconnect.max_ms),
            },
            stable_after: secs(p.reconnect.stable_secs),
            fallback_after: p.reconnect.fallback_after.max(1),
            // Nothing can be sent up an SSE stream: the server's keep-alive comments are
            // its life signs, and silence past the timeout is a dead peer all the same.
            ping_every: (p.heartbeat.mode != HeartbeatMode::None
                && !matches!(
                    p.transport,
                    TransportChoice::Socketio | TransportChoice::Sse
                ))
            .then(|| secs(p.heartbeat.interval_secs)),
            dead_after: (p.transport != TransportChoice::Socketio)
                .then(|| secs(p.heartbeat.timeout_secs)),
            poll_every: secs(p.polling.interval_secs),
            probe_every: secs(p.polling.probe_interval_secs),
            safety_every: secs(p.polling.safety_interval_secs),
            after_push: (p.polling.after_push_secs > 0.0 && !p.rest.list.is_empty())
                .then(|| secs(p.polling.after_push_secs)),
            streaming: p.transport != TransportChoice::Polling,
            can_poll: p.can_poll(),
            streaming_kind: match p.transport {
                TransportChoice::Socketio => TransportKind::Socketio,
                TransportChoice::Sse => TransportKind::Sse,
                _ => TransportKind::Websocket,
            },
        }
    }
}

/// Why a connection, a fetch or a refresh failed: one classifier, so the loop never
/// guesses from strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Credentials refused (HTTP 401/403 at a handshake or REST call, close 4001/4003).
    Auth,
    /// The refresh token itself was refused: only a new login helps.
    RefreshRejected,
    /// Refused, and the profile sends no credentials (`auth.mode = "none"`): the server
    /// wants a login this profile cannot give.
    NoAuth,
    /// No WebSocket at this URL (HTTP 404 at the handshake): poll instead.
    NoWebSocket,
    /// Anything worth retrying.
    Transient(Detail),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Unreachable,
    Timeout,
    DeadPeer,
    ServerClosed,
    ServerError,
    Tls,
    Protocol,
    /// The REST list answered a client error (404, 405, another 4xx but 401/403/408/429):
    /// catch-up cannot work until the profile or the server changes, so whatever the socket
    /// did not deliver is lost. Loud, and shown even while live.
    CatchUpFailed,
    /// The profile's REST list is a guess (`rest.list_optional`) this server does not
    /// have: events the socket did not deliver cannot be recovered. Said, not an error;
    /// asked again after the next connect.
    NoCatchUp,
}

impl From<Detail> for StateDetail {
    fn from(d: Detail) -> StateDetail {
        match d {
            Detail::Unreachable => StateDetail::Unreachable,
            Detail::Timeout => StateDetail::Timeout,
            Detail::DeadPeer => StateDetail::DeadPeer,
            Detail::ServerClosed => StateDetail::ServerClosed,
            Detail::ServerError => StateDetail::ServerError,
            Detail::Tls => StateDetail::Tls,
            Detail::Protocol => StateDetail::Protocol,
            Detail::CatchUpFailed => StateDetail::CatchUpFailed,
            Detail::NoCatchUp => StateDetail::NoCatchUp,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Start,
    /// The streaming transport's handshake succeeded.
    Connected,
    ConnectFailed(Failure),
    /// The live connection ended.
    Closed(Failure),
    /// Any inbound frame (data or pong): the peer is alive.
    Activity,
    /// Notifications arrived over the stream (a catch-up follows once they stop coming).
    Pushed,
    FetchDone(Result<(), Failure>),
    RefreshDone(Result<(), Failure>),
    /// The refresh found a newer token than the refused one (another path refreshed
    /// first): it is tried, and a refusal of it may be refreshed once more, since nothing
    /// has judged it yet.
    NewerToken,
    /// A timer from `deadline()` fired.
    Tick,
    /// The machine woke from sleep or the wall clock jumped: sockets are suspect.
    Wake,
    /// New credentials after `needs_login`.
    Resume,
    Stop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Connect,
    Disconnect,
    SendPing,
    /// REST read of everything after the cursor (catch-up, poll or safety poll).
    Fetch,
    RefreshToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Connecting { probe: bool },
    Live { since: Instant },
    Backoff { until: Instant },
    Polling,
    NeedsLogin,
    Stopped,
}

/// What to do once a token refresh succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resume {
    Connect { probe: bool },
    Fetch,
}

/// The published view of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub state: ConnState,
    pub transport: Option<TransportKind>,
    pub detail: StateDetail,
    pub retry_at: Option<Instant>,
}

#[derive(Debug)]
pub struct Session {
    policy: Policy,
    backoff: Backoff,
    phase: Phase,
    failures: u32,
    /// One refresh has been tried and the refreshed token has had no verdict since: an
    /// auth refusal now is final. Any success clears it, and so does a transient failure:
    /// the token then got no verdict, and the next refusal may be of a token that was
    /// renewed or invalidated since, which deserves its own refresh (each such retry waits
    /// for a backoff delay or a poll interval: no retry storm).
    refreshed: bool,
    refreshing: Option<Resume>,
    fetching: bool,
    /// A fetch was asked for while one was running (e.g. a reconnect during a poll): run
    /// another right after, so nothing pushed in between is missed.
    fetch_again: bool,
    /// The last catch-up failed with [`Detail::CatchUpFailed`]; cleared by one that works.
    catch_up_failed: bool,
    /// The last catch-up found no list ([`Detail::NoCatchUp`]).
    no_catch_up: bool,
    detail: StateDetail,
    last_rx: Instant,
    next_ping: Option<Instant>,
    next_fetch: Option<Instant>,
    next_probe: Option<Instant>,
    /// The catch-up after pushes: due at, and when the burst's first push came.
    after_push: Option<(Instant, Instant)>,
}

impl Session {
    pub fn new(policy: Policy, seed: u64, now: Instant) -> Session {
        Session {
            backoff: Backoff::new(policy.backoff, seed),
            policy,
            phase: Phase::Idle,
            failures: 0,
            refreshed: false,
            refreshing: None,
            fetching: false,
            fetch_again: false,
            catch_up_failed: false,
            no_catch_up: false,
            detail: StateDetail::None,
            last_rx: now,
            next_ping: None,
            next_fetch: None,
            next_probe: None,
            after_push: None,
        }
    }

    /// The server's wish for the reconnect delay (SSE `retry:`), see
    /// [`Backoff::server_retry`].
    pub fn server_retry(&mut self, wish: Duration) {
        self.backoff.server_retry(wish);
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn snapshot(&self) -> Snapshot {
        let streaming = Some(self.policy.streaming_kind);
        let (state, transport, retry_at) = match self.phase {
            Phase::Idle | Phase::Connecting { probe: false } => (ConnState::Connecting, None, None),
            Phase::Connecting { probe: true } | Phase::Polling => {
                (ConnState::Polling, Some(TransportKind::Polling), None)
            }
            Phase::Live { .. } => (ConnState::Live, streaming, None),
            Phase::Backoff { until } => (ConnState::Backoff, None, Some(until)),
            Phase::NeedsLogin => (ConnState::NeedsLogin, None, None),
            Phase::Stopped => (ConnState::Stopped, None, None),
        };
        // A catch-up that cannot work is said while live or polling: it means loss.
        let detail = match self.phase {
            Phase::Live { .. } | Phase::Polling if self.catch_up_failed => {
                StateDetail::CatchUpFailed
            }
            Phase::Live { .. } | Phase::Polling if self.no_catch_up => StateDetail::NoCatchUp,
            _ => self.detail,
        };
        Snapshot {
            state,
            transport,
            detail,
            retry_at,
        }
    }

    /// When the session next needs a `Tick`.
    pub fn deadline(&self) -> Option<Instant> {
        let soonest = |xs: &[Option<Instant>]| xs.iter().flatten().min().copied();
        match self.phase {
            Phase::Live { .. } => soonest(&[
                self.policy.dead_after.map(|d| self.last_rx + d),
                self.next_ping,
                self.after_push.map(|(at, _)| at),
                self.next_fetch
                    .filter(|_| !self.fetching && self.refreshing.is_none()),
            ]),
            Phase::Backoff { until } => Some(until),
            Phase::Polling => soonest(&[
                self.next_fetch
                    .filter(|_| !self.fetching && self.refreshing.is_none()),
                self.next_probe,
            ]),
            _ => None,
        }
    }

    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if self.phase == Phase::Stopped {
            return out;
        }
        match input {
            Input::Start | Input::Resume => {
                self.refreshed = false;
                self.failures = 0;
                self.detail = StateDetail::None;
                self.connect_or_poll(now, &mut out);
            }
            Input::Stop => {
                self.phase = Phase::Stopped;
                self.detail = StateDetail::None;
                out.push(Action::Disconnect);
            }
            Input::Connected => {
                if let Phase::Connecting { .. } = self.phase {
                    self.phase = Phase::Live { since: now };
                    self.refreshed = false;
                    self.detail = StateDetail::None;
                    self.last_rx = now;
                    self.next_ping = self.policy.ping_every.map(|d| now + d);
                    self.next_probe = None;
                    // Catch up before trusting the stream.
                    self.start_fetch(&mut out);
                }
            }
            Input::ConnectFailed(failure) => {
                if let Phase::Connecting { probe } = self.phase {
                    self.on_failure(failure, probe, now, &mut out);
                }
            }
            Input::Closed(failure) => self.on_closed(failure, now, &mut out),
            Input::Activity => {
                if let Phase::Live { .. } = self.phase {
                    self.last_rx = now;
                }
            }
            Input::Pushed => {
                if let (Phase::Live { .. }, Some(settle)) = (self.phase, self.policy.after_push) {
                    self.last_rx = now;
                    let first = self.after_push.map_or(now, |(_, first)| first);
                    self.after_push = Some(((now + settle).min(first + settle * 5), first));
                }
            }
            Input::FetchDone(result) => self.on_fetch_done(result, now, &mut out),
            Input::RefreshDone(result) => self.on_refresh_done(result, now, &mut out),
            Input::NewerToken => {
                self.refreshed = false;
                self.on_refresh_done(Ok(()), now, &mut out);
            }
            Input::Tick => self.on_tick(now, &mut out),
            Input::Wake => match self.phase {
                Phase::Live { .. } => {
                    out.push(Action::Disconnect);
                    self.detail = StateDetail::Resumed;
                    self.phase = Phase::Connecting { probe: false };
                    out.push(Action::Connect);
                }
                Phase::Backoff { .. } => {
                    self.phase = Phase::Connecting { probe: false };
                    out.push(Action::Connect);
                }
                Phase::Polling => {
                    self.next_fetch = Some(now);
                    self.next_probe = Some(now);
                    self.on_tick(now, &mut out);
                }
                _ => {}
            },
        }
        out
    }

    fn connect_or_poll(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.policy.streaming {
            self.phase = Phase::Connecting { probe: false };
            out.push(Action::Connect);
        } else {
            self.enter_polling(now, out);
        }
    }

    fn start_fetch(&mut self, out: &mut Vec<Action>) {
        // This fetch reads what was pushed so far.
        self.after_push = None;
        if self.fetching {
            self.fetch_again = true;
        } else if self.refreshing.is_none() {
            self.fetching = true;
            self.next_fetch = None;
            out.push(Action::Fetch);
        }
    }

    fn enter_polling(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.phase = Phase::Polling;
        self.next_probe = self.policy.streaming.then(|| now + self.policy.probe_every);
        self.next_ping = None;
        self.start_fetch(out);
    }

    fn on_closed(&mut self, failure: Failure, now: Instant, out: &mut Vec<Action>) {
        if let Phase::Live { since } = self.phase {
            if now.saturating_duration_since(since) >= self.policy.stable_after {
                self.failures = 0;
            }
            self.on_failure(failure, false, now, out);
        }
    }

    fn on_failure(&mut self, failure: Failure, probe: bool, now: Instant, out: &mut Vec<Action>) {
        self.after_push = None;
        let was_live = matches!(self.phase, Phase::Live { .. });
        if was_live {
            out.push(Action::Disconnect);
        }
        match failure {
            Failure::Auth if !self.refreshed => {
                self.detail = StateDetail::RefreshingToken;
                self.phase = Phase::Connecting { probe };
                self.begin_refresh(Resume::Connect { probe }, out);
            }
            // A token refreshed a moment ago is valid: refused again, it is this user the
            // server refuses (seed 000's socket is for staff only), not the login.
            Failure::Auth => self.forbidden(out),
            Failure::RefreshRejected => self.needs_login(out),
            Failure::NoAuth => self.auth_required(out),
            Failure::NoWebSocket if self.policy.can_poll => {
                self.refreshed = false;
                self.detail = StateDetail::NoWebsocket;
                self.enter_polling(now, out);
            }
            Failure::NoWebSocket | Failure::Transient(_) => {
                self.refreshed = false;
                self.detail = match failure {
                    Failure::Transient(detail) => detail.into(),
                    _ => StateDetail::NoWebsocket,
                };
                if probe {
                    // Still no WebSocket: keep polling and probe again later.
                    self.phase = Phase::Polling;
                    self.next_probe = Some(now + self.policy.probe_every);
                    return;
                }
                self.failures += 1;
                if self.policy.can_poll && self.failures >= self.policy.fallback_after {
                    self.enter_polling(now, out);
                } else {
                    let until = now + self.backoff.delay(self.failures);
                    self.phase = Phase::Backoff { until };
                }
            }
        }
    }

    fn begin_refresh(&mut self, resume: Resume, out: &mut Vec<Action>) {
        self.refreshed = true;
        self.refreshing = Some(resume);
        out.push(Action::RefreshToken);
    }

    /// Refused with a freshly refreshed token: a permission the user lacks. Nothing is
    /// retried (another login, as a user allowed in, is what helps).
    fn forbidden(&mut self, out: &mut Vec<Action>) {
        self.needs_login(out);
        self.detail = StateDetail::Forbidden;
    }

    /// The server wants credentials the profile never sends: nothing to retry.
    fn auth_required(&mut self, out: &mut Vec<Action>) {
        self.needs_login(out);
        self.detail = StateDetail::AuthRequired;
    }

    fn needs_login(&mut self, out: &mut Vec<Action>) {
        if matches!(self.phase, Phase::Live { .. }) {
            out.push(Action::Disconnect);
        }
        self.phase = Phase::NeedsLogin;
        self.after_push = None;
        self.detail = StateDetail::AuthFailed;
        self.refreshing = None;
        self.fetching = false;
        self.fetch_again = false;
        self.next_fetch = None;
        self.next_probe = None;
        self.next_ping = None;
    }

    fn on_refresh_done(
        &mut self,
        result: Result<(), Failure>,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let Some(resume) = self.refreshing.take() else {
            return;
        };
        match result {
            Ok(()) => match resume {
                Resume::Connect { probe } => {
                    self.phase = Phase::Connecting { probe };
                    out.push(Action::Connect);
                }
                Resume::Fetch => self.start_fetch(out),
            },
            Err(Failure::Auth | Failure::RefreshRejected) => self.needs_login(out),
            Err(Failure::NoAuth) => self.auth_required(out),
            Err(failure) => {
                // The server could not answer: try the whole thing again later.
                self.refreshed = false;
                match resume {
                    Resume::Connect { probe } => {
                        self.phase = Phase::Connecting { probe };
                        self.on_failure(failure, probe, now, out);
                    }
                    Resume::Fetch => self.next_fetch = Some(now + self.policy.poll_every),
                }
            }
        }
    }

    fn on_fetch_done(&mut self, result: Result<(), Failure>, now: Instant, out: &mut Vec<Action>) {
        if !self.fetching {
            return;
        }
        self.fetching = false;
        let polling =
            self.phase == Phase::Polling || self.phase == Phase::Connecting { probe: true };
        self.catch_up_failed = result == Err(Failure::Transient(Detail::CatchUpFailed));
        self.no_catch_up = result == Err(Failure::Transient(Detail::NoCatchUp));
        match result {
            // No list on this server is a catch-up that did all it could: the usual pace
            // (the link asks for the list again after the next connect).
            Ok(()) | Err(Failure::Transient(Detail::NoCatchUp)) => {
                self.refreshed = false;
                if polling && self.detail != StateDetail::NoWebsocket {
                    self.detail = StateDetail::None;
                }
                let every = if polling {
                    self.policy.poll_every
                } else {
                    self.policy.safety_every
                };
                self.next_fetch = Some(now + every);
                if std::mem::take(&mut self.fetch_again) {
                    self.start_fetch(out);
                }
            }
            Err(Failure::Auth) if !self.refreshed => self.begin_refresh(Resume::Fetch, out),
            Err(Failure::Auth) => self.forbidden(out),
            Err(Failure::RefreshRejected) => self.needs_login(out),
            Err(Failure::NoAuth) => self.auth_required(out),
            Err(failure @ (Failure::NoWebSocket | Failure::Transient(_))) => {
                // No verdict on the token (see `refreshed`).
                self.refreshed = false;
                if polling && failure != Failure::Transient(Detail::CatchUpFailed) {
                    // Say why (a TLS refusal is not a dead server).
                    self.detail = match failure {
                        Failure::Transient(d) => d.into(),
                        _ => StateDetail::Unreachable,
                    };
                }
                // Retry at the poll pace, even while live (a failed catch-up must not wait
                // for the 5-minute safety poll).
                self.next_fetch = Some(now + self.policy.poll_every);
            }
        }
    }

    fn on_tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        match self.phase {
            Phase::Live { .. } => {
                if self
                    .policy
                    .dead_after
                    .is_some_and(|d| now >= self.last_rx + d)
                {
                    self.on_closed(Failure::Transient(Detail::DeadPeer), now, out);
                    return;
                }
                if let (Some(at), Some(every)) = (self.next_ping, self.policy.ping_every) {
                    if now >= at {
                        out.push(Action::SendPing);
                        self.next_ping = Some(now + every);
                    }
                }
                let after_push = self.after_push.is_some_and(|(at, _)| now >= at);
                if after_push || self.next_fetch.is_some_and(|at| now >= at) {
                    self.start_fetch(out);
                }
            }
            Phase::Backoff { until } if now >= until => {
                self.phase = Phase::Connecting { probe: false };
                out.push(Action::Connect);
            }
            Phase::Polling => {
                if self.next_fetch.is_some_and(|at| now >= at) {
                    self.start_fetch(out);
                }
                if self.next_probe.is_some_and(|at| now >= at) && self.refreshing.is_none() {
                    self.next_probe = None;
                    self.phase = Phase::Connecting { probe: true };
                    out.push(Action::Connect);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            backoff: BackoffPolicy {
                min: Duration::from_millis(250),
                initial: Duration::from_secs(1),
                max: Duration::from_secs(60),
            },
            stable_after: Duration::from_secs(30),
            fallback_after: 5,
            ping_every: Some(Duration::from_secs(20)),
            dead_after: Some(Duration::from_secs(45)),
            poll_every: Duration::from_secs(15),
            probe_every: Duration::from_secs(60),
            safety_every: Duration::from_secs(300),
            after_push: None,
            streaming: true,
            can_poll: true,
            streaming_kind: TransportKind::Websocket,
        }
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    /// Starts a session and brings it live at `t0` (with its catch-up done).
    fn live(t0: Instant) -> Session {
        let mut s = Session::new(policy(), 42, t0);
        assert_eq!(s.handle(Input::Start, t0), vec![Action::Connect]);
        assert_eq!(s.handle(Input::Connected, t0), vec![Action::Fetch]);
        assert_eq!(s.handle(Input::FetchDone(Ok(())), t0), vec![]);
        assert_eq!(s.snapshot().state, ConnState::Live);
        s
    }

    fn retry_at(s: &Session) -> Instant {
        s.snapshot().retry_at.expect("in backoff")
    }

    #[test]
    fn pushes_are_followed_by_a_catch_up_once_they_stop_and_during_a_long_burst() {
        let t0 = Instant::now();
        let mut s = Session::new(
            Policy {
                after_push: Some(S(2)),
                ..policy()
            },
            1,
            t0,
        );
        s.handle(Input::Start, t0);
        s.handle(Input::Connected, t0);
        s.handle(Input::FetchDone(Ok(())), t0);
        // A burst of pushes 300 ms apart for 1.5 s: one catch-up, 2 s after the last.
        let mut now = t0;
        for _ in 0..6 {
            now += Duration::from_millis(300);
            assert_eq!(s.handle(Input::Pushed, now), vec![]);
        }
        assert_eq!(s.deadline(), Some(now + S(2)));
        assert_eq!(s.handle(Input::Tick, now + S(1)), vec![]);
        assert_eq!(s.handle(Input::Tick, now + S(2)), vec![Action::Fetch]);
        s.handle(Input::FetchDone(Ok(())), now + S(2));
        // Nothing pushed since: nothing more is due soon (the next ping is).
        assert!(s.after_push.is_none());
        assert_eq!(s.deadline(), Some(t0 + S(20)));
        // A burst that never pauses is still caught up within 5 × 2 s of its first push.
        let start = now + S(10);
        let mut at = start;
        let mut fetched = None;
        while at < start + S(12) {
            s.handle(Input::Pushed, at);
            if s.deadline().is_some_and(|d| d <= at)
                && s.handle(Input::Tick, at) == vec![Action::Fetch]
            {
                fetched = Some(at);
                break;
            }
            at += Duration::from_millis(500);
        }
        assert_eq!(fetched, Some(start + S(10)));
        // Not while polling (the poll does it) nor without the setting.
        let mut off = live(t0);
        off.handle(Input::Pushed, t0 + S(1));
        assert!(off.after_push.is_none());
    }

    #[test]
    fn a_catch_up_that_cannot_work_is_said_while_live_until_one_works() {
        let t0 = Instant::now();
        let failed = Failure::Transient(Detail::CatchUpFailed);
        // The safety poll finds the list refused (405): still live, but the state says so.
        let at = t0 + S(300);
        let mut s = live(at);
        s.next_fetch = Some(at);
        assert_eq!(s.handle(Input::Tick, at), vec![Action::Fetch]);
        assert_eq!(s.handle(Input::FetchDone(Err(failed)), at), vec![]);
        let snap = s.snapshot();
        assert_eq!(
            (snap.state, snap.detail),
            (ConnState::Live, crate::StateDetail::CatchUpFailed)
        );
        // Retried at the poll pace, not the safety poll's.
        assert_eq!(s.deadline(), Some(at + S(15)));
        // A reconnect keeps saying it until a catch-up works.
        let later = at + S(16);
        s.handle(
            Input::Closed(Failure::Transient(Detail::ServerClosed)),
            later,
        );
        let again = retry_at(&s);
        assert_eq!(s.handle(Input::Tick, again), vec![Action::Connect]);
        assert_eq!(s.handle(Input::Connected, again), vec![Action::Fetch]);
        assert_eq!(s.snapshot().detail, crate::StateDetail::CatchUpFailed);
        assert_eq!(s.handle(Input::FetchDone(Ok(())), again), vec![]);
        assert_eq!(s.snapshot().detail, crate::StateDetail::None);
        // Also while polling (no WebSocket).
        let mut p = Session::new(policy(), 7, t0);
        p.handle(Input::Start, t0);
        assert_eq!(
            p.handle(Input::ConnectFailed(Failure::NoWebSocket), t0),
            vec![Action::Fetch]
        );
        p.handle(Input::FetchDone(Err(failed)), t0);
        assert_eq!(
            (p.snapshot().state, p.snapshot().detail),
            (ConnState::Polling, crate::StateDetail::CatchUpFailed)
        );
        p.handle(Input::Tick, t0 + S(15));
        p.handle(Input::FetchDone(Ok(())), t0 + S(15));
        assert_eq!(p.snapshot().detail, crate::StateDetail::NoWebsocket);
    }

    #[test]
    fn backoff_is_jittered_bounded_and_escalates_for_short_lived_connections() {
        let t0 = Instant::now();
        let mut s = live(t0);
        let mut now = t0;
        let mut ceilings = Vec::new();
        for failures in 1..=4u32 {
            // Each connection lives 1 s: short-lived, so failures escalate.
            now += S(1);
            let actions = s.handle(Input::Closed(Failure::Transient(Detail::ServerClosed)), now);
            assert_eq!(actions, vec![Action::Disconnect]);
            assert_eq!(s.failures(), failures);
            let delay = retry_at(&s) - now;
            let ceiling = S(1) * 2u32.pow(failures - 1);
            assert!(delay >= Duration::from_millis(250), "{delay:?}");
            assert!(
                delay <= Duration::from_millis(250) + ceiling,
                "{delay:?} > {ceiling:?}"
            );
            ceilings.push(ceiling);
            now = retry_at(&s);
            assert_eq!(s.deadline(), Some(now));
            assert_eq!(s.handle(Input::Tick, now), vec![Action::Connect]);
            assert_eq!(s.handle(Input::Connected, now), vec![Action::Fetch]);
            s.handle(Input::FetchDone(Ok(())), now);
        }
        // A connection that stays up past `stable_after` resets the count.
        now += S(31);
        s.handle(Input::Closed(Failure::Transient(Detail::ServerClosed)), now);
        assert_eq!(s.failures(), 1);
        assert!(retry_at(&s) - now <= Duration::from_millis(1250));
    }

    #[test]
    fn backoff_delays_differ_between_sessions() {
        let t0 = Instant::now();
        let delays: Vec<Duration> = (0..20)
            .map(|seed| {
                let mut s = Session::new(policy(), seed, t0);
                s.handle(Input::Start, t0);
                s.handle(
                    Input::ConnectFailed(Failure::Transient(Detail::Unreachable)),
                    t0,
                );
                s.handle(Input::Tick, retry_at(&s));
                s.handle(
                    Input::ConnectFailed(Failure::Transient(Detail::Unreachable)),
                    t0,
                );
                retry_at(&s) - t0
            })
            .collect();
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 10, "{delays:?}");
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(2250)));
    }

    #[test]
    fn dead_peer_is_detected_at_the_timeout_and_pings_are_sent() {
        let t0 = Instant::now();
        let mut s = live(t0);
        assert_eq!(s.deadline(), Some(t0 + S(20)));
        assert_eq!(s.handle(Input::Tick, t0 + S(20)), vec![Action::SendPing]);
        // Frames keep it alive.
        s.handle(Input::Activity, t0 + S(30));
        assert_eq!(s.handle(Input::Tick, t0 + S(40)), vec![Action::SendPing]);
        assert_eq!(s.deadline(), Some(t0 + S(60)));
        assert_eq!(s.handle(Input::Tick, t0 + S(60)), vec![Action::SendPing]);
        // Silent since t0+30: dead at t0+75, not before.
        assert_eq!(s.deadline(), Some(t0 + S(75)));
        assert_eq!(s.handle(Input::Tick, t0 + S(74)), vec![]);
        assert_eq!(s.handle(Input::Tick, t0 + S(75)), vec![Action::Disconnect]);
        let snap = s.snapshot();
        assert_eq!(
            (snap.state, snap.detail),
            (ConnState::Backoff, crate::StateDetail::DeadPeer)
        );
    }

    #[test]
    fn safety_poll_runs_while_live() {
        let t0 = Instant::now();
        let mut s = Session::new(policy(), 1, t0);
        s.handle(Input::Start, t0);
        s.handle(Input::Connected, t0);
        s.handle(Input::FetchDone(Ok(())), t0);
        let mut now = t0;
        // Keep it alive with frames; the 5-minute safety fetch still comes.
        let mut fetched_at = None;
        while now < t0 + S(301) {
            now += S(10);
            s.handle(Input::Activity, now);
            if s.handle(Input::Tick, now).contains(&Action::Fetch) {
                fetched_at = Some(now);
                break;
            }
        }
        assert_eq!(fetched_at, Some(t0 + S(300)));
    }

    #[test]
    fn repeated_failures_fall_back_to_polling_and_a_probe_upgrades_back() {
        let t0 = Instant::now();
        let mut s = Session::new(policy(), 3, t0);
        let mut now = t0;
        s.handle(Input::Start, now);
        for _ in 0..4 {
            s.handle(
                Input::ConnectFailed(Failure::Transient(Detail::Unreachable)),
                now,
            );
            assert_eq!(s.snapshot().state, ConnState::Backoff);
            now = retry_at(&s);
            assert_eq!(s.handle(Input::Tick, now), vec![Action::Connect]);
        }
        let actions = s.handle(
            Input::ConnectFailed(Failure::Transient(Detail::Unreachable)),
            now,
        );
        assert_eq!(actions, vec![Action::Fetch]);
        assert_eq!(s.snapshot().state, ConnState::Polling);
        assert_eq!(s.snapshot().transport, Some(TransportKind::Polling));
        s.handle(Input::FetchDone(Ok(())), now);
        // Polls every 15 s.
        assert_eq!(s.handle(Input::Tick, now + S(15)), vec![Action::Fetch]);
        s.handle(Input::FetchDone(Ok(())), now + S(15));
        // Probe at 60 s; a failed probe keeps polling, a later one upgrades.
        let probe = now + S(60);
        assert!(s.handle(Input::Tick, probe).contains(&Action::Connect));
        assert_eq!(s.snapshot().state, ConnState::Polling);
        s.handle(Input::FetchDone(Ok(())), probe);
        s.handle(
            Input::ConnectFailed(Failure::Transient(Detail::Unreachable)),
            probe,
        );
        assert_eq!(s.snapshot().state, ConnState::Polling);
        let probe2 = probe + S(60);
        assert_eq!(
            s.handle(Input::Tick, probe2),
            vec![Action::Fetch, Action::Connect]
        );
        // Connected while the poll's fetch is still running: a second fetch follows it.
        assert_eq!(s.handle(Input::Connected, probe2), vec![]);
        assert_eq!(
            s.handle(Input::FetchDone(Ok(())), probe2),
            vec![Action::Fetch]
        );
        assert_eq!(s.snapshot().state, ConnState::Live);
        assert_eq!(s.snapshot().transport, Some(TransportKind::Websocket));
    }

    #[test]
    fn http_404_falls_back_to_polling_at_once() {
        let t0 = Instant::now();
        let mut s = Session::new(policy(), 3, t0);
        s.handle(Input::Start, t0);
        assert_eq!(
            s.handle(Input::ConnectFailed(Failure::NoWebSocket), t0),
            vec![Action::Fetch]
        );
        let snap = s.snapshot();
        assert_eq!(
            (snap.state, snap.detail),
            (ConnState::Polling, crate::StateDetail::NoWebsocket)
        );
    }

    #[test]
    fn auth_failure_refreshes_once_then_needs_login() {
        let t0 = Instant::now();
        let mut s = Session::new(policy(), 3, t0);
        s.handle(Input::Start, t0);
        assert_eq!(
            s.handle(Input::ConnectFailed(Failure::Auth), t0),
            vec![Action::RefreshToken]
        );
        assert_eq!(
            s.handle(Input::RefreshDone(Ok(())), t0),
            vec![Action::Connect]
        );
        // The refreshed token is refused too: no second refresh, no retry storm. A token
        // renewed a moment ago is valid: it is this user the server refuses.
        assert_eq!(s.handle(Input::ConnectFailed(Failure::Auth), t0), vec![]);
        let snap = s.snapshot();
        assert_eq!(
            (snap.state, snap.detail),
            (ConnState::NeedsLogin, crate::StateDetail::Forbidden)
        );
        assert_eq!(s.deadline(), None);
        assert_eq!(s.handle(Input::Tick, t0 + S(3600)), vec![]);
        // A new login starts over.
        assert_eq!(s.handle(Input::Resume, t0 + S(3600)), vec![Action::Connect]);
        // A refusal answered by a newer token someone else got: that token is tried, and a
        // refusal of it is refreshed once more (it was never judged), not taken as final.
        let mut newer = Session::new(policy(), 3, t0);
        newer.handle(Input::Start, t0);
        newer.handle(Input::ConnectFailed(Failure::Auth), t0);
        assert_eq!(newer.handle(Input::NewerToken, t0), vec![Action::Connect]);
        assert_eq!(
            newer.handle(Input::ConnectFailed(Failure::Auth), t0),
            vec![Action::RefreshToken]
        );
        // A profile that sends no token, refused: nothing to renew, the server wants a login.
        let mut none = Session::new(policy(), 3, t0);
        none.handle(Input::Start, t0);
        none.handle(Input::ConnectFailed(Failure::Auth), t0);
        assert_eq!(
            none.handle(Input::RefreshDone(Err(Failure::NoAuth)), t0),
            vec![]
        );
        let snap = none.snapshot();
        assert_eq!(
            (snap.state, snap.detail),
            (ConnState::NeedsLogin, crate::StateDetail::AuthRequired)
        );
        // The refresh itself refused: the login is what is wrong.
        s.handle(Input::ConnectFailed(Failure::Auth), t0 + S(3600));
        s.handle(
            Input::RefreshDone(Err(Failure::RefreshRejected)),
            t0 + S(3600),
        );
        let snap = s.snapshot();
        assert_eq!(
            (snap.state, snap.detail),
            (ConnState::NeedsLogin, crate::StateDetail::AuthFailed)
        );
    }

    #[test]
    fn expired_token_is_refreshed_and_the_session_goes_on() {
        let t0 = Instant::now();
        let mut s = live(t0);
        // Close 4001 while live (the server re-checked the token).
        let actions = s.handle(Input::Closed(Failure::Auth), t0 + S(100));
        assert_eq!(actions, vec![Action::Disconnect, Action::RefreshToken]);
        assert_eq!(
            s.handle(Input::RefreshDone(Ok(())), t0 + S(100)),
            vec![Action::Connect]
        );
        s.handle(Input::Connected, t0 + S(100));
        assert_eq!(s.snapshot().state, ConnState::Live);
        // Hours later the token expires again: another single refresh is allowed.
        s.handle(Input::FetchDone(Ok(())), t0 + S(100));
        s.handle(Input::Activity, t0 + S(110));
        let actions = s.handle(Input::Closed(Failure::Auth), t0 + S(120));
        assert!(actions.contains(&Action::RefreshToken));
    }

    #[test]
    fn rejected_refresh_token_needs_login_without_a_refresh_try() {
        let t0 = Instant::now();
        let mut s = Session::new(policy(), 3, t0);
        s.handle(Input::Start, t0);
        assert_eq!(
            s.handle(Input::ConnectFailed(Failure::RefreshRejected), t0),
            vec![]
        );
        assert_eq!(s.snapshot().state, ConnState::NeedsLogin);
    }

    #[test]
    fn rest_auth_failure_while_live_refreshes_then_fetches() {
        let t0 = Instant::now();
        let mut s = Session::new(policy(), 3, t0);
        s.handle(Input::Start, t0);
        s.handle(Input::Connected, t0);
        assert_eq!(
            s.handle(Input::FetchDone(Err(Failure::Auth)), t0),
            vec![Action::RefreshToken]
        );
        assert_eq!(s.snapshot().state, ConnState::Live);
        assert_eq!(
            s.handle(Input::RefreshDone(Ok(())), t0),
            vec![Action::Fetch]
        );
        assert_eq!(
            s.handle(Input::FetchDone(Err(Failure::Auth)), t0),
            vec![Action::Disconnect],
            "second refusal after a refresh ends the session"
        );
        assert_eq!(s.snapshot().state, ConnState::NeedsLogin);
    }

    #[test]
    fn a_refreshed_token_that_got_no_verdict_gets_its_own_refresh() {
        // Found by the chaos run: a catch-up refused (401), refreshed, then the network
        // failed for a while; meanwhile the token was renewed before expiry and the server
        // invalidated it. That refusal is about another token than the refreshed one: it
        // must be refreshed once more, not end in needs_login with a valid refresh token.
        let t0 = Instant::now();
        let mut s = Session::new(policy(), 3, t0);
        s.handle(Input::Start, t0);
        assert_eq!(s.handle(Input::Connected, t0), vec![Action::Fetch]);
        assert_eq!(
            s.handle(Input::FetchDone(Err(Failure::Auth)), t0),
            vec![Action::RefreshToken]
        );
        assert_eq!(
            s.handle(Input::RefreshDone(Ok(())), t0),
            vec![Action::Fetch]
        );
        let failed = Failure::Transient(Detail::Unreachable);
        assert_eq!(s.handle(Input::FetchDone(Err(failed)), t0), vec![]);
        let retry = s.deadline().expect("a retry is due");
        assert!(retry <= t0 + S(15), "at the poll pace");
        s.handle(Input::Activity, retry);
        assert_eq!(s.handle(Input::Tick, retry), vec![Action::Fetch]);
        assert_eq!(
            s.handle(Input::FetchDone(Err(Failure::Auth)), retry),
            vec![Action::RefreshToken]
        );
        assert_eq!(s.snapshot().state, ConnState::Live);

        // The same on the connect path: refused, refreshed, unreachable, refused again.
        let mut s = Session::new(policy(), 3, t0);
        s.handle(Input::Start, t0);
        s.handle(Input::ConnectFailed(Failure::Auth), t0);
        assert_eq!(
            s.handle(Input::RefreshDone(Ok(())), t0),
            vec![Action::Connect]
        );
        s.handle(Input::ConnectFailed(failed), t0);
        assert_eq!(s.snapshot().state, ConnState::Backoff);
        let now = retry_at(&s);
        assert_eq!(s.handle(Input::Tick, now), vec![Action::Connect]);
        assert_eq!(
            s.handle(Input::ConnectFailed(Failure::Auth), now),
            vec![Action::RefreshToken]
        );
        // Refused right after that refresh: final.
        assert_eq!(
            s.handle(Input::RefreshDone(Ok(())), now),
            vec![Action::Connect]
        );
        assert_eq!(s.handle(Input::ConnectFailed(Failure::Auth), now), vec![]);
        assert_eq!(s.snapshot().state, ConnState::NeedsLogin);
    }

    #[test]
    fn wake_reconnects_at_once() {
        let t0 = Instant::now();
        let mut s = live(t0);
        assert_eq!(
            s.handle(Input::Wake, t0 + S(5)),
            vec![Action::Disconnect, Action::Connect]
        );
        assert_eq!(
            s.handle(Input::Connected, t0 + S(5)),
            vec![Action::Fetch],
            "catch-up"
        );
        // From backoff too.
        s.handle(Input::FetchDone(Ok(())), t0 + S(5));
        s.handle(
            Input::Closed(Failure::Transient(Detail::DeadPeer)),
            t0 + S(6),
        );
        assert_eq!(s.handle(Input::Wake, t0 + S(6)), vec![Action::Connect]);
    }

    #[test]
    fn stop_is_final() {
        let t0 = Instant::now();
        let mut s = live(t0);
        assert_eq!(s.handle(Input::Stop, t0), vec![Action::Disconnect]);
        assert_eq!(s.snapshot().state, ConnState::Stopped);
        assert_eq!(s.handle(Input::Start, t0), vec![]);
        assert_eq!(s.deadline(), None);
    }

    #[test]
    fn without_a_rest_read_failures_keep_backing_off_instead_of_polling() {
        let t0 = Instant::now();
        let mut p = policy();
        p.can_poll = false;
        let mut s = Session::new(p, 9, t0);
        let mut now = t0;
        s.handle(Input::Start, now);
        // Far more failures than `fallback_after`, and a 404: still backoff, never polling.
        for i in 0..12 {
            let failure = if i == 6 {
                Failure::NoWebSocket
            } else {
                Failure::Transient(Detail::Unreachable)
            };
            assert_eq!(s.handle(Input::ConnectFailed(failure), now), vec![]);
            let snap = s.snapshot();
            assert_eq!(snap.state, ConnState::Backoff, "attempt {i}");
            assert!(retry_at(&s) - now <= Duration::from_millis(60_250));
            now = retry_at(&s);
            assert_eq!(s.handle(Input::Tick, now), vec![Action::Connect]);
        }
        assert_eq!(s.handle(Input::Connected, now), vec![Action::Fetch]);
        assert_eq!(s.snapshot().state, ConnState::Live);
    }

    #[test]
    fn a_transport_with_its_own_heartbeat_has_no_dead_peer_timer() {
        let t0 = Instant::now();
        let mut p = policy();
        p.ping_every = None;
        p.dead_after = None;
        let mut s = Session::new(p, 1, t0);
        s.handle(Input::Start, t0);
        s.handle(Input::Connected, t0);
        s.handle(Input::FetchDone(Ok(())), t0);
        // Only the safety poll is due; an hour of silence is not a dead peer.
        assert_eq!(s.deadline(), Some(t0 + S(300)));
        assert_eq!(s.handle(Input::Tick, t0 + S(300)), vec![Action::Fetch]);
        assert_eq!(s.snapshot().state, ConnState::Live);
    }

    #[test]
    fn polling_only_profile_never_connects() {
        let t0 = Instant::now();
        let mut p = policy();
        p.streaming = false;
        let mut s = Session::new(p, 1, t0);
        assert_eq!(s.handle(Input::Start, t0), vec![Action::Fetch]);
        s.handle(Input::FetchDone(Ok(())), t0);
        assert_eq!(s.deadline(), Some(t0 + S(15)));
        assert_eq!(s.handle(Input::Tick, t0 + S(15)), vec![Action::Fetch]);
    }
}
