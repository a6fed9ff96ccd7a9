//! One account's link to its server: runs the session state machine and performs its
//! actions (connect, ping, catch-up, refresh), stores what arrives, flushes the mark-read
//! outbox and emits `EngineEvent`s.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::auth::{AuthError, TokenKeeper};
use crate::catchup;
use crate::credentials::{Credentials, Tokens};
use crate::frame::{self, Inbound as Frame};
use crate::model::{ConnState, EngineEvent, Notification};
use crate::outbox;
use crate::profile::{secs, AuthMode, HeartbeatMode, Profile};
use crate::rest::Rest;
use crate::secret::redact_url;
use crate::session::{Action, Failure, Input, Policy, Session, Snapshot};
use crate::store::{Ingest, Store};
use crate::template;
use crate::transport::websocket::{self, WsTarget};
use crate::transport::{Connection, Inbound, Outbound};

/// While the outbox holds operations, how soon to try them again (doubling per attempt, up
/// to a minute: the server may be down for a while, and a mark-read is not urgent).
const OUTBOX_RETRY_MIN: Duration = Duration::from_secs(2);
const OUTBOX_RETRY_MAX: Duration = Duration::from_secs(60);
/// How often to look for operations queued by another process (`aviso-cli mark-read`
/// while the app runs). One indexed SQLite read: cheap enough to do twice a minute.
const OUTBOX_LOOK_EVERY: Duration = Duration::from_secs(30);
/// How often to compare the wall clock with the monotonic one. Linux's monotonic clock
/// stops while the machine is suspended and the wall clock does not, so a gap between them
/// means the machine slept: sockets are then suspect and a catch-up is due. (The logind
/// `PrepareForSleep` signal is a faster, platform-specific trigger on top of this.)
const CLOCK_CHECK_EVERY: Duration = Duration::from_secs(10);
/// A gap this large counts as a sleep (NTP slews the wall clock far more gently).
const SLEEP_GAP: Duration = Duration::from_secs(15);

/// Whether the wall clock ran ahead of the monotonic clock by a sleep's worth between two
/// readings (or jumped backwards by as much).
pub fn slept(wall_elapsed: Result<Duration, Duration>, mono_elapsed: Duration) -> bool {
    match wall_elapsed {
        Ok(wall) => wall.saturating_sub(mono_elapsed) >= SLEEP_GAP,
        Err(back) => back >= SLEEP_GAP,
    }
}

/// An account as the engine runs it.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    pub name: String,
    pub server: Url,
    pub profile: Arc<Profile>,
    pub params: BTreeMap<String, String>,
}

#[derive(Debug)]
pub enum Command {
    MarkRead(Vec<String>),
    MarkAllRead,
    /// The machine woke up, or the network changed: reconnect and catch up now.
    Wake,
    /// New tokens from a login.
    Login(Tokens),
}

pub struct Shared {
    pub store: Arc<Store>,
    pub creds: Arc<Credentials>,
    pub http: reqwest::Client,
    pub tls: Arc<rustls::ClientConfig>,
    pub events: mpsc::Sender<EngineEvent>,
}

struct Link {
    spec: AccountSpec,
    shared: Arc<Shared>,
    session: Session,
    tokens: TokenKeeper,
    rest: Rest,
    conn: Option<Connection>,
    published: Option<Snapshot>,
    outbox_at: Option<Instant>,
    outbox_attempts: u32,
    /// The last (wall, monotonic) clock reading, for sleep detection.
    clocks: (SystemTime, Instant),
}

pub async fn run(
    spec: AccountSpec,
    shared: Arc<Shared>,
    mut commands: mpsc::Receiver<Command>,
    cancel: CancellationToken,
    seed: u64,
) {
    let now = Instant::now();
    let policy = Policy::from_profile(&spec.profile);
    let tokens = TokenKeeper::new(
        &spec.name,
        spec.server.clone(),
        spec.profile.auth.clone(),
        shared.http.clone(),
        shared.creds.clone(),
    );
    let rest = Rest::new(
        shared.http.clone(),
        spec.server.clone(),
        spec.profile.clone(),
        spec.params.clone(),
    );
    let mut link = Link {
        session: Session::new(policy, seed, now),
        spec,
        shared,
        tokens,
        rest,
        conn: None,
        published: None,
        outbox_at: Some(now),
        outbox_attempts: 0,
        clocks: (SystemTime::now(), now),
    };
    link.emit_unread().await;
    link.step(Input::Start).await;
    loop {
        let clock_check = link.clocks.1 + CLOCK_CHECK_EVERY;
        let deadline = [link.session.deadline(), link.outbox_at, Some(clock_check)]
            .into_iter()
            .flatten()
            .min();
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            inbound = recv(&mut link.conn) => link.on_inbound(inbound).await,
            command = commands.recv() => match command {
                Some(c) => link.on_command(c).await,
                None => break,
            },
            _ = sleep_until(deadline.unwrap_or_else(far_future)), if deadline.is_some() => {
                let now = Instant::now();
                if clock_check <= now {
                    link.check_clocks().await;
                }
                if link.outbox_at.is_some_and(|at| at <= now) {
                    link.flush_outbox().await;
                }
                if link.session.deadline().is_some_and(|at| at <= now) {
                    link.step(Input::Tick).await;
                }
            }
        }
    }
    link.step(Input::Stop).await;
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

