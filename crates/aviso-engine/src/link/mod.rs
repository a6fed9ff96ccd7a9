//! One account's link to its server: runs the session state machine and performs its
//! actions (connect, ping, catch-up, refresh), stores what arrives, flushes the mark-read
//! outbox and emits `EngineEvent`s.
//!
//! A profile with `channels` (seed 002) has one socket per channel: the account then runs
//! one link per channel, each with its own session, sharing one [`TokenKeeper`] (so a
//! revoked token costs the server one refresh, not one per socket) and one [`Board`] that
//! folds the channels' states into the account's.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

pub use crate::account_spec::AccountSpec;
use crate::alert::Alerts;
use crate::auth::{AuthError, TokenKeeper};
use crate::catchup;
pub use crate::clock::{now_rfc3339, slept};
use crate::credentials::{Credentials, Tokens};
use crate::frame::{self, Became, Inbound as Frame};
use crate::model::{ConnState, EngineEvent, Notification, StreamState};
use crate::outbox;
use crate::profile::{HeartbeatMode, Profile, TransportChoice, HEALTH_CHANNEL};
use crate::rest::{Rest, RestError};
use crate::secret::Secret;
use crate::session::{Action, Detail, Failure, Input, Policy, Session, Snapshot};
use crate::store::{Ingest, Store};
use crate::stream::Streams;
use crate::transport::socketio;
use crate::transport::sse;
use crate::transport::websocket;
use crate::transport::{Connection, Inbound, Outbound};

pub mod board;
pub mod target;

pub use board::Board;
use board::{state_event, worth_a_line};
use target::Endpoint;

/// How often to compare the wall clock with the monotonic one. Linux's monotonic clock
/// stops while the machine is suspended and the wall clock does not, so a gap between them
/// means the machine slept: sockets are then suspect and a catch-up is due. (The logind
/// `PrepareForSleep` signal is a faster, platform-specific trigger on top of this.)
const CLOCK_CHECK_EVERY: Duration = Duration::from_secs(10);
/// At most this many waiting frames are handled (and their notifications stored) at once.
const BATCH_FRAMES: usize = 512;
/// How long an unread count kept up to date by deltas is trusted before counting again.
const UNREAD_RECOUNT: Duration = Duration::from_secs(1);
/// A burst says its unread count at most this often (the last line has the final count).
const UNREAD_EVERY: Duration = Duration::from_millis(250);
/// Rows folded per step when settling a mark-all-read watermark.
const SETTLE_STEP: usize = 2_000;

#[derive(Debug)]
pub enum Command {
    MarkRead(Vec<String>),
    MarkAllRead,
    /// The machine woke up, or the network changed: reconnect and catch up now.
    Wake,
    /// New tokens from a login.
    Login(Tokens),
    /// Start over after `needs_login` (the account's tokens were already replaced).
    Resume,
    /// Another process on this machine marked these read (or all, `ids` empty): tell.
    MarkedElsewhere {
        ids: Vec<String>,
        all: bool,
    },
}

pub struct Shared {
    pub store: Arc<Store>,
    pub creds: Arc<Credentials>,
    pub http: reqwest::Client,
    pub tls: Arc<rustls::ClientConfig>,
    pub events: mpsc::Sender<EngineEvent>,
    pub streams: Arc<Streams>,
    /// Extra CA certificates (PEM file) for transports outside rustls (Socket.IO).
    pub extra_ca: Option<PathBuf>,
    /// Bumped when the OS says the machine resumed: every link reconnects and catches up.
    pub wake: tokio::sync::watch::Sender<u64>,
    /// Where each frame and what it became go, when someone listens (`aviso-cli probe`).
    pub tap: std::sync::OnceLock<mpsc::UnboundedSender<frame::Tapped>>,
    /// What the health view shows, learnt as the links run.
    pub health: crate::health::HealthBook,
}

struct Link {
    spec: AccountSpec,
    /// This socket's stream channel (profiles with `channels`).
    channel: Option<String>,
    shared: Arc<Shared>,
    session: Session,
    tokens: Arc<TokenKeeper>,
    /// The token generation of the last access token used, for `refresh_after`.
    generation: u64,
    rest: Rest,
    conn: Option<Connection>,
    published: Option<Snapshot>,
    /// The last state line said (see `worth_a_line`).
    said_line: Option<Snapshot>,
    /// When to send the outbox next, and what awaits the server's answer on the socket.
    courier: outbox::Courier,
    /// The last (wall, monotonic) clock reading, for sleep detection.
    clocks: (SystemTime, Instant),
    board: Option<(Arc<Board>, usize)>,
    /// Stream channels whose state follows this link's.
    stream_channels: Vec<String>,
    alerts: Alerts,
    /// Recent events without ids, to show each once when the server sends it twice.
    twins: crate::twins::Twins,
    /// The profile's `[params]` overlaid with the account's.
    params: BTreeMap<String, String>,
    /// Storing failed (disk full, read-only…) and the user was told; notifications are
    /// held in memory meanwhile.
    storage_failing: bool,
    /// Catch-up fails in a way asking again will not fix, and the user was told (once).
    catch_up_failing: bool,
    /// Connect attempts that failed, in a row.
    unreachable_streak: u32,
    /// A connection has worked in this run (see `say_connect_problem`).
    ever_live: bool,
    /// A connect problem was said (once a run).
    connect_problem_said: bool,
    /// Which spelling of the REST snapshot works here (`rest.snapshot_alternatives`).
    snapshot_at: usize,
    /// The optional REST list is not on this server (`rest.list_optional`): not asked
    /// again until the next connect.
    no_catch_up: bool,
    /// The OS resume signal (see `Shared::wake`).
    resumed: tokio::sync::watch::Receiver<u64>,
    /// The last unread count told, and when it was counted (see `emit_unread_after`).
    unread: Option<(u64, Instant)>,
    /// When an unread line was last said, and when a held-back one is due.
    unread_told: Option<Instant>,
    unread_due: Option<Instant>,
    /// Reads made on another device, compared after catch-ups.
    reads: catchup::ReadCheck,
    /// SSE: the last event id, sent as `Last-Event-ID` on every reconnect. Read from the
    /// store at the first connect (so it survives a restart), kept here too so a disk that
    /// cannot be written does not lose the position while we run.
    event_id: Option<Option<String>>,
}

