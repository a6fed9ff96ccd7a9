//! One account's link to its server: runs the session state machine and performs its
//! actions (connect, ping, catch-up, refresh), stores what arrives, flushes the mark-read
//! outbox and emits `EngineEvent`s.
//!
//! A profile with `channels` (seed 002) has one socket per channel: the account then runs
//! one link per channel, each with its own session, sharing one [`TokenKeeper`] (so a
//! revoked token costs the server one refresh, not one per socket) and one [`Board`] that
//! folds the channels' states into the account's.
//!
//! # Layout
//!
//! - this file: the commands a link takes, the account's fan-out to its sockets ([`run`]),
//!   the loop that waits on them, and the session's steps and state lines;
//! - [`board`]: the pure fold of several sockets' states into the account's line;
//! - [`target`]: what each transport connects to (pure);
//! - `connect`: connecting, and what a failed connect tells the user;
//! - `inbound`: frames, stream values and signals from the socket;
//! - `fetch`: the REST reads of a fetch (catch-up, reads elsewhere, snapshot, health);
//! - `marks`: read marks and the outbox's sending ([`crate::outbox`] holds the logic);
//! - `unread`: the unread count line.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

pub use crate::account_spec::AccountSpec;
use crate::alert::Alerts;
use crate::auth::{AuthError, TokenKeeper};
use crate::catchup;
pub use crate::clock::{now_rfc3339, slept};
use crate::credentials::{Credentials, Tokens};
use crate::frame;
use crate::model::{ConnState, EngineEvent, StateDetail, StreamState};
use crate::outbox;
use crate::profile::HeartbeatMode;
use crate::rest::Rest;
use crate::secret::Secret;
use crate::session::{Action, Failure, Input, Policy, Session, Snapshot};
use crate::store::Store;
use crate::stream::Streams;
use crate::transport::{Connection, Inbound, Outbound};
use crate::ErrorCode;

pub mod board;
mod connect;
mod fetch;
mod inbound;
mod marks;
pub mod target;
mod unread;

pub use board::Board;
use board::{state_event, worth_a_line};
use connect::ConnectProblems;
use unread::UnreadLine;

/// How often to compare the wall clock with the monotonic one. Linux's monotonic clock
/// stops while the machine is suspended and the wall clock does not, so a gap between them
/// means the machine slept: sockets are then suspect and a catch-up is due. (The logind
/// `PrepareForSleep` signal is a faster, platform-specific trigger on top of this.)
const CLOCK_CHECK_EVERY: Duration = Duration::from_secs(10);

/// What the engine asks of an account's link.
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

/// What every link of an engine shares.
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

/// One socket's link (the account's only one, or one of its channels').
struct Link {
    // What it is.
    spec: AccountSpec,
    /// This socket's stream channel (profiles with `channels`).
    channel: Option<String>,
    /// The profile's `[params]` overlaid with the account's.
    params: BTreeMap<String, String>,
    shared: Arc<Shared>,
    /// The account's board and this socket's slot on it (profiles with `channels`).
    board: Option<(Arc<Board>, usize)>,

    // The session and its connection (connect.rs).
    session: Session,
    conn: Option<Connection>,
    /// The connections made so far (the frame tap says which one a frame came on).
    connections: u64,
    tokens: Arc<TokenKeeper>,
    /// The token generation of the last access token used, for `refresh_after`.
    generation: u64,
    rest: Rest,
    /// What failed connects have told the user.
    problems: ConnectProblems,
    /// The OS resume signal (see `Shared::wake`).
    resumed: tokio::sync::watch::Receiver<u64>,
    /// The last (wall, monotonic) clock reading, for sleep detection.
    clocks: (SystemTime, Instant),

    // State lines.
    published: Option<Snapshot>,
    /// The last state line said (see `worth_a_line`).
    said_line: Option<Snapshot>,
    /// Stream channels whose state follows this link's.
    stream_channels: Vec<String>,

    // What comes in (inbound.rs).
    alerts: Alerts,
    /// Recent events without ids, to show each once when the server sends it twice.
    twins: crate::twins::Twins,
    /// Storing failed (disk full, read-only…) and the user was told; notifications are
    /// held in memory meanwhile.
    storage_failing: bool,
    /// SSE: the last event id, sent as `Last-Event-ID` on every reconnect. Read from the
    /// store at the first connect (so it survives a restart), kept here too so a disk that
    /// cannot be written does not lose the position while we run.
    event_id: Option<Option<String>>,

    // REST reads (fetch.rs).
    /// Catch-up fails in a way asking again will not fix, and the user was told (once).
    catch_up_failing: bool,
    /// The optional REST list is not on this server (`rest.list_optional`): not asked
    /// again until the next connect.
    no_catch_up: bool,
    /// Which spelling of the REST snapshot works here (`rest.snapshot_alternatives`).
    snapshot_at: usize,
    /// Reads made on another device, compared after catch-ups.
    reads: catchup::ReadCheck,

    // Read marks and the unread count (marks.rs, unread.rs).
    /// When to send the outbox next, and what awaits the server's answer on the socket.
    courier: outbox::Courier,
    /// The unread count last told, and when the next line is due.
    unread: UnreadLine,
}

/// Runs an account until `cancel`: one link, or one per channel with the account's
/// commands passed on to them.
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
            connections: 0,
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
            problems: ConnectProblems::default(),
            resumed,
            unread: UnreadLine::default(),
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
                link.unread.due,
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
                    if link.unread.due.is_some_and(|at| at <= now) {
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
        if store.held_count() > 0
            || store
                .problems()
                .iter()
                .any(|p| p.code != ErrorCode::MovedAside)
        {
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

    async fn error(&self, code: ErrorCode, message: impl Into<String>) {
        let message = message.into();
        tracing::warn!(account = %self.account(), code = code.as_str(), "{message}");
        self.emit(EngineEvent::Error {
            account: self.account().into(),
            code,
            message,
        })
        .await;
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
        tracing::info!(account = %self.account(), channel = ?self.channel, state = snap.state.as_str(), detail = snap.detail.as_str(), "session state");
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
        if snap.state == ConnState::NeedsLogin
            && snap.detail == StateDetail::Forbidden
            && self.primary()
        {
            self.error(
                ErrorCode::Forbidden,
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

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::MarkRead(ids) => self.mark(Some(ids)).await,
            Command::MarkAllRead => self.mark(None).await,
            Command::MarkedElsewhere { ids, all } => self.marked_elsewhere(ids, all).await,
            Command::Wake => self.step(Input::Wake).await,
            Command::Login(tokens) => {
                self.tokens.set(tokens).await;
                self.step(Input::Resume).await;
            }
            Command::Resume => self.step(Input::Resume).await,
        }
    }
}