async fn recv(conn: &mut Option<Connection>) -> Inbound {
    match conn {
        Some(c) => c.rx.recv().await.unwrap_or(Inbound::Closed {
            failure: Failure::Transient(crate::session::Detail::ServerClosed),
            message: "connection task ended".into(),
        }),
        None => std::future::pending().await,
    }
}

impl Link {
    fn account(&self) -> &str {
        &self.spec.name
    }

    async fn check_clocks(&mut self) {
        let (wall, mono) = (SystemTime::now(), Instant::now());
        let (last_wall, last_mono) = std::mem::replace(&mut self.clocks, (wall, mono));
        let wall_elapsed = wall.duration_since(last_wall).map_err(|e| e.duration());
        if slept(wall_elapsed, mono - last_mono) {
            tracing::info!(account = %self.account(), "the machine slept: reconnecting and catching up");
            self.step(Input::Wake).await;
        }
    }

    async fn emit(&self, event: EngineEvent) {
        // The embedder went away: nothing to tell anyone, the loop ends on cancel.
        let _ = self.shared.events.send(event).await;
    }

    async fn error(&self, code: &str, message: impl Into<String>) {
        let message = message.into();
        tracing::warn!(account = %self.account(), code, "{message}");
        self.emit(EngineEvent::Error {
            account: self.account().into(),
            code: code.into(),
            message,
        })
        .await;
    }

    async fn emit_unread(&self) {
        match self.shared.store.unread_count(Some(self.account())) {
            Ok(count) => {
                self.emit(EngineEvent::Unread {
                    account: self.account().into(),
                    count,
                })
                .await
            }
            Err(e) => self.error(e.code(), e.to_string()).await,
        }
    }

    /// Feeds one input to the session and performs the resulting actions, feeding their
    /// outcomes back until the session is quiet.
    async fn step(&mut self, input: Input) {
        let mut queue = VecDeque::from([input]);
        while let Some(input) = queue.pop_front() {
            let actions = self.session.handle(input, Instant::now());
            self.publish().await;
            for action in actions {
                if let Some(next) = self.perform(action).await {
                    queue.push_back(next);
                }
            }
        }
        self.publish().await;
    }

    async fn publish(&mut self) {
        let snap = self.session.snapshot();
        if self.published == Some(snap) {
            return;
        }
        self.published = Some(snap);
        let next_retry_at = snap.retry_at.map(|at| {
            let wall = SystemTime::now() + at.saturating_duration_since(Instant::now());
            let t: time::OffsetDateTime = wall.into();
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        });
        tracing::info!(account = %self.account(), state = snap.state.as_str(), detail = snap.detail, "session state");
        self.emit(EngineEvent::State {
            account: self.account().into(),
            state: snap.state,
            transport: snap.transport,
            detail: snap.detail.into(),
            next_retry_at,
        })
        .await;
    }

    async fn perform(&mut self, action: Action) -> Option<Input> {
        match action {
            Action::Connect => Some(self.connect().await),
            Action::Disconnect => {
                self.conn = None;
                None
            }
            Action::SendPing => {
                let out = match self.spec.profile.heartbeat.mode {
                    HeartbeatMode::App => {
                        Outbound::Text(self.spec.profile.heartbeat.app_ping.clone())
                    }
                    _ => Outbound::Ping,
                };
                if let Some(conn) = &self.conn {
                    // A full queue means the socket is not draining: the dead-peer timer
                    // will notice; no need to block here.
                    let _ = conn.tx.try_send(out);
                }
                None
            }
            Action::Fetch => {
                let result = self.catch_up().await;
                if result.is_ok() {
                    self.flush_outbox().await;
                }
                Some(Input::FetchDone(result))
            }
            Action::RefreshToken => Some(Input::RefreshDone(match self.tokens.refresh().await {
                Ok(()) => Ok(()),
                Err(e) => Err(self.auth_failed(e).await),
            })),
        }
    }

