//! What every benchmark needs: a demo server on 127.0.0.1:0, tokens for it, an engine on a
//! fresh data directory, and the baselines: a bare tokio-tungstenite reader and a bare SSE
//! reader.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use aviso_demo::{DemoConfig, DemoServer};
use aviso_engine::credentials::{Credentials, Tokens};
use aviso_engine::engine::http_client;
use aviso_engine::{AccountSpec, ConnState, Engine, EngineEvent, EngineOptions, Profile, Secret};
use futures_util::StreamExt;
use tokio::sync::mpsc::Receiver;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A demo server that generates nothing by itself: the bench emits every event.
pub fn quiet() -> DemoConfig {
    DemoConfig {
        event_interval: None,
        ..DemoConfig::default()
    }
}

pub async fn demo() -> Result<DemoServer> {
    Ok(DemoServer::start("127.0.0.1:0".parse()?, quiet()).await?)
}

/// A benchmark's folder: under the suite's artifacts when the test command runs the bench
/// smoke (its files are in the token scan), else a temporary one, removed when dropped.
pub fn scratch(name: &str) -> aviso_testkit::ArtifactDir {
    aviso_testkit::ArtifactDir::new(name)
}

/// Logs in as the demo's `admin` (the password is the user name). The tokens go in the
/// suite's ledger when it keeps one.
pub async fn tokens(http_url: &str) -> Result<Tokens> {
    let profile = Profile::load("smartsales")?;
    let tls = aviso_engine::tls::client_config(None)?;
    let server = url::Url::parse(http_url)?;
    let tokens = aviso_engine::auth::obtain(
        &http_client(&tls)?,
        &server,
        &profile.auth,
        "admin",
        &Secret::new("admin"),
    )
    .await?;
    aviso_testkit::record_tokens(
        std::iter::once(tokens.access.expose()).chain(tokens.refresh.as_ref().map(|r| r.expose())),
    );
    Ok(tokens)
}

/// An engine on `data_dir` with `accounts` accounts (`a0`, `a1`, …) on `server`, all
/// with `profile` (TOML) and the same tokens.
pub fn engine(
    data_dir: &std::path::Path,
    server: &str,
    tokens: Tokens,
    profile: &str,
    accounts: usize,
) -> Result<(Engine, Receiver<EngineEvent>)> {
    let options = EngineOptions {
        data_dir: data_dir.to_path_buf(),
        extra_ca: None,
    };
    let (engine, events) = Engine::open(options, Credentials::in_memory(tokens))?;
    let profile = Arc::new(Profile::parse("bench", profile)?);
    for i in 0..accounts {
        engine.add(AccountSpec {
            name: format!("a{i}"),
            server: url::Url::parse(server)?,
            profile: profile.clone(),
            params: Default::default(),
        });
    }
    Ok((engine, events))
}

/// The preset as users get it.
pub const SMARTSALES: &str = "extends = \"smartsales\"\n";
/// The SSE preset as users get it.
pub const SMARTSALES_SSE: &str = "extends = \"smartsales-sse\"\n";

/// Waits until the account (not a channel of it) reports `Live`.
pub async fn wait_live(events: &mut Receiver<EngineEvent>, secs: u64) -> Result<()> {
    tokio::time::timeout(Duration::from_secs(secs), live(events))
        .await
        .context("engine did not become live")?
}

async fn live(events: &mut Receiver<EngineEvent>) -> Result<()> {
    while let Some(e) = events.recv().await {
        if matches!(
            e,
            EngineEvent::State {
                state: ConnState::Live,
                channel: None,
                ..
            }
        ) {
            return Ok(());
        }
    }
    anyhow::bail!("engine stopped")
}

/// Waits until the account (not a channel of it) reports `Live` and the catch-up that
/// follows a connection is done. Events sent before then may come through that catch-up
/// (REST pages) instead of the socket: a benchmark of the socket would measure the other
/// path on some runs and not on others.
pub async fn wait_ready(
    engine: &Engine,
    events: &mut Receiver<EngineEvent>,
    secs: u64,
) -> Result<()> {
    tokio::time::timeout(Duration::from_secs(secs), async {
        live(events).await?;
        while engine
            .health(None)
            .iter()
            .any(|h| h.last_catch_up.is_none())
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    })
    .await
    .context("engine did not become live and caught up")?
}

/// The WebSocket URL the `smartsales` preset connects to.
pub fn ws_url(http_url: &str, token: &str) -> String {
    format!(
        "{}/ws/api/admin/notificaciones/?token={token}",
        http_url.replacen("http", "ws", 1)
    )
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The baseline client: tokio-tungstenite with an `Origin` header, nothing else (no store,
/// no catch-up, no de-duplication).
pub async fn bare_connect(http_url: &str, token: &str) -> Result<Socket> {
    let mut request = ws_url(http_url, token).into_client_request()?;
    request.headers_mut().insert("Origin", http_url.parse()?);
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(socket)
}

/// Reads text frames and hands each parsed frame to `f` until `f` returns false or the
/// socket closes.
pub async fn bare_read(
    mut socket: Socket,
    mut f: impl FnMut(serde_json::Value) -> bool,
) -> Result<()> {
    while let Some(msg) = socket.next().await {
        if let Message::Text(text) = msg? {
            let v: serde_json::Value = serde_json::from_str(&text)?;
            if !f(v) {
                break;
            }
        }
    }
    Ok(())
}

/// The SSE baseline: one streaming GET on the demo's event stream (reqwest, as the engine
/// uses), `data:` lines parsed as JSON and handed to `f` until it returns false. Nothing
/// else: no ids kept, no store, no catch-up, no de-duplication, no limits.
pub async fn bare_sse_read(
    http_url: &str,
    token: &str,
    mut f: impl FnMut(serde_json::Value) -> bool,
) -> Result<()> {
    let url = format!("{http_url}{}?token={token}", aviso_demo::SSE_PATH);
    let response = reqwest::Client::new()
        .get(url)
        .header("Accept", "text/event-stream")
        .send()
        .await?
        .error_for_status()?;
    let mut body = response.bytes_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = body.next().await {
        buf.extend_from_slice(&chunk?);
        while let Some(end) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=end).collect();
            if let Some(data) = line.strip_prefix(b"data: ") {
                let v: serde_json::Value = serde_json::from_slice(data)?;
                if !f(v) {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}
