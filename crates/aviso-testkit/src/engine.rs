//! One engine harness: an engine on a data directory, the accounts added to it, and every
//! event it emitted, with waits that name what they waited for and list what was seen.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aviso_demo::{DemoConfig, DemoControl, DemoServer, EmitSpec};
use aviso_engine::credentials::{Credentials, Tokens};
use aviso_engine::{
    AccountSpec, ConnState, Engine, EngineEvent, EngineOptions, ErrorCode, Notification, Profile,
};
use tokio::sync::mpsc::Receiver;
use tokio::time::{timeout, Instant};

use crate::{record_issued_tokens, ArtifactDir};

/// Waits (at most `secs`) for an event matching `pred`, keeping every event received in
/// `seen`; panics naming `what` and listing what was seen when none comes.
pub async fn wait_for(
    events: &mut Receiver<EngineEvent>,
    seen: &mut Vec<EngineEvent>,
    secs: f64,
    what: &str,
    pred: impl Fn(&EngineEvent) -> bool,
) -> EngineEvent {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, events.recv()).await {
            Ok(Some(e)) => {
                seen.push(e.clone());
                if pred(&e) {
                    return e;
                }
            }
            Ok(None) => panic!("engine stopped while waiting for {what}"),
            Err(_) => panic!("no {what} within {secs} s; seen: {seen:#?}"),
        }
    }
}

/// An account as tests add one: `server` parsed as the config does, `profile` the text of a
/// profile file (a [`crate::FastProfile`]'s), `params` checked against it.
pub fn account(name: &str, server: &str, profile: &str, params: &[(&str, &str)]) -> AccountSpec {
    let profile = Profile::parse("test", profile).expect("the test's profile parses");
    account_with(name, server, profile, params)
}

/// As [`account`], with a profile already parsed.
pub fn account_with(
    name: &str,
    server: &str,
    profile: Profile,
    params: &[(&str, &str)],
) -> AccountSpec {
    let params: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    profile
        .check_params(&params)
        .expect("the test gives the profile's parameters");
    AccountSpec {
        name: name.into(),
        server: aviso_engine::config::parse_server(server).expect("the test's server URL"),
        profile: Arc::new(profile),
        params,
    }
}

/// An engine and what it said. `seen` keeps every event any wait received, in order.
pub struct EngineRun {
    engine: Option<Engine>,
    pub events: Receiver<EngineEvent>,
    pub seen: Vec<EngineEvent>,
    data_dir: PathBuf,
    extra_ca: Option<PathBuf>,
    /// `None`: the keyring (the Secret Service of the test session).
    tokens: Option<Tokens>,
    accounts: Vec<AccountSpec>,
}

impl EngineRun {
    /// An engine on `data_dir` with `tokens` in memory (`None`: the keyring); no account yet.
    pub fn open(data_dir: &Path, tokens: Option<Tokens>) -> EngineRun {
        EngineRun::open_with_ca(data_dir, None, tokens)
    }

    /// As [`EngineRun::open`], trusting the CA certificates in `extra_ca` too.
    pub fn open_with_ca(
        data_dir: &Path,
        extra_ca: Option<&Path>,
        tokens: Option<Tokens>,
    ) -> EngineRun {
        let extra_ca = extra_ca.map(Path::to_path_buf);
        let (engine, events) = open_engine(data_dir, extra_ca.clone(), tokens.clone());
        EngineRun {
            engine: Some(engine),
            events,
            seen: Vec::new(),
            data_dir: data_dir.to_path_buf(),
            extra_ca,
            tokens,
            accounts: Vec::new(),
        }
    }

    /// The usual run: one account, `tienda`, on the demo at `demo` with `profile` (a profile
    /// file's text), signed in as `admin`.
    pub async fn on_demo(demo: &DemoServer, data_dir: &Path, profile: &str) -> EngineRun {
        let url = demo.http_url();
        let tokens = crate::demo::tokens(&url, "admin").await;
        let mut run = EngineRun::open(data_dir, Some(tokens));
        run.add(account("tienda", &url, profile, &[]));
        run
    }