    async fn auth_failed(&self, e: AuthError) -> Failure {
        let failure = e.failure();
        if failure == Failure::RefreshRejected {
            self.error(e.code(), e.to_string()).await;
        }
        failure
    }

    fn ws_url(&self, token: Option<&crate::secret::Secret>) -> Result<Url, String> {
        let server = &self.spec.server;
        let origin = server.origin().ascii_serialization();
        let ws_origin = origin.replacen("http", "ws", 1);
        let profile = &self.spec.profile;
        let rendered = template::render_with(&profile.websocket.url, |key| match key {
            "origin" => Some(origin.clone()),
            "ws_origin" => Some(ws_origin.clone()),
            k => self
                .spec
                .params
                .get(k)
                .or_else(|| profile.params.get(k))
                .cloned(),
        })
        .map_err(|e| e.to_string())?;
        let mut url = Url::parse(&rendered).map_err(|e| format!("invalid WebSocket URL: {e}"))?;
        if let (AuthMode::Query, Some(token)) = (profile.auth.mode, token) {
            url.query_pairs_mut()
                .append_pair(&profile.auth.query_param, token.expose());
        }
        Ok(url)
    }

    async fn connect(&mut self) -> Input {
        let token = match self.tokens.access().await {
            Ok(t) => t,
            Err(e) => return Input::ConnectFailed(self.auth_failed(e).await),
        };
        let profile = self.spec.profile.clone();
        let url = match self.ws_url(token.as_ref()) {
            Ok(u) => u,
            Err(message) => {
                self.error("bad_profile", message).await;
                return Input::ConnectFailed(Failure::NoWebSocket);
            }
        };
        let shown = redact_url(&url, &[profile.auth.query_param.as_str()]);
        tracing::debug!(account = %self.account(), url = %shown, "connecting");
        let origin = match profile.websocket.origin.as_str() {
            "auto" => Some(self.spec.server.origin().ascii_serialization()),
            "" => None,
            other => Some(other.to_string()),
        };
        let auth_header = match (profile.auth.mode, &token) {
            (AuthMode::Header, Some(t)) => Some((
                profile.auth.header.clone(),
                crate::secret::Secret::new(format!("{}{}", profile.auth.header_prefix, t.expose())),
            )),
            _ => None,
        };
        let target = WsTarget {
            url,
            origin,
            auth_header,
            tls: self.shared.tls.clone(),
            connect_timeout: secs(profile.reconnect.connect_timeout_secs),
            close_codes: profile.close_codes.clone(),
        };
        match websocket::connect(target).await {
            Ok(conn) => {
                self.conn = Some(conn);
                Input::Connected
            }
            Err((failure, message)) => {
                tracing::info!(account = %self.account(), "connect failed: {message}");
                if failure == Failure::Transient(crate::session::Detail::Tls) {
                    self.error("tls", message).await;
                }
                Input::ConnectFailed(failure)
            }
        }
    }

    async fn catch_up(&mut self) -> Result<(), Failure> {
        if !self.rest.can_list() {
            return Ok(());
        }
        let token = self.tokens.access().await.map_err(|e| e.failure())?;
        match catchup::run(&self.rest, &self.shared.store, &self.spec, token.as_ref()).await {
            Ok(outcome) => {
                for e in &outcome.errors {
                    self.error(e.code, e.message.clone()).await;
                }
                self.ingested(outcome.ingest).await;
                Ok(())
            }
            Err(catchup::CatchUpError::Rest(e)) => {
                tracing::info!(account = %self.account(), "catch-up failed: {e}");
                Err(e.failure())
            }
            Err(catchup::CatchUpError::Store(e)) => {
                self.error(e.code(), e.to_string()).await;
                Err(Failure::Transient(crate::session::Detail::ServerError))
            }
        }
    }

    /// Emits what a stored batch changed.
    async fn ingested(&mut self, ingest: Ingest) {
        let changed = !ingest.new.is_empty() || !ingest.read_elsewhere.is_empty();
        for n in ingest.new {
            self.emit(EngineEvent::Notification(n)).await;
        }
        if !ingest.read_elsewhere.is_empty() {
            self.emit(EngineEvent::Read {
                account: self.account().into(),
                ids: ingest.read_elsewhere,
            })
            .await;
        }
        if changed {
            self.emit_unread().await;
        }
    }

