//! The engine handle: runs one link per account and takes the embedder's calls.
//! Dropping it stops every link.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::{self, AuthError, TokenKeeper};
use crate::credentials::{Credentials, Tokens};
use crate::health::Health;
use crate::link::{self, AccountSpec, Command, Shared};
use crate::model::{EngineEvent, StreamChannel};
use crate::outbox::{self, FlushError, Flushed};
use crate::rest::Rest;
use crate::secret::Secret;
use crate::store::{Store, StoreError};
use crate::stream::Streams;
use crate::tls::{self, TlsError};

/// Events queued before a link waits for the embedder: enough for a burst, bounded so a
/// stalled embedder pushes back on the sockets instead of growing memory.
const EVENT_CAPACITY: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot create the data directory {path}: {message}")]
    DataDir { path: String, message: String },
    #[error("HTTP client setup failed: {0}")]
    Http(String),
    #[error("no running account named `{0}`")]
    UnknownAccount(String),
}

/// Where the engine keeps its data; resolved by the embedder.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub data_dir: PathBuf,
    pub extra_ca: Option<PathBuf>,
}

struct Running {
    commands: mpsc::Sender<Command>,
    task: JoinHandle<()>,
    cancel: CancellationToken,
}

pub struct Engine {
    shared: Arc<Shared>,
    links: Arc<Mutex<HashMap<String, Running>>>,
    cancel: CancellationToken,
    /// Whether the OS resume follower runs (started with the first account).
    follows_resume: std::sync::atomic::AtomicBool,
    /// The health publisher (started with the first account), awaited at shutdown so its
    /// last write comes before the rows are retired.
    publisher: Mutex<Option<JoinHandle<()>>>,
}

/// How often the store is asked whether another process wrote to it (`PRAGMA
/// data_version`: one cheap read, no file system watch to set up on any OS; a watch would
/// not do on Windows, where a file kept open is not reported as it grows). Once a second:
/// the one timer an idle engine keeps besides the heartbeat.
const MARKS_ELSEWHERE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The health facts with the store's figures.
fn health_now(shared: &Shared, account: Option<&str>) -> Vec<Health> {
    let store = &shared.store;
    let bytes = store.file_bytes();
    let mut out = shared.health.report(account);
    for h in &mut out {
        h.queued_marks = store.queued_marks(&h.account).unwrap_or(0);
        h.unread = store.unread_count(Some(&h.account)).unwrap_or(0);
        h.store_bytes = bytes;
    }
    out
}

/// Writes this process's health facts to the store for `aviso-cli status`: after a change
/// (at most once a second) and every [`crate::health::REFRESH_EVERY`], so a row that
/// stops being refreshed says its Aviso is gone. A store that cannot be written (full,
/// read-only) only loses this view.
async fn publish_health(shared: Arc<Shared>, cancel: CancellationToken) {
    loop {
        let shared2 = shared.clone();
        let written = tokio::task::spawn_blocking(move || {
            let facts = health_now(&shared2, None);
            shared2.store.put_health(&facts)
        })
        .await;
        if let Ok(Err(e)) = written {
            tracing::debug!("cannot publish the connection health: {e}");
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = shared.health.changed() => {}
            _ = tokio::time::sleep(crate::health::REFRESH_EVERY) => {}
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

/// Marks made by other processes on this machine (`aviso-cli mark-read` while the app or a
/// `watch` runs, two front ends at once) reach the running links, which tell their embedder
/// (`read` and `unread` events) within about a second.
async fn follow_marks_elsewhere(
    store: Arc<Store>,
    links: Arc<Mutex<HashMap<String, Running>>>,
    cancel: CancellationToken,
) {
    let (mut seq, mut version) = match (store.journal_seq(), store.data_version()) {
        (Ok(seq), Ok(version)) => (seq, version),
        // A store that cannot say (read-only, an old file): nothing to follow.
        _ => return,
    };
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(MARKS_ELSEWHERE_EVERY) => {}
        }
        // Inline, not on a blocking thread: one short read under the store's lock, as
        // every store call from a link is, and no second thread to wake each time.
        let checked = || -> Option<(i64, i64, Vec<_>)> {
            let now = store.data_version().ok()?;
            if now == version {
                return Some((now, seq, Vec::new()));
            }
            let (last, marks) = store.marks_since(seq).ok()?;
            Some((now, last, marks))
        };
        let Some((now, last, marks)) = checked() else {
            continue;
        };
        (version, seq) = (now, last);
        for m in marks {
            let tx = links
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&m.account)
                .map(|r| r.commands.clone());
            if let Some(tx) = tx {
                let _ = tx
                    .send(Command::MarkedElsewhere {
                        ids: m.ids,
                        all: m.all,
                    })
                    .await;
            }
        }
    }
}