    /// Adds an account (again after [`EngineRun::restart`]).
    pub fn add(&mut self, spec: AccountSpec) {
        self.engine().add(spec.clone());
        self.accounts.push(spec);
    }

    pub fn engine(&self) -> &Engine {
        self.engine.as_ref().expect("the engine runs")
    }

    /// Closes the engine as quitting Aviso does (until [`EngineRun::reopen`]).
    pub async fn close(&mut self) {
        if let Some(engine) = self.engine.take() {
            engine.shutdown().await;
        }
    }

    /// A new engine on the same data directory, with the same credentials and accounts; the
    /// events seen so far are forgotten.
    pub fn reopen(&mut self) {
        assert!(self.engine.is_none(), "close the engine first");
        let (engine, events) =
            open_engine(&self.data_dir, self.extra_ca.clone(), self.tokens.clone());
        for spec in &self.accounts {
            engine.add(spec.clone());
        }
        self.engine = Some(engine);
        self.events = events;
        self.seen.clear();
    }

    /// Closes the engine and keeps what it said until then; returns every event seen.
    pub async fn stop(mut self) -> Vec<EngineEvent> {
        self.close().await;
        while let Ok(e) = self.events.try_recv() {
            self.seen.push(e);
        }
        std::mem::take(&mut self.seen)
    }

    /// Waits (at most `secs`) for an event matching `pred`.
    pub async fn wait_for(
        &mut self,
        secs: f64,
        what: &str,
        pred: impl Fn(&EngineEvent) -> bool,
    ) -> EngineEvent {
        wait_for(&mut self.events, &mut self.seen, secs, what, pred).await
    }

    /// A state line (an account's or a channel's) in `state`.
    pub async fn wait_state(&mut self, secs: f64, state: ConnState) -> EngineEvent {
        self.wait_for(
            secs,
            state.as_str(),
            |e| matches!(e, EngineEvent::State { state: s, .. } if *s == state),
        )
        .await
    }

    /// The account's own state line (not a channel's) in `state`.
    pub async fn wait_account_state(&mut self, secs: f64, state: ConnState) -> EngineEvent {
        self.wait_for(
            secs,
            state.as_str(),
            |e| matches!(e, EngineEvent::State { state: s, channel: None, .. } if *s == state),
        )
        .await
    }

    /// The account's own state line in `state`, seen since `from` (an index into `seen`) or
    /// still to come.
    pub async fn wait_account_state_from(&mut self, secs: f64, state: ConnState, from: usize) {
        let is = |e: &EngineEvent| matches!(e, EngineEvent::State { state: s, channel: None, .. } if *s == state);
        if !self.seen[from..].iter().any(is) {
            self.wait_for(secs, state.as_str(), is).await;
        }
    }

    /// The account live (its own line).
    pub async fn live(&mut self) {
        self.wait_account_state(10.0, ConnState::Live).await;
    }

