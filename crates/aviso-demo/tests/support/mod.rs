//! Shared test helpers: a quiet demo server, a plain HTTP client and a WebSocket client.

#![allow(dead_code)] // each test binary uses its own subset

use std::time::Duration;

use aviso_demo::{DemoConfig, DemoServer, WS_PATH};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Long enough for anything expected to happen on loopback, even on a loaded 2-core box.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long "nothing arrives" is watched for.
pub const QUIET: Duration = Duration::from_millis(300);

/// A server without the event generator, so every notification comes from the test.
pub async fn start() -> DemoServer {
    start_with(DemoConfig {
        event_interval: None,
        ..DemoConfig::default()
    })
    .await
}

pub async fn start_with(config: DemoConfig) -> DemoServer {
    DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

pub fn http() -> reqwest::Client {
    // No proxy: a proxy set in the environment must not intercept loopback test traffic.
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// `(access, refresh)` for a demo user.
pub async fn login(server: &DemoServer, user: &str) -> (String, String) {
    let url = format!("{}/api/token/", server.http_url());
    let body: Value = http()
        .post(url)
        .json(&json!({"username": user, "password": user}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        body["access"].as_str().unwrap().into(),
        body["refresh"].as_str().unwrap().into(),
    )
}

/// GET with a bearer token: `(status, JSON body or Null)`.
pub async fn get(server: &DemoServer, path: &str, access: &str) -> (u16, Value) {
    let response = http()
        .get(format!("{}{path}", server.http_url()))
        .bearer_auth(access)
        .send()
        .await;
    let response = response.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// POST with a bearer token: `(status, JSON body or Null)`.
pub async fn post(server: &DemoServer, path: &str, access: &str) -> (u16, Value) {
    let response = http()
        .post(format!("{}{path}", server.http_url()))
        .bearer_auth(access)
        .send()
        .await;
    let response = response.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// Opens the notification socket; `Err(status)` when the handshake is refused.
pub async fn connect_with(
    server: &DemoServer,
    token: Option<&str>,
    origin: Option<&str>,
) -> Result<Ws, u16> {
    let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
    let url = format!("ws://{}{WS_PATH}{query}", server.addr());
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).unwrap());
    }
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(Error::Http(response))) => Err(response.status().as_u16()),
        other => panic!("handshake failed unexpectedly: {other:?}"),
    }
}

pub async fn connect(server: &DemoServer, access: &str) -> Ws {
    connect_with(server, Some(access), Some(&server.http_url()))
        .await
        .unwrap()
}

/// The next data frame, skipping pings; panics after [`WAIT`].
pub async fn next_frame(ws: &mut Ws) -> Message {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("no frame in time")
        {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return message,
            other => panic!("socket ended instead: {other:?}"),
        }
    }
}

pub async fn next_json(ws: &mut Ws) -> Value {
    match next_frame(ws).await {
        Message::Text(text) => serde_json::from_str(&text).unwrap(),
        other => panic!("not a text frame: {other:?}"),
    }
}

/// Asserts no data frame arrives for [`QUIET`].
pub async fn assert_silent(ws: &mut Ws) {
    let got = tokio::time::timeout(QUIET, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Ping(_))) => continue,
                other => return other,
            }
        }
    })
    .await;
    assert!(got.is_err(), "expected silence, got {got:?}");
}

/// Asserts the server dropped the connection without a close frame.
pub async fn assert_dropped(ws: &mut Ws) {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("socket still open")
        {
            Some(Ok(Message::Close(frame))) => panic!("got a close frame: {frame:?}"),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return,
        }
    }
}

/// Polls `check` until it holds, for at most [`WAIT`].
pub async fn eventually(mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in time"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