/// Builds the HTTP client every REST call shares (rustls with our roots).
pub fn http_client(tls: &Arc<rustls::ClientConfig>) -> Result<reqwest::Client, EngineError> {
    reqwest::Client::builder()
        .use_preconfigured_tls((**tls).clone())
        .user_agent(concat!("Aviso/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| EngineError::Http(e.to_string()))
}

impl Engine {
    pub fn open(
        options: EngineOptions,
        creds: Credentials,
    ) -> Result<(Engine, mpsc::Receiver<EngineEvent>), EngineError> {
        std::fs::create_dir_all(&options.data_dir).map_err(|e| EngineError::DataDir {
            path: options.data_dir.display().to_string(),
            message: e.to_string(),
        })?;
        let store = Arc::new(Store::open(&options.data_dir.join("aviso.db"))?);
        let tls = tls::client_config(options.extra_ca.as_deref())?;
        let http = http_client(&tls)?;
        let (events, rx) = mpsc::channel(EVENT_CAPACITY);
        let shared = Arc::new(Shared {
            store,
            creds: Arc::new(creds),
            http,
            tls,
            events,
            streams: Arc::new(Streams::default()),
            extra_ca: options.extra_ca.clone(),
            wake: tokio::sync::watch::channel(0).0,
            tap: std::sync::OnceLock::new(),
            health: Default::default(),
        });
        Ok((
            Engine {
                shared,
                links: Arc::new(Mutex::new(HashMap::new())),
                cancel: CancellationToken::new(),
                follows_resume: std::sync::atomic::AtomicBool::new(false),
                publisher: Mutex::new(None),
            },
            rx,
        ))
    }

    /// Every frame the links receive from now on, with what it became (for `aviso-cli
    /// probe`). One listener; `None` when one already listens.
    pub fn tap_frames(&self) -> Option<mpsc::UnboundedReceiver<crate::frame::Tapped>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.shared.tap.set(tx).ok().map(|()| rx)
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.shared.store
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.shared.http
    }

    /// Starts (or restarts) an account's link. Needs a Tokio runtime.
    pub fn add(&self, spec: AccountSpec) {
        if !self
            .follows_resume
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            // The OS resume signal wakes every link (see `resume`).
            tokio::spawn(crate::resume::follow(
                self.shared.wake.clone(),
                self.cancel.child_token(),
            ));
            tokio::spawn(follow_marks_elsewhere(
                self.shared.store.clone(),
                self.links.clone(),
                self.cancel.child_token(),
            ));
            let publisher = tokio::spawn(publish_health(
                self.shared.clone(),
                self.cancel.child_token(),
            ));
            *self.publisher.lock().unwrap_or_else(|e| e.into_inner()) = Some(publisher);
        }
        // The server as the logs show it: no password, no query.
        let mut server = spec.server.clone();
        server.set_query(None);
        self.shared
            .health
            .add(&spec.name, crate::secret::redact_url(&server, &[]));
        let (tx, rx) = mpsc::channel(64);
        let cancel = self.cancel.child_token();
        let task = tokio::spawn(link::run(
            spec.clone(),
            self.shared.clone(),
            rx,
            cancel.clone(),
            rand::random(),
        ));
        let old = self.lock().insert(
            spec.name.clone(),
            Running {
                commands: tx,
                task,
                cancel,
            },
        );
        if let Some(old) = old {
            old.cancel.cancel();
        }
    }

    /// Stops an account's link and waits for it.
    pub async fn remove(&self, account: &str) {
        let running = self.lock().remove(account);
        if let Some(r) = running {
            r.cancel.cancel();
            let _ = r.task.await;
        }
        self.shared.streams.forget(account);
        self.shared.health.remove(account);
        let _ = self.shared.store.clear_health(Some(account));
    }

    /// Renames an account (`accounts::rename`): its link stops, its history, tokens and
    /// entry in `config.toml` move to the new name, and it starts again under that name
    /// (when it was running). On failure the old name keeps running.
    pub async fn rename_account(
        &self,
        config_path: &std::path::Path,
        from: &str,
        to: &str,
    ) -> Result<crate::config::AccountConfig, crate::accounts::RenameError> {
        let was_running = self.lock().contains_key(from);
        let spec_of = |a: &crate::config::AccountConfig| {
            a.spec().map_err(crate::accounts::RenameError::Config)
        };
        // Checked before anything stops.
        let to_checked = crate::accounts::check_name(to)?;
        let config = crate::config::Config::load(config_path)?;
        let old = config
            .accounts
            .iter()
            .find(|a| a.name == from)
            .cloned()
            .ok_or_else(|| crate::accounts::RenameError::UnknownAccount(from.to_string()))?;
        if to_checked != from && config.accounts.iter().any(|a| a.name == to_checked) {
            return Err(crate::accounts::RenameError::NameTaken(to_checked));
        }
        if was_running {
            self.remove(from).await;
        }
        let (path, store, creds) = (
            config_path.to_path_buf(),
            self.shared.store.clone(),
            self.shared.creds.clone(),
        );
        let (from_owned, to_owned) = (from.to_string(), to.to_string());
        let renamed = tokio::task::spawn_blocking(move || {
            crate::accounts::rename(&path, &store, &creds, &from_owned, &to_owned)
        })
        .await
        .unwrap_or_else(|e| {
            Err(crate::accounts::RenameError::Store(
                crate::store::StoreError::Other(e.to_string()),
            ))
        });
        let start = match &renamed {
            Ok(new) => new,
            Err(_) => &old,
        };
        if was_running {
            match spec_of(start) {
                Ok(spec) => self.add(spec),
                Err(e) => tracing::warn!("cannot start `{}` again: {e}", start.name),
            }
        }
        renamed
    }

    /// The connection health of `account` (every running account when `None`): what the
    /// links learnt, with the store's figures (queued mark-reads, unread, size).
    pub fn health(&self, account: Option<&str>) -> Vec<Health> {
        health_now(&self.shared, account)
    }

    /// One account reconnects and catches up now ("Reconectar ahora").
    pub async fn reconnect(&self, account: &str) -> Result<(), EngineError> {
        self.send(account, Command::Wake).await
    }

    /// Every stream channel of every running account, with its state and latest value
    /// (the live view: seed 002's channels, seed 003's dashboard and health). Changes
    /// arrive as `EngineEvent::Stream` and `EngineEvent::StreamState`.
    pub fn streams(&self) -> Vec<StreamChannel> {
        self.shared.streams.list()
    }

    pub fn accounts(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.links.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn send(&self, account: &str, command: Command) -> Result<(), EngineError> {
        let tx = self
            .lock()
            .get(account)
            .map(|r| r.commands.clone())
            .ok_or_else(|| EngineError::UnknownAccount(account.to_string()))?;
        tx.send(command)
            .await
            .map_err(|_| EngineError::UnknownAccount(account.to_string()))
    }

    /// Marks notifications read: locally at once, on the server when it can be reached.
    pub async fn mark_read(&self, account: &str, ids: Vec<String>) -> Result<(), EngineError> {
        self.send(account, Command::MarkRead(ids)).await
    }

    pub async fn mark_all_read(&self, account: &str) -> Result<(), EngineError> {
        self.send(account, Command::MarkAllRead).await
    }

    /// Every link reconnects and catches up now (after sleep, a network change…).
    pub async fn wake(&self) {
        let senders: Vec<_> = self.lock().values().map(|r| r.commands.clone()).collect();
        for tx in senders {
            let _ = tx.send(Command::Wake).await;
        }
    }

    /// Logs in with a username and password: tokens go to the keyring (the password is
    /// never stored) and the account's link (re)starts with them.
    pub async fn login(
        &self,
        spec: AccountSpec,
        username: &str,
        password: Secret,
    ) -> Result<(), AuthError> {
        let tokens = login(
            &self.shared.http,
            &self.shared.creds,
            &spec,
            username,
            &password,
        )
        .await?;
        let running = self.lock().get(&spec.name).map(|r| r.commands.clone());
        match running {
            Some(tx) if tx.send(Command::Login(tokens)).await.is_ok() => {}
            _ => self.add(spec),
        }
        Ok(())
    }

    /// Stops every link and waits for them.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let tasks: Vec<_> = self.lock().drain().map(|(_, r)| r.task).collect();
        for t in tasks {
            let _ = t.await;
        }
        let publisher = self
            .publisher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(p) = publisher {
            let _ = p.await;
        }
        // Nothing of this process runs any more: `aviso-cli status` says so at once, with
        // what was last known.
        let _ = self.shared.store.retire_health();
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Obtains tokens and stores them in the keyring (or keeps them in memory with the
/// environment override).
pub async fn login(
    http: &reqwest::Client,
    creds: &Arc<Credentials>,
    spec: &AccountSpec,
    username: &str,
    password: &Secret,
) -> Result<Tokens, AuthError> {
    let tokens = auth::obtain(http, &spec.server, &spec.profile.auth, username, password).await?;
    let creds = creds.clone();
    let account = spec.name.clone();
    let to_store = tokens.clone();
    tokio::task::spawn_blocking(move || creds.save(&account, &to_store))
        .await
        .map_err(|e| {
            AuthError::Credentials(crate::credentials::CredentialError::Other(e.to_string()))
        })??;
    Ok(tokens)
}

/// One attempt to send an account's queued mark-reads without running a link (the CLI's
/// `mark-read` when no session runs).
pub async fn flush_outbox_once(
    store: &Store,
    http: &reqwest::Client,
    creds: Arc<Credentials>,
    spec: &AccountSpec,
) -> Result<Flushed, FlushError> {
    let rest = Rest::new(
        http.clone(),
        spec.server.clone(),
        spec.profile.clone(),
        spec.params.clone(),
    );
    let tokens = TokenKeeper::new(
        &spec.name,
        spec.server.clone(),
        spec.profile.auth.clone(),
        http.clone(),
        creds,
    );
    outbox::flush(&rest, store, &spec.name, &tokens).await
}