pub async fn run(
    spec: AccountSpec,
    shared: Arc<Shared>,
    mut commands: mpsc::Receiver<Command>,
    cancel: CancellationToken,
    seed: u64,
) {
    let tokens = Arc::new(TokenKeeper::new(
        &spec.name,
        spec.server.clone(),
        spec.profile.auth.clone(),
        shared.http.clone(),
        shared.creds.clone(),
    ));
    let channels = spec.profile.channels.clone();
    if channels.is_empty() {
        let link = Link::new(spec, None, shared, tokens, seed, None);
        link.run(commands, cancel).await;
        return;
    }
    let board = Arc::new(Board::new(&spec.name, channels.len()));
    let children = cancel.child_token();
    let mut senders = Vec::new();
    let mut tasks = Vec::new();
    for (i, channel) in channels.into_iter().enumerate() {
        let (tx, rx) = mpsc::channel(64);
        senders.push(tx);
        // Distinct seeds: five sockets must not back off in lockstep.
        let seed = seed.wrapping_add((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let link = Link::new(
            spec.clone(),
            Some(channel),
            shared.clone(),
            tokens.clone(),
            seed,
            Some((board.clone(), i)),
        );
        tasks.push(tokio::spawn(link.run(rx, children.clone())));
    }
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            command = commands.recv() => match command {
                None => break,
                Some(Command::Login(t)) => {
                    tokens.set(t).await;
                    for tx in &senders {
                        let _ = tx.send(Command::Resume).await;
                    }
                }
                Some(Command::Wake) => {
                    for tx in &senders {
                        let _ = tx.send(Command::Wake).await;
                    }
                }
                Some(Command::Resume) => {
                    for tx in &senders {
                        let _ = tx.send(Command::Resume).await;
                    }
                }
                // Store operations happen once per account: the first channel does them.
                Some(other) => {
                    let _ = senders[0].send(other).await;
                }
            },
        }
    }
    children.cancel();
    for t in tasks {
        let _ = t.await;
    }
}

impl Link {
    fn new(
        spec: AccountSpec,
        channel: Option<String>,
        shared: Arc<Shared>,
        tokens: Arc<TokenKeeper>,
        seed: u64,
        board: Option<(Arc<Board>, usize)>,
    ) -> Link {
        let now = Instant::now();
        let policy = Policy::from_profile(&spec.profile);
        let rest = Rest::new(
            shared.http.clone(),
            spec.server.clone(),
            spec.profile.clone(),
            spec.params.clone(),
        );
        let stream_channels = spec.profile.stream_channels(channel.as_deref());
        for c in &stream_channels {
            shared.streams.declare(&spec.name, c);
        }
        let params = spec.all_params();
        let resumed = shared.wake.subscribe();
        Link {
            session: Session::new(policy, seed, now),
            spec,
            channel,
            shared,
            tokens,
            generation: 0,
            rest,
            conn: None,
            published: None,
            said_line: None,
            courier: outbox::Courier::new(now),
            clocks: (SystemTime::now(), now),
            board,
            stream_channels,
            alerts: Alerts::default(),
            twins: crate::twins::Twins::default(),
            params,
            storage_failing: false,
            catch_up_failing: false,
            no_catch_up: false,
            snapshot_at: 0,
            unreachable_streak: 0,
            ever_live: false,
            connect_problem_said: false,
            resumed,
            unread: None,
            unread_told: None,
            unread_due: None,
            reads: catchup::ReadCheck::default(),
            event_id: None,
        }
    }

    /// The account's first (or only) socket: it reports the account's unread count.
    fn primary(&self) -> bool {
        self.board.as_ref().is_none_or(|(_, slot)| *slot == 0)
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>, cancel: CancellationToken) {
        let link = &mut self;
        if link.primary() {
            link.emit_unread().await;
        }
        link.step(Input::Start).await;
        link.main_loop(&mut commands, &cancel).await;
        // A count held back for a burst is still said.
        link.tell_unread_due().await;
        // Stopped (a quit, SIGTERM): the server gets a close frame, not a cut connection.
        if let Some(conn) = link.conn.take() {
            conn.close().await;
        }
        link.step(Input::Stop).await;
    }

