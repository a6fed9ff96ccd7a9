//! The WebSocket side: daphne's handshake answers (403 before `accept()`) and one task a socket.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{
    CONNECTION, HOST, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION,
    UPGRADE,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::auth::TokenType;
use crate::store::{DemoState, Outgoing, SocketSlot};
use crate::App;

/// The seed's `routing.py` path.
pub const WS_PATH: &str = "/ws/api/admin/notificaciones/";

pub(crate) fn routes() -> Router<App> {
    Router::new().route(WS_PATH, get(handshake))
}

// The upgrade is done by hand (not axum's `ws` extractor) because axum's `Message` cannot carry a
// text frame with invalid UTF-8, which the malformed-input tests need.
async fn handshake(State(app): State<App>, mut req: Request) -> Response {
    let state = &app.state;
    let headers = req.headers();
    let wants_upgrade = headers
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let Some(key) = headers.get(SEC_WEBSOCKET_KEY).filter(|_| wants_upgrade) else {
        // Plain HTTP on a WebSocket-only route: Django's URLconf does not know it.
        return StatusCode::NOT_FOUND.into_response();
    };
    let accept = derive_accept_key(key.as_bytes());
    let refuse = |status: StatusCode, reason: &str| {
        // Never the URL: its query string carries the token.
        tracing::info!(%status, reason, "websocket handshake refused");
        state.record(|s| s.ws_refused += 1);
        status.into_response()
    };
    if state.modes().ws_404 {
        return refuse(StatusCode::NOT_FOUND, "ws_404 mode");
    }
    // AllowedHostsOriginValidator wraps the auth middleware, so the Origin is checked first.
    if !origin_allowed(headers) {
        return refuse(StatusCode::FORBIDDEN, "origin not allowed");
    }
    if headers.get(SEC_WEBSOCKET_VERSION).is_none_or(|v| v != "13") {
        return refuse(StatusCode::BAD_REQUEST, "unsupported websocket version");
    }
    let query = req.uri().query().unwrap_or_default().as_bytes();
    let token = url::form_urlencoded::parse(query)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v);
    let user = match token.map(|t| state.check(&t, TokenType::Access)) {
        None => return refuse(StatusCode::FORBIDDEN, "no token"),
        Some(Err(e)) => return refuse(StatusCode::FORBIDDEN, &e.to_string()),
        Some(Ok(user)) if !user.is_staff => return refuse(StatusCode::FORBIDDEN, "not staff"),
        Some(Ok(user)) => user,
    };
    let upgrade = hyper::upgrade::on(&mut req);
    let slot = state.register_socket(user.id, &app.kill);
    state.record(|s| s.ws_accepted += 1);
    tracing::info!(
        socket = slot.id,
        username = user.username,
        "websocket accepted"
    );
    app.tracker.spawn(session(state.clone(), upgrade, slot));
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(CONNECTION, "Upgrade")
        .header(UPGRADE, "websocket")
        .header(SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .expect("static headers are valid")
}

/// Django's `AllowedHostsOriginValidator` with the development `ALLOWED_HOSTS` (localhost,
/// 127.0.0.1, [::1]) plus the host the client addressed the server by.
fn origin_allowed(headers: &HeaderMap) -> bool {
    let host_of = |value: &str| {
        let url = url::Url::parse(value).ok()?;
        url.host_str().map(str::to_ascii_lowercase)
    };
    let Some(origin) = headers
        .get(ORIGIN)
        .and_then(|o| o.to_str().ok())
        .and_then(host_of)
    else {
        return false;
    };
    let server = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| host_of(&format!("http://{h}")));
    ["localhost", "127.0.0.1", "[::1]"].contains(&origin.as_str()) || Some(origin) == server
}

/// Removes the socket from the registry however its task ends (returned, cancelled, panicked).
struct Registered {
    state: DemoState,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.state.unregister_socket(self.id);
    }
}

async fn session(state: DemoState, upgrade: OnUpgrade, slot: SocketSlot) {
    let _registered = Registered {
        state: state.clone(),
        id: slot.id,
    };
    let (id, cancel) = (slot.id, slot.cancel.clone());
    tokio::select! {
        // Dropping `serve` drops the connection: TCP closes with no close frame.
        () = cancel.cancelled() => tracing::info!(socket = id, "websocket dropped"),
        () = serve(&state, upgrade, slot) => tracing::info!(socket = id, "websocket closed"),
    }
}

async fn serve(state: &DemoState, upgrade: OnUpgrade, mut slot: SocketSlot) {
    let io = match upgrade.await {
        Ok(upgraded) => TokioIo::new(upgraded),
        Err(e) => return tracing::debug!(error = %e, "upgrade failed"),
    };
    let ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
    let (mut sink, mut stream) = ws.split();
    let (every, timeout) = (state.config().ping_interval, state.config().ping_timeout);
    let mut ping = tokio::time::interval_at(Instant::now() + every, every);
    let mut pong_due: Option<Instant> = None;
    loop {
        tokio::select! {
            out = slot.rx.recv() => match out {
                // Only SSE streams are sent events; a socket never is.
                Some(Outgoing::Event { .. }) => {}
                Some(Outgoing::Frame(message)) => {
                    if sink.send(message).await.is_err() {
                        return;
                    }
                    state.record(|s| s.frames_pushed += 1);
                }
                Some(Outgoing::Stall) | None => break,
            },
            _ = ping.tick() => {
                if pong_due.is_none() {
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        return;
                    }
                    pong_due = Some(Instant::now() + timeout);
                }
            }
            () = deadline(pong_due) => {
                // daphne (autobahn's autoPingTimeout) aborts the connection, no close frame.
                return tracing::info!(socket = slot.id, "no pong in time, dropping");
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Pong(_))) => pong_due = None,
                // Reading also flushes tungstenite's automatic pong and close replies.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
    // Stalled: `sink` and `stream` stay in scope, so the connection stays open, but nothing
    // touches them again; whatever is queued for the socket is discarded until it is dropped.
    tracing::info!(socket = slot.id, "websocket stalled");
    while slot.rx.recv().await.is_some() {}
}

async fn deadline(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
