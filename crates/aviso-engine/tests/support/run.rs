//! A small harness for engine tests: one engine with one account ("tienda", the fast
//! SmartSales profile) against a demo server, keeping every event it saw.

#![allow(dead_code)] // each test binary uses a part

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aviso_demo::{DemoConfig, DemoServer};
use aviso_engine::credentials::{Credentials, Tokens};
use aviso_engine::engine::http_client;
use aviso_engine::{AccountSpec, ConnState, Engine, EngineEvent, EngineOptions, Profile, Secret};
use tokio::sync::mpsc::Receiver;
use tokio::time::{timeout, Instant};

#[path = "events.rs"]
mod events;

const FAST: &str = aviso_demo::testkit::FAST_SMARTSALES_PROFILE;

pub struct Run {
    pub engine: Engine,
    pub events: Receiver<EngineEvent>,
    pub seen: Vec<EngineEvent>,
}

impl Run {
    pub async fn start(demo: &DemoServer, data_dir: &Path) -> Run {
        let tokens = tokens_for(&demo.http_url()).await;
        let options = EngineOptions {
            data_dir: data_dir.to_path_buf(),
            extra_ca: None,
        };
        let (engine, events) = Engine::open(options, Credentials::in_memory(tokens)).unwrap();
        engine.add(AccountSpec {
            name: "tienda".into(),
            server: url::Url::parse(&demo.http_url()).unwrap(),
            profile: Arc::new(Profile::parse("fast", FAST).unwrap()),
            params: Default::default(),
        });
        Run {
            engine,
            events,
            seen: Vec::new(),
        }
    }

    pub async fn wait_for(
        &mut self,
        secs: f64,
        what: &str,
        pred: impl Fn(&EngineEvent) -> bool,
    ) -> EngineEvent {
        events::wait_for(&mut self.events, &mut self.seen, secs, what, pred).await
    }

    pub async fn live(&mut self) {
        self.wait_for(10.0, "live", |e| {
            matches!(
                e,
                EngineEvent::State {
                    state: ConnState::Live,
                    channel: None,
                    ..
                }
            )
        })
        .await;
    }

    /// Waits until every id in `ids` was announced once (and fails on a second time).
    pub async fn announced(&mut self, ids: &[u64]) {
        let want: std::collections::BTreeSet<String> = ids.iter().map(u64::to_string).collect();
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
            let unique: std::collections::BTreeSet<_> = got.iter().collect();
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

    pub fn errors(&self, code: aviso_engine::ErrorCode) -> Vec<String> {
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

async fn tokens_for(url: &str) -> Tokens {
    let profile = Profile::load("smartsales").unwrap();
    let tls = aviso_engine::tls::client_config(None).unwrap();
    aviso_engine::auth::obtain(
        &http_client(&tls).unwrap(),
        &url::Url::parse(url).unwrap(),
        &profile.auth,
        "admin",
        &Secret::new("admin"),
    )
    .await
    .expect("demo login")
}

pub async fn quiet_demo() -> DemoServer {
    let config = DemoConfig {
        event_interval: None,
        ..DemoConfig::default()
    };
    DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}