    async fn main_loop(
        &mut self,
        commands: &mut mpsc::Receiver<Command>,
        cancel: &CancellationToken,
    ) {
        let link = self;
        loop {
            let clock_check = link.clocks.1 + CLOCK_CHECK_EVERY;
            let deadline = [
                link.session.deadline(),
                link.courier.due_at(),
                link.unread_due,
                Some(clock_check),
            ]
            .into_iter()
            .flatten()
            .min();
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                // Commands (a click in the panel) before frames: a flooding server must not
                // make the user wait. Frames come in batches, so they never starve.
                command = commands.recv() => match command {
                    Some(c) => link.on_command(c).await,
                    None => break,
                },
                inbound = recv(&mut link.conn) => link.on_inbound(inbound).await,
                Ok(()) = link.resumed.changed() => {
                    tracing::info!(account = %link.account(), channel = ?link.channel, "resumed from sleep: reconnecting and catching up");
                    link.step(Input::Wake).await;
                }
                _ = sleep_until(deadline.unwrap_or_else(far_future)), if deadline.is_some() => {
                    let now = Instant::now();
                    if clock_check <= now {
                        link.check_clocks().await;
                    }
                    if link.courier.due_at().is_some_and(|at| at <= now) {
                        link.flush_outbox().await;
                    }
                    if link.unread_due.is_some_and(|at| at <= now) {
                        link.tell_unread_due().await;
                    }
                    if link.session.deadline().is_some_and(|at| at <= now) {
                        link.step(Input::Tick).await;
                    }
                }
            }
        }
    }
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
        let store = &self.shared.store;
        if store.held_count() > 0 || store.problems().iter().any(|p| p.code != "moved_aside") {
            match store.retry_writes() {
                Ok(n) => {
                    tracing::info!(account = %self.account(), "{n} notification(s) held in memory are saved now");
                    self.storage_failing = false;
                }
                Err(e) => {
                    tracing::debug!(account = %self.account(), "the disk still cannot be written: {e}")
                }
            }
        }
        if slept(wall_elapsed, mono - last_mono) {
            tracing::info!(account = %self.account(), "the machine slept: reconnecting and catching up");
            self.step(Input::Wake).await;
        }
    }

    async fn emit(&self, event: EngineEvent) {
        // The embedder went away: nothing to tell anyone, the loop ends on cancel.
        self.shared.health.observe(&event);
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

    /// Counts the account's unread notifications and tells.
    async fn emit_unread(&mut self) {
        match self.shared.store.unread_count(Some(self.account())) {
            Ok(count) => {
                self.unread = Some((count, Instant::now()));
                self.tell_unread(count).await
            }
            Err(e) => self.error(e.code(), e.to_string()).await,
        }
    }

    /// After storing a batch: the last count plus what the batch changed, without counting
    /// again (a count costs a pass over the unread, per batch of a burst). The count is
    /// taken afresh at least every [`UNREAD_RECOUNT`], which also takes in what other
    /// processes (`aviso-cli mark-read`) changed.
    ///
    /// A burst says its count at most every [`UNREAD_EVERY`]: the line after the burst
    /// carries the count it added up to.
    async fn emit_unread_after(&mut self, delta: i64) {
        match self.unread {
            Some((count, at)) if at.elapsed() < UNREAD_RECOUNT => {
                let count = count.saturating_add_signed(delta);
                self.unread = Some((count, at));
                match self.unread_told {
                    Some(told) if told.elapsed() < UNREAD_EVERY => {
                        self.unread_due.get_or_insert(told + UNREAD_EVERY);
                    }
                    _ => self.tell_unread(count).await,
                }
            }
            _ => self.emit_unread().await,
        }
    }

    /// A count held back by `emit_unread_after`, now due.
    async fn tell_unread_due(&mut self) {
        if self.unread_due.take().is_some() {
            if let Some((count, _)) = self.unread {
                self.tell_unread(count).await;
            }
        }
    }

    async fn tell_unread(&mut self, count: u64) {
        self.unread_due = None;
        self.unread_told = Some(Instant::now());
        self.emit(EngineEvent::Unread {
            account: self.account().into(),
            count,
        })
        .await
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
        tracing::info!(account = %self.account(), channel = ?self.channel, state = snap.state.as_str(), detail = snap.detail, "session state");
        // The live view is updated before anything is told, so an embedder that reads
        // `Engine::streams()` on this state line already sees the new channel states.
        let state = StreamState::of(snap.state);
        let changed: Vec<_> = self
            .stream_channels
            .iter()
            .filter_map(|c| self.shared.streams.set_state(self.account(), c, state))
            .collect();
        // One socket of several: its line only when it says something new.
        let said = match (&self.board, self.said_line) {
            (Some(_), Some(last)) => worth_a_line(last, snap),
            _ => true,
        };
        if said {
            self.said_line = Some(snap);
            self.emit(state_event(self.account(), self.channel.clone(), snap))
                .await;
        }
        if snap.state == ConnState::NeedsLogin && snap.detail == "forbidden" && self.primary() {
            self.error(
                "forbidden",
                "the server refuses this user even with a token renewed a moment ago: the user \
                 lacks permission for these notifications (seed 000's are for staff only); log \
                 in as a user who has it",
            )
            .await;
        }
        for c in changed {
            self.emit(EngineEvent::StreamState {
                account: c.account,
                channel: c.channel,
                state: c.state,
                last_update: c.last_update,
            })
            .await;
        }
        if let Some((board, slot)) = &self.board {
            board
                .report(*slot, snap, &self.shared.events, &self.shared.health)
                .await;
        }
    }

    async fn perform(&mut self, action: Action) -> Option<Input> {
        match action {
            Action::Connect => Some(self.connect().await),
            Action::Disconnect => {
                self.conn = None;
                self.courier.connection_lost();
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
                    if conn.tx.try_send(out).is_ok() && self.primary() {
                        self.shared.health.ping_sent(self.account());
                    }
                }
                None
            }
            Action::Fetch => {
                let result = self.fetch().await;
                if result.is_ok() {
                    self.flush_outbox().await;
                }
                Some(Input::FetchDone(result))
            }
            Action::RefreshToken => Some(match self.tokens.refresh_after(self.generation).await {
                Ok(true) => Input::RefreshDone(Ok(())),
                // Another path refreshed first: its token has had no verdict yet.
                Ok(false) => Input::NewerToken,
                Err(e) => Input::RefreshDone(Err(self.auth_failed(e).await)),
            }),
        }
    }

    async fn auth_failed(&self, e: AuthError) -> Failure {
        let failure = e.failure();
        // One error line per account, not one per socket.
        if matches!(failure, Failure::RefreshRejected | Failure::NoAuth) && self.primary() {
            self.error(e.code(), e.to_string()).await;
        }
        failure
    }

    /// A usable access token; remembers its generation for a later refresh.
    async fn access(&mut self) -> Result<Option<Secret>, AuthError> {
        let access = self.tokens.access().await?;
        self.generation = access.generation;
        if self.primary() {
            let exp = access.token.as_ref().and_then(crate::auth::expires_at);
            self.shared.health.token_expires(self.account(), exp);
        }
        Ok(access.token)
    }

    /// Where this socket connects (see `target`).
    fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            server: &self.spec.server,
            profile: &self.spec.profile,
            params: &self.params,
            channel: self.channel.as_deref(),
        }
    }

    async fn connect(&mut self) -> Input {
        let token = match self.access().await {
            Ok(t) => t,
            Err(e) => return Input::ConnectFailed(self.auth_failed(e).await),
        };
        let attempt = match self.spec.profile.transport {
            TransportChoice::Socketio => self.connect_socketio(token.as_ref()).await,
            TransportChoice::Sse => self.connect_sse(token.as_ref()).await,
            _ => self.connect_websocket(token.as_ref()).await,
        };
        match attempt {
            Ok(conn) => {
                self.conn = Some(conn);
                // A new connection's catch-up also looks for reads made elsewhere meanwhile.
                self.reads.reset();
                // An optional list the server lacked is looked for again (it may be new).
                self.no_catch_up = false;
                self.unreachable_streak = 0;
                self.ever_live = true;
                Input::Connected
            }
            Err(input) => input,
        }
    }

    /// A connection that cannot work as configured is said once: a name that does not
    /// resolve (a typo'd host) at once; a server that speaks another protocol, or none at
    /// that address, after three attempts in a row (unless the profile is
    /// `quiet_unreachable`). Only while no connection has worked in this run: a server
    /// that worked and went away (a restart, a flaky network that garbles a handshake) is
    /// an outage, shown as state lines while it is retried. TLS is said by `connect_failed`.
    async fn say_connect_problem(&mut self, failure: Failure, message: &str) {
        if self.ever_live {
            return;
        }
        let host = self.spec.server.origin().ascii_serialization();
        self.unreachable_streak += 1;
        let said = match failure {
            Failure::Transient(Detail::Unreachable) => {
                let lower = message.to_lowercase();
                // Linux/glibc, Windows (WSAHOST_NOT_FOUND, 11001), macOS.
                let no_name = [
                    "lookup",
                    "resolve",
                    "host not found",
                    "no such host",
                    "name or service not known",
                    "nodename nor servname",
                    "os error 11001",
                ]
                .iter()
                .any(|p| lower.contains(p));
                if no_name {
                    Some((
                        "unreachable",
                        format!(
                            "the server name in {host} does not resolve ({message}): check the \
                             address for a typo"
                        ),
                    ))
                } else if self.unreachable_streak >= 3
                    && !self.spec.profile.reconnect.quiet_unreachable
                {
                    Some((
                        "unreachable",
                        format!(
                            "cannot reach {host} ({message}): check that the server runs and the \
                             address and port are right; Aviso keeps trying"
                        ),
                    ))
                } else {
                    None
                }
            }
            Failure::Transient(Detail::Protocol) if self.unreachable_streak >= 3 => Some((
                "protocol",
                format!(
                    "the server at {host} does not answer as this profile expects ({message}): \
                     check the address and the profile (`{}`, transport {:?})",
                    self.spec.profile.name, self.spec.profile.transport
                ),
            )),
            _ => None,
        };
        if let Some((code, message)) = said {
            if self.primary() && !std::mem::replace(&mut self.connect_problem_said, true) {
                self.error(code, message).await;
            }
        }
    }

    async fn connect_websocket(&mut self, token: Option<&Secret>) -> Result<Connection, Input> {
        let url = match self.endpoint().websocket_url(token) {
            Ok(u) => u,
            Err(message) => {
                self.error("bad_profile", message).await;
                return Err(Input::ConnectFailed(Failure::NoWebSocket));
            }
        };
        let shown = target::shown(&url, &self.spec.profile);
        tracing::debug!(account = %self.account(), url = %shown, "connecting");
        let target = self
            .endpoint()
            .websocket(url, token, self.shared.tls.clone());
        match websocket::connect(target).await {
            Ok(conn) => Ok(conn),
            Err((failure, message)) => Err(self.connect_failed(failure, message).await),
        }
    }

    async fn connect_socketio(&mut self, token: Option<&Secret>) -> Result<Connection, Input> {
        let target = match self
            .endpoint()
            .socketio(token, self.shared.extra_ca.clone())
        {
            Ok(t) => t,
            Err(message) => {
                self.error("bad_profile", message).await;
                return Err(Input::ConnectFailed(Failure::NoWebSocket));
            }
        };
        let shown = target::shown(&target.url, &self.spec.profile);
        tracing::debug!(account = %self.account(), url = %shown, namespace = %target.namespace, "connecting (Socket.IO)");
        match socketio::connect(target).await {
            Ok(conn) => Ok(conn),
            Err((failure, message)) => Err(self.connect_failed(failure, message).await),
        }
    }

    /// The key of this link's stream position in the store.
    fn event_id_channel(&self) -> &str {
        self.channel.as_deref().unwrap_or("")
    }

    /// The last SSE event id: from the store the first time (a restart resumes from it).
    fn last_event_id(&mut self) -> Option<String> {
        if self.event_id.is_none() {
            let stored = self
                .shared
                .store
                .event_id(self.account(), self.event_id_channel());
            self.event_id = Some(stored.unwrap_or_else(|e| {
                tracing::warn!(account = %self.account(), "cannot read the stream position: {e}");
                None
            }));
        }
        self.event_id.clone().flatten()
    }

    /// The stream moved to `id` and everything before it is stored: keep it.
    async fn on_event_id(&mut self, id: String) {
        if self.spec.profile.sse.ignore_ids.contains(&id) {
            return;
        }
        let channel = self.event_id_channel().to_string();
        if let Err(e) = self
            .shared
            .store
            .set_event_id(self.account(), &channel, &id)
        {
            // The id is kept in memory meanwhile; after a restart the server replays a
            // little more, which the store de-duplicates.
            tracing::info!(account = %self.account(), "stream position not saved: {e}");
        }
        self.event_id = Some(Some(id));
    }

    async fn connect_sse(&mut self, token: Option<&Secret>) -> Result<Connection, Input> {
        let url = match self.endpoint().sse_url(token) {
            Ok(u) => u,
            Err(message) => {
                self.error("bad_profile", message).await;
                return Err(Input::ConnectFailed(Failure::NoWebSocket));
            }
        };
        let last_event_id = self.last_event_id();
        let shown = target::shown(&url, &self.spec.profile);
        tracing::debug!(account = %self.account(), url = %shown, last_event_id = ?last_event_id, "connecting (SSE)");
        let target = self.endpoint().sse(url, token, last_event_id);
        match sse::connect(&self.shared.http, target).await {
            Ok(conn) => Ok(conn),
            Err((failure, message)) => Err(self.connect_failed(failure, message).await),
        }
    }

    /// A failed connect is logged; a TLS refusal, which needs the user, is an error line
    /// each time, and what cannot work as configured is said once (`say_connect_problem`).
    async fn connect_failed(&mut self, failure: Failure, message: String) -> Input {
        tracing::info!(account = %self.account(), channel = ?self.channel, "connect failed: {message}");
        if failure == Failure::Transient(Detail::Tls) {
            self.error("tls", message).await;
        } else {
            self.say_connect_problem(failure, &message).await;
        }
        Input::ConnectFailed(failure)
    }

    fn polling(&self) -> bool {
        self.session.snapshot().state == ConnState::Polling
    }

    /// A catch-up: the REST list after the cursor; a stream's current values (a REST
    /// snapshot while polling, the refresh frame over the socket while live); the health
    /// check.
    async fn fetch(&mut self) -> Result<(), Failure> {
        // No list on this server is said, and the rest of the catch-up still runs.
        let caught = self.catch_up().await;
        if caught.is_err() && caught != Err(Failure::Transient(Detail::NoCatchUp)) {
            return caught;
        }
        self.reconcile_reads().await;
        let profile = self.spec.profile.clone();
        if self.polling() {
            if !profile.rest.snapshot.is_empty() {
                self.snapshot(&profile).await?;
            }
        } else if !profile.websocket.refresh_frame.is_empty() {
            if let Some(conn) = &self.conn {
                let _ = conn
                    .tx
                    .try_send(Outbound::Text(profile.websocket.refresh_frame.clone()));
            }
        }
        if !profile.rest.health.is_empty() {
            let value = self.rest_json(&profile.rest.health, &[]).await?;
            self.on_stream(HEALTH_CHANNEL, "health", &value).await;
        }
        caught
    }

    /// A stream's current value over REST: the first spelling of the path this server has
    /// (kept), its answer read as a frame, or as the channel's value when it is bare.
    async fn snapshot(&mut self, profile: &Profile) -> Result<(), Failure> {
        let channel = self.channel.clone().unwrap_or_default();
        let kebab = channel.replace('_', "-");
        let extra = [
            ("channel", channel.as_str()),
            ("channel_kebab", kebab.as_str()),
        ];
        let specs: Vec<&String> = std::iter::once(&profile.rest.snapshot)
            .chain(&profile.rest.snapshot_alternatives)
            .collect();
        let token = self.access().await.map_err(|e| e.failure())?;
        let mut at = self.snapshot_at.min(specs.len() - 1);
        let value = loop {
            match self.rest.get_json(specs[at], token.as_ref(), &extra).await {
                Ok(value) => break value,
                Err(RestError::NotFound) if at + 1 < specs.len() => at += 1,
                Err(RestError::NotFound) if self.snapshot_at != 0 => at = 0,
                Err(e) => {
                    tracing::info!(account = %self.account(), channel = ?self.channel, "REST snapshot failed: {e}");
                    return Err(e.failure());
                }
            }
            if at == self.snapshot_at {
                return Err(Failure::NoWebSocket);
            }
        };
        self.snapshot_at = at;
        let typed = crate::template::lookup(&value, &profile.frames.type_field)
            .is_some_and(Value::is_string);
        if typed || profile.frames.type_field.is_empty() {
            self.on_frame(&value.to_string()).await;
            return Ok(());
        }
        // The data alone: the channel's value, as the frame type it stands for.
        let event = profile
            .rest
            .snapshot_types
            .get(&channel)
            .cloned()
            .unwrap_or_else(|| channel.clone());
        match profile.frames.types.get(&event) {
            Some(rule)
                if rule.action == crate::profile::FrameAction::Stream && !rule.path.is_empty() =>
            {
                let mut frame = serde_json::Map::new();
                frame.insert(profile.frames.type_field.clone(), Value::String(event));
                let mut frame = Value::Object(frame);
                crate::template::set_path(&mut frame, &rule.path, value);
                self.on_frame(&frame.to_string()).await;
            }
            _ => self.on_stream(&channel, &event, &value).await,
        }
        Ok(())
    }

    async fn rest_json(&mut self, spec: &str, extra: &[(&str, &str)]) -> Result<Value, Failure> {
        let token = self.access().await.map_err(|e| e.failure())?;
        self.rest
            .get_json(spec, token.as_ref(), extra)
            .await
            .map_err(|e| {
                tracing::info!(account = %self.account(), channel = ?self.channel, "REST read failed: {e}");
                e.failure()
            })
    }

    /// Reads made on another device (see `catchup::ReadCheck`) become read here too, and
    /// are told.
    async fn reconcile_reads(&mut self) {
        if !self.reads.due(&self.spec.profile) {
            return;
        }
        let store = self.shared.store.clone();
        let account = self.spec.name.clone();
        let local = match store.unread_ids(&account) {
            Ok(ids) if !ids.is_empty() => ids,
            _ => return,
        };
        self.reads.started();
        let Ok(token) = self.access().await else {
            return;
        };
        let read_there = self
            .reads
            .read_there(&self.rest, &self.spec, token.as_ref(), local)
            .await;
        if read_there.is_empty() {
            return;
        }
        match store.mark_read(&account, &read_there, false) {
            Ok(changed) if !changed.is_empty() => {
                tracing::info!(account = %account, n = changed.len(), "read on another device");
                self.emit(EngineEvent::Read {
                    account,
                    ids: changed,
                    all: false,
                })
                .await;
                self.emit_unread().await;
            }
            Ok(_) => {}
            Err(e) => self.error(e.code(), e.to_string()).await,
        }
    }

    async fn catch_up(&mut self) -> Result<(), Failure> {
        if !self.rest.can_list() {
            return Ok(());
        }
        if self.no_catch_up {
            return Err(Failure::Transient(Detail::NoCatchUp));
        }
        let token = self.access().await.map_err(|e| e.failure())?;
        let store = self.shared.store.clone();
        let mut run = match catchup::CatchUp::start(&store, &self.spec) {
            Ok(run) => run,
            Err(e) => {
                self.error(e.code(), e.to_string()).await;
                return Err(Failure::Transient(Detail::ServerError));
            }
        };
        let mut brought = 0;
        let result = loop {
            let page = run
                .next_page(
                    &self.rest,
                    &store,
                    &self.spec,
                    token.as_ref(),
                    &mut self.twins,
                )
                .await;
            match page {
                Ok(Some(outcome)) => {
                    for e in &outcome.errors {
                        self.error(e.code, e.message.clone()).await;
                    }
                    brought += outcome.ingest.new.len() as u64;
                    self.ingested(outcome.ingest).await;
                }
                Ok(None) => {
                    if std::mem::take(&mut self.catch_up_failing) {
                        tracing::info!(account = %self.account(), "catch-up works again");
                    }
                    break Ok(());
                }
                Err(catchup::CatchUpError::Rest(e))
                    if self.spec.profile.rest.list_optional
                        && matches!(e.status(), Some(404 | 405 | 501)) =>
                {
                    self.no_catch_up = true;
                    tracing::info!(
                        account = %self.account(),
                        "the server has no {} ({e}): events sent while disconnected cannot be recovered; name its list in a profile (rest.list)",
                        self.spec.profile.rest.list.split('?').next().unwrap_or_default()
                    );
                    break Err(Failure::Transient(Detail::NoCatchUp));
                }
                Err(catchup::CatchUpError::Rest(e)) if e.is_persistent() => {
                    if !std::mem::replace(&mut self.catch_up_failing, true) {
                        let message = catchup::failed_message(&self.spec.profile, &e);
                        self.error("catch_up_failed", message).await;
                    } else {
                        tracing::info!(account = %self.account(), "catch-up failed again: {e}");
                    }
                    break Err(Failure::Transient(Detail::CatchUpFailed));
                }
                Err(catchup::CatchUpError::Rest(e)) => {
                    tracing::info!(account = %self.account(), "catch-up failed: {e}");
                    break Err(e.failure());
                }
                Err(catchup::CatchUpError::Store(e)) => {
                    self.error(e.code(), e.to_string()).await;
                    break Err(Failure::Transient(Detail::ServerError));
                }
            }
        };
        self.shared
            .health
            .caught_up(self.account(), brought, result.is_ok());
        result
    }

    /// Emits what a stored batch changed.
    async fn ingested(&mut self, ingest: Ingest) {
        match &ingest.unsaved {
            Some(e) if !self.storage_failing => {
                self.storage_failing = true;
                let text = format!(
                    "cannot save notifications ({e}); they are kept in memory and saved as soon as the disk can be written"
                );
                self.error(e.code(), text).await;
            }
            None if self.storage_failing => {
                self.storage_failing = false;
                tracing::info!(account = %self.account(), "notifications are saved again");
            }
            _ => {}
        }
        let changed = !ingest.new.is_empty() || !ingest.read_elsewhere.is_empty();
        let delta = ingest.new.iter().filter(|n| !n.read).count() as i64
            - ingest.read_elsewhere.len() as i64;
        for n in ingest.new {
            self.emit(EngineEvent::Notification(n)).await;
        }
        if !ingest.read_elsewhere.is_empty() {
            self.emit(EngineEvent::Read {
                account: self.account().into(),
                ids: ingest.read_elsewhere,
                all: false,
            })
            .await;
        }
        if changed {
            self.emit_unread_after(delta).await;
        }
    }

    async fn on_inbound(&mut self, inbound: Inbound) {
        // SSE: the stream's position after the batch's frames, saved once they are stored.
        let (text, mut position) = match inbound {
            Inbound::Text(text) => (text, None),
            Inbound::TextAt(text, id) => (text, Some(id)),
            other => return self.on_signal(other).await,
        };
        self.step(Input::Activity).await;
        // Frames already waiting are handled with this one, their notifications stored in
        // one transaction: a burst costs a commit per batch, not per frame. Nothing waits
        // for more frames to come, so a lone frame is stored as soon as it arrives.
        let mut batch = Vec::new();
        let mut next = Some(text);
        let mut left = BATCH_FRAMES;
        let mut signal = None;
        while let Some(text) = next.take() {
            self.on_frame_into(&text, &mut batch).await;
            left -= 1;
            if left == 0 {
                break;
            }
            loop {
                match self.conn.as_mut().map(|c| c.rx.try_recv()) {
                    Some(Ok(Inbound::Text(t))) => next = Some(t),
                    Some(Ok(Inbound::TextAt(t, id))) => {
                        next = Some(t);
                        position = Some(id);
                    }
                    Some(Ok(Inbound::EventId(id))) => {
                        position = Some(id);
                        continue;
                    }
                    Some(Ok(other)) => signal = Some(other),
                    _ => {}
                }
                break;
            }
        }
        // Stored, then the position saved, then announced: whoever saw a notification (a
        // `watch` line, a toast) can count on its position being kept, even if the process
        // is killed right after (TerminateProcess on Windows runs no shutdown).
        let mut ingest = None;
        if !batch.is_empty() {
            ingest = self.ingest(&batch).await;
            if ingest.is_none() {
                // Not stored: keep the old position, so the server replays the batch.
                position = None;
            }
        }
        if let Some(id) = position {
            self.on_event_id(id).await;
        }
        let pushed = ingest.as_ref().is_some_and(|i| !i.new.is_empty());
        if let Some(ingest) = ingest {
            self.ingested(ingest).await;
        }
        if pushed {
            // A catch-up follows once pushes stop: what the server dropped comes back.
            self.step(Input::Pushed).await;
        }
        if let Some(signal) = signal {
            self.on_signal(signal).await;
        }
    }

    /// Everything but a text frame.
    async fn on_signal(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Text(text) => self.on_frame(&text).await,
            Inbound::TextAt(text, id) => {
                self.on_frame(&text).await;
                self.on_event_id(id).await;
            }
            Inbound::Alive => {
                if self.primary() {
                    self.shared.health.pong(self.account());
                }
                self.step(Input::Activity).await
            }
            Inbound::EventId(id) => self.on_event_id(id).await,
            Inbound::Retry(wish) => {
                tracing::debug!(account = %self.account(), ?wish, "the server asks for this reconnect delay");
                self.session.server_retry(wish);
            }
            Inbound::Garbage { code, message } => {
                self.step(Input::Activity).await;
                self.error(code, message).await;
            }
            Inbound::Closed { failure, message } => {
                tracing::info!(account = %self.account(), channel = ?self.channel, "connection closed: {message}");
                if failure == Failure::Transient(Detail::Protocol) {
                    // E.g. invalid UTF-8 in a text frame: the WebSocket protocol forbids it,
                    // so the connection is lost; say why before reconnecting.
                    let text = format!("the server sent invalid data ({message}); reconnecting");
                    self.error("bad_frame", text).await;
                }
                self.conn = None;
                self.courier.connection_lost();
                self.step(Input::Closed(failure)).await;
            }
        }
    }

    async fn on_frame(&mut self, text: &str) {
        let mut batch = Vec::new();
        self.on_frame_into(text, &mut batch).await;
        if !batch.is_empty() {
            self.store_items(&batch).await;
        }
    }

    /// Handles one frame; its notifications join `batch` (stored by the caller). Anything
    /// else first stores the batch, so effects keep the order of the frames.
    async fn on_frame_into(&mut self, text: &str, batch: &mut Vec<Notification>) {
        let parsed = frame::parse_frame(&self.spec.profile, self.account(), text);
        let mut became = Vec::new();
        let tapped = self.shared.tap.get().cloned();
        let (inbound, errors) = match parsed {
            Ok(pair) => pair,
            Err(e) => {
                if let Some(tap) = &tapped {
                    self.tap(tap, text, vec![Became::from(&e)]);
                }
                return self.error(e.code, e.message).await;
            }
        };
        if tapped.is_some() {
            became.extend(errors.iter().map(Became::from));
            became.extend(inbound.became(self.channel.as_deref()));
        }
        for e in errors {
            self.error(e.code, e.message).await;
        }
        let inbound = match inbound {
            Frame::Notifications(items) => {
                if let Some(tap) = &tapped {
                    self.tap(tap, text, became);
                }
                return batch.extend(items);
            }
            Frame::Event { notification, twin } => {
                let store = &self.shared.store;
                let account = self.spec.name.as_str();
                let in_batch = |id: &str| batch.iter().any(|n| n.id == id);
                let taken =
                    |id: &str| in_batch(id) || matches!(store.get(account, id), Ok(Some(_)));
                let (n, is_twin) =
                    self.twins
                        .admit(notification, twin, std::time::Instant::now(), taken);
                if let Some(tap) = &tapped {
                    became.push(if is_twin {
                        Became::Twin {
                            id: n.id.clone(),
                            kind: n.kind.clone(),
                        }
                    } else {
                        Became::notification(&n)
                    });
                    self.tap(tap, text, became);
                }
                return batch.push(n);
            }
            other => other,
        };
        if let Some(tap) = &tapped {
            self.tap(tap, text, became);
        }
        if !batch.is_empty() {
            let items = std::mem::take(batch);
            self.store_items(&items).await;
        }
        match inbound {
            Frame::Notifications(_) | Frame::Event { .. } => unreachable!("handled above"),
            Frame::Control { event, data } => {
                // A greeting: what it says about the connection (socket id, rooms, server
                // version) is the stream channel `connection`, not a notification.
                self.on_stream("connection", &event, &data).await;
            }
            Frame::ServerError(message) => self.on_server_error(message).await,
            Frame::ReadAck(id) => self.on_read_ack(&id).await,
            Frame::Stream {
                channel,
                event,
                data,
            } => {
                let channel = channel
                    .or_else(|| self.channel.clone())
                    .unwrap_or_else(|| event.clone());
                self.on_stream(&channel, &event, &data).await;
            }
            Frame::Pong | Frame::Ignored => {}
        }
    }

    fn tap(&self, tap: &mpsc::UnboundedSender<frame::Tapped>, text: &str, became: Vec<Became>) {
        let _ = tap.send(frame::Tapped {
            account: self.spec.name.clone(),
            channel: self.channel.clone(),
            frame: text.to_string(),
            became,
        });
    }

    /// A live value: kept as the channel's latest, emitted when it changed, and checked
    /// against the profile's alerts.
    async fn on_stream(&mut self, channel: &str, event: &str, data: &Value) {
        let account = self.spec.name.clone();
        let streams = self.shared.streams.clone();
        if !streams.update(&account, channel, event, data, &now_rfc3339()) {
            return;
        }
        if !self.stream_channels.iter().any(|c| c == channel) {
            // A channel the profile did not name (a `stream` rule for any event type):
            // from now on it follows this link's state too.
            self.stream_channels.push(channel.to_string());
            let state = StreamState::of(self.session.snapshot().state);
            streams.set_state(&account, channel, state);
        }
        self.emit(EngineEvent::Stream {
            account: account.clone(),
            channel: channel.to_string(),
            event: event.to_string(),
            data: data.clone(),
        })
        .await;
        let profile = self.spec.profile.clone();
        let (raised, errors) = self.alerts.check(
            &profile.alerts,
            &self.params,
            &account,
            channel,
            event,
            data,
        );
        for e in errors {
            self.error(e.code, e.message).await;
        }
        if !raised.is_empty() {
            self.store_items(&raised).await;
        }
    }

    /// The server confirmed a mark-read sent over the socket.
    async fn on_read_ack(&mut self, id: &str) {
        let store = self.shared.store.clone();
        let confirmed = self
            .courier
            .confirmed(&store, &self.spec.name, id, Instant::now());
        if let Err(e) = confirmed {
            self.error(e.code(), e.to_string()).await;
        }
    }

    /// An in-band error: the answer to the oldest mark-read in flight, if any (see
    /// `outbox::Courier::refused`).
    async fn on_server_error(&mut self, message: String) {
        let store = self.shared.store.clone();
        let Some((id, dropped)) = self.courier.refused(&store, &self.spec.name) else {
            return self.error("server_error", message).await;
        };
        if let Err(e) = dropped {
            self.error(e.code(), e.to_string()).await;
        }
        self.error(
            "server_error",
            format!("the server refused to mark {id} read: {message}"),
        )
        .await;
    }

    async fn store_items(&mut self, items: &[Notification]) {
        if let Some(ingest) = self.ingest(items).await {
            self.ingested(ingest).await;
        }
    }

    /// Stores `items` without announcing them; a failure is reported and gives `None`.
    async fn ingest(&mut self, items: &[Notification]) -> Option<Ingest> {
        match self.shared.store.ingest(items) {
            Ok(ingest) => Some(ingest),
            Err(e) => {
                self.error(e.code(), e.to_string()).await;
                None
            }
        }
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::MarkRead(ids) => self.mark(Some(ids)).await,
            Command::MarkAllRead => self.mark(None).await,
            Command::MarkedElsewhere { ids, all } => {
                self.emit(EngineEvent::Read {
                    account: self.spec.name.clone(),
                    ids,
                    all,
                })
                .await;
                self.emit_unread().await;
            }
            Command::Wake => self.step(Input::Wake).await,
            Command::Login(tokens) => {
                self.tokens.set(tokens).await;
                self.step(Input::Resume).await;
            }
            Command::Resume => self.step(Input::Resume).await,
        }
    }

    async fn mark(&mut self, ids: Option<Vec<String>>) {
        let store = self.shared.store.clone();
        let account = self.spec.name.clone();
        match outbox::queue_marks(&store, &account, &self.spec.profile, ids.as_deref()) {
            Ok(marked) => {
                if marked.all {
                    self.settle_read_marks();
                }
                if !marked.ids.is_empty() || marked.all {
                    self.emit(EngineEvent::Read {
                        account: account.clone(),
                        ids: marked.ids,
                        all: marked.all,
                    })
                    .await;
                    self.emit_unread().await;
                }
                self.flush_outbox().await;
            }
            Err(e) => self.error(e.code(), e.to_string()).await,
        }
    }

    /// Folds a mark-all-read watermark into the rows, in small steps off the async
    /// threads, so the click itself stays instant and later unread queries stay cheap.
    fn settle_read_marks(&self) {
        let store = self.shared.store.clone();
        tokio::task::spawn_blocking(move || loop {
            match store.settle_read_marks(SETTLE_STEP) {
                Ok(0) => break,
                Ok(_) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => {
                    tracing::debug!("settling read marks later: {e}");
                    break;
                }
            }
        });
    }

    /// Sends queued mark-reads; what fails stays queued and is retried with a growing delay.
    async fn flush_outbox(&mut self) {
        if self.session.snapshot().state == ConnState::NeedsLogin {
            self.courier.look_later(Instant::now());
            return;
        }
        let live = self.session.snapshot().state == ConnState::Live && self.conn.is_some();
        if outbox::over_socket(&self.spec.profile) && live {
            let store = self.shared.store.clone();
            let conn = self.conn.as_ref();
            let sent = self.courier.send_over_socket(
                &store,
                &self.spec.name,
                &self.spec.profile,
                |frame| conn.is_some_and(|c| c.tx.try_send(Outbound::Text(frame)).is_ok()),
            );
            if let Err(e) = sent {
                self.error(e.code(), e.to_string()).await;
            }
            return;
        }
        let result = outbox::flush(
            &self.rest,
            &self.shared.store,
            &self.spec.name,
            &self.tokens,
        )
        .await;
        let pending = match result {
            Ok(flushed) => {
                if let Some(message) = flushed.forbidden_message() {
                    self.error("forbidden", message).await;
                }
                if flushed.read_all {
                    self.emit(EngineEvent::Read {
                        account: self.account().into(),
                        ids: Vec::new(),
                        all: true,
                    })
                    .await;
                    self.emit_unread().await;
                }
                flushed.pending
            }
            Err(e) if e.is_outage() => {
                tracing::info!(account = %self.account(), "mark-read not sent yet: {e}");
                1
            }
            Err(e) => {
                self.error(e.code(), e.to_string()).await;
                1
            }
        };
        self.courier.flushed(pending, Instant::now());
    }
}