    pub fn notifications(&self) -> Vec<Notification> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                EngineEvent::Notification(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    /// The ids announced, in order, repeats included.
    pub fn notification_ids(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                EngineEvent::Notification(n) => Some(n.id.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn notified(&self) -> BTreeSet<String> {
        self.notification_ids().into_iter().collect()
    }

    /// Waits until every id in `want` was announced (each wait for the next one at most
    /// `secs`).
    pub async fn wait_ids(&mut self, secs: f64, want: &BTreeSet<String>) {
        while !want.is_subset(&self.notified()) {
            self.wait_for(secs, &format!("notifications {want:?}"), |e| {
                matches!(e, EngineEvent::Notification(_))
            })
            .await;
        }
    }

    /// Waits for `n` notifications in all.
    pub async fn wait_count(&mut self, secs: f64, n: usize) {
        while self.notification_ids().len() < n {
            self.wait_for(secs, &format!("{n} notifications"), |e| {
                matches!(e, EngineEvent::Notification(_))
            })
            .await;
        }
    }

    /// Waits (15 s in all) until every id in `ids` was announced, and fails on a second
    /// announcement of any.
    pub async fn announced(&mut self, ids: &[u64]) {
        let want: BTreeSet<String> = ids.iter().map(u64::to_string).collect();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got: Vec<&str> = self
                .seen
                .iter()
                .filter_map(|e| match e {
                    EngineEvent::Notification(n) if want.contains(&n.id) => Some(n.id.as_str()),
                    _ => None,
                })
                .collect();
            let unique: BTreeSet<_> = got.iter().collect();
            assert_eq!(unique.len(), got.len(), "announced twice: {got:?}");
            if got.len() == want.len() {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match timeout(left, self.events.recv()).await {
                Ok(Some(e)) => self.seen.push(e),
                _ => panic!(
                    "only {} of {} announced; seen: {:#?}",
                    got.len(),
                    want.len(),
                    self.seen
                ),
            }
        }
    }

    /// Receives events for `secs` (to show something does NOT happen).
    pub async fn drain(&mut self, secs: f64) {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        while let Ok(Some(e)) = timeout(
            deadline.saturating_duration_since(Instant::now()),
            self.events.recv(),
        )
        .await
        {
            self.seen.push(e);
        }
    }

    pub fn assert_no_duplicates(&self) {
        let ids = self.notification_ids();
        let unique: BTreeSet<_> = ids.iter().collect();
        assert_eq!(
            ids.len(),
            unique.len(),
            "a notification was announced twice: {ids:?}"
        );
    }

    /// The messages of the error events with `code`.
    pub fn errors(&self, code: ErrorCode) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                EngineEvent::Error {
                    code: c, message, ..
                } if *c == code => Some(message.clone()),
                _ => None,
            })
            .collect()
    }
}

fn open_engine(
    data_dir: &Path,
    extra_ca: Option<PathBuf>,
    tokens: Option<Tokens>,
) -> (Engine, Receiver<EngineEvent>) {
    let options = EngineOptions {
        data_dir: data_dir.to_path_buf(),
        extra_ca,
    };
    let credentials = match tokens {
        Some(t) => Credentials::in_memory(t),
        None => Credentials::keyring(),
    };
    match Engine::open(options, credentials) {
        Ok(pair) => pair,
        Err(e) => panic!("the engine did not open: {e}"),
    }
}

/// An [`EngineRun`] (which it derefs to) on a demo backend of its own: one account,
/// `tienda`, signed in as `admin`. A test may stop the demo (`demo.take()`) and start it
/// again at `addr` with the state it kept. Every token the demo issued is recorded for the
/// leak scan when this drops.
pub struct DemoRun {
    pub demo: Option<DemoServer>,
    pub addr: SocketAddr,
    pub control: DemoControl,
    run: EngineRun,
    _dir: ArtifactDir,
}

impl DemoRun {
    /// A demo with `config`, the engine on a folder of its own with `profile` (a profile
    /// file's text).
    pub async fn start_with(config: DemoConfig, profile: &str) -> DemoRun {
        let demo = crate::demo::start_with(config).await;
        let dir = ArtifactDir::new("engine");
        let run = EngineRun::on_demo(&demo, dir.path(), profile).await;
        DemoRun {
            addr: demo.addr(),
            control: demo.control(),
            demo: Some(demo),
            run,
            _dir: dir,
        }
    }

    /// `n` notifications from the demo (its defaults); their ids.
    pub fn emit(&self, n: usize) -> BTreeSet<String> {
        self.control
            .emit(n, &EmitSpec::default())
            .into_iter()
            .map(|id| id.to_string())
            .collect()
    }
}

impl Deref for DemoRun {
    type Target = EngineRun;
    fn deref(&self) -> &EngineRun {
        &self.run
    }
}

impl DerefMut for DemoRun {
    fn deref_mut(&mut self) -> &mut EngineRun {
        &mut self.run
    }
}

impl Drop for DemoRun {
    fn drop(&mut self) {
        record_issued_tokens(&self.control);
    }
}