    async fn on_inbound(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Text(text) => {
                self.step(Input::Activity).await;
                self.on_frame(&text).await;
            }
            Inbound::Alive => self.step(Input::Activity).await,
            Inbound::Garbage { code, message } => {
                self.step(Input::Activity).await;
                self.error(code, message).await;
            }
            Inbound::Closed { failure, message } => {
                tracing::info!(account = %self.account(), "connection closed: {message}");
                if failure == Failure::Transient(crate::session::Detail::Protocol) {
                    // E.g. invalid UTF-8 in a text frame: the WebSocket protocol forbids it,
                    // so the connection is lost; say why before reconnecting.
                    let text = format!("the server sent invalid data ({message}); reconnecting");
                    self.error("bad_frame", text).await;
                }
                self.conn = None;
                self.step(Input::Closed(failure)).await;
            }
        }
    }

    async fn on_frame(&mut self, text: &str) {
        let parsed = frame::parse_frame(&self.spec.profile, self.account(), text);
        let (inbound, errors) = match parsed {
            Ok(pair) => pair,
            Err(e) => return self.error(e.code, e.message).await,
        };
        for e in errors {
            self.error(e.code, e.message).await;
        }
        match inbound {
            Frame::Notifications(items) => self.store_items(&items).await,
            Frame::ServerError(message) => self.error("server_error", message).await,
            Frame::ReadAck(_) | Frame::Pong | Frame::Ignored => {}
        }
    }

    async fn store_items(&mut self, items: &[Notification]) {
        match self.shared.store.ingest(items) {
            Ok(ingest) => self.ingested(ingest).await,
            Err(e) => self.error(e.code(), e.to_string()).await,
        }
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::MarkRead(ids) => self.mark(Some(ids)).await,
            Command::MarkAllRead => self.mark(None).await,
            Command::Wake => self.step(Input::Wake).await,
            Command::Login(tokens) => {
                self.tokens.set(tokens);
                self.step(Input::Resume).await;
            }
        }
    }

    async fn mark(&mut self, ids: Option<Vec<String>>) {
        let store = &self.shared.store;
        let result = match &ids {
            Some(ids) => store.mark_read(self.account(), ids, true),
            None => store.mark_all_read(self.account(), true),
        };
        match result {
            Ok(changed) => {
                if !changed.is_empty() {
                    self.emit(EngineEvent::Read {
                        account: self.account().into(),
                        ids: changed,
                    })
                    .await;
                    self.emit_unread().await;
                }
                self.flush_outbox().await;
            }
            Err(e) => self.error(e.code(), e.to_string()).await,
        }
    }

    /// Sends queued mark-reads; what fails stays queued and is retried with a growing delay.
    async fn flush_outbox(&mut self) {
        if self.session.snapshot().state == ConnState::NeedsLogin {
            self.outbox_at = Some(Instant::now() + OUTBOX_LOOK_EVERY);
            return;
        }
        let result = outbox::flush(
            &self.rest,
            &self.shared.store,
            &self.spec.name,
            &mut self.tokens,
        )
        .await;
        let now = Instant::now();
        match result {
            Ok(outbox::Flushed { pending: 0, .. }) => {
                self.outbox_attempts = 0;
                self.outbox_at = Some(now + OUTBOX_LOOK_EVERY);
            }
            Ok(_) | Err(_) => {
                self.outbox_attempts = self.outbox_attempts.saturating_add(1);
                let delay = OUTBOX_RETRY_MIN * 2u32.saturating_pow(self.outbox_attempts.min(6) - 1);
                self.outbox_at = Some(now + delay.min(OUTBOX_RETRY_MAX));
                if let Err(e) = result {
                    self.error(e.code(), e.to_string()).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_clock_gap_means_the_machine_slept() {
        let s = Duration::from_secs;
        // Awake: both clocks advance together (small NTP slews are not sleeps).
        assert!(!slept(Ok(s(10)), s(10)));
        assert!(!slept(Ok(s(12)), s(10)));
        // Suspended for an hour: the monotonic clock saw 10 s, the wall clock an hour.
        assert!(slept(Ok(s(3610)), s(10)));
        // The wall clock was set back by a lot: also treat as suspect.
        assert!(slept(Err(s(600)), s(10)));
        assert!(!slept(Err(s(1)), s(10)));
    }
}
