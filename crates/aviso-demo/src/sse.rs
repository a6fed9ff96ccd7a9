//! The SSE side: seed 000's notifications as a django-eventstream-style event stream, with
//! Last-Event-ID replay from the stored notifications and the same failure knobs as the
//! WebSocket (`ws_404`, `stall`, dropped connections, token expiry).

use std::collections::VecDeque;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::time::{Instant, Interval};

use crate::auth::TokenType;
use crate::store::{DemoState, Outgoing, SocketSlot};
use crate::App;

/// Where the stream is (the `smartsales-sse` preset's `sse.url`).
pub const SSE_PATH: &str = "/api/admin/notificaciones/eventos/";

pub(crate) fn routes() -> Router<App> {
    Router::new().route(SSE_PATH, get(stream))
}

/// One event as django-eventstream writes it; the id is the notification's (a number).
pub(crate) fn encode_event(id: u64, json: &str) -> String {
    format!("event: message\nid: {id}\ndata: {json}\n\n")
}

async fn stream(State(app): State<App>, req: Request) -> Response {
    let state = &app.state;
    let headers = req.headers();
    let last_event_id = headers
        .get("last-event-id")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    state.record(|s| s.sse_last_event_ids.push(last_event_id.clone()));
    let refuse = |status: StatusCode, reason: &str| {
        // Never the URL: its query string carries the token.
        tracing::info!(%status, reason, "event stream refused");
        state.record(|s| s.sse_refused += 1);
        (status, axum::Json(serde_json::json!({ "detail": reason }))).into_response()
    };
    if state.modes().ws_404 {
        return refuse(StatusCode::NOT_FOUND, "Not found.");
    }
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let query = req.uri().query().unwrap_or_default().as_bytes();
    let token = bearer.or_else(|| {
        url::form_urlencoded::parse(query)
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    // Like the seed's DRF views: 401 without a usable token, 403 for a user who is not staff.
    let user = match token.map(|t| state.check(&t, TokenType::Access)) {
        None => return refuse(StatusCode::UNAUTHORIZED, "no token"),
        Some(Err(e)) => return refuse(StatusCode::UNAUTHORIZED, &e.to_string()),
        Some(Ok(user)) if !user.is_staff => return refuse(StatusCode::FORBIDDEN, "not staff"),
        Some(Ok(user)) => user,
    };
    // An id that is not ours (or not a number) replays nothing; the REST catch-up covers it.
    let after = last_event_id.and_then(|id| id.trim().parse::<u64>().ok());
    let (slot, replay) = state.register_sse(user.id, &app.kill, after);
    state.record(|s| s.sse_accepted += 1);
    tracing::info!(
        socket = slot.id,
        username = user.username,
        replayed = replay.len(),
        "event stream opened"
    );
    let mut first = String::from(": open\n\n");
    if let Some(retry) = state.config().sse_retry {
        first.push_str(&format!("retry: {}\n\n", retry.as_millis()));
    }
    let every = state.config().ping_interval;
    let open = Open {
        _registered: Registered {
            state: state.clone(),
            id: slot.id,
        },
        state: state.clone(),
        slot,
        queued: replay.into(),
        first: Some(first),
        keep_alive: tokio::time::interval_at(Instant::now() + every, every),
        stalled: false,
    };
    let body = futures_util::stream::unfold(open, |mut open| async move {
        let next = open.next().await?;
        Some((next, open))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "text/event-stream")
        .header(CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .expect("static headers are valid")
}

/// Removes the stream from the registry however its body ends.
struct Registered {
    state: DemoState,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.state.unregister_socket(self.id);
    }
}

struct Open {
    _registered: Registered,
    state: DemoState,
    slot: SocketSlot,
    queued: VecDeque<String>,
    first: Option<String>,
    keep_alive: Interval,
    stalled: bool,
}

impl Open {
    /// The next chunk of the body; an error aborts the connection (no clean end), `None`
    /// ends it.
    async fn next(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if let Some(first) = self.first.take() {
            return Some(Ok(first.into()));
        }
        if let Some(event) = self.queued.pop_front() {
            self.state.record(|s| s.frames_pushed += 1);
            return Some(Ok(event.into()));
        }
        loop {
            tokio::select! {
                () = self.slot.cancel.cancelled() => {
                    tracing::info!(socket = self.slot.id, "event stream dropped");
                    return Some(Err(std::io::Error::other("dropped")));
                }
                out = self.slot.rx.recv() => match out {
                    None => return None,
                    // Stalled: the connection stays open and nothing is written again.
                    Some(_) if self.stalled => continue,
                    Some(Outgoing::Stall) => {
                        tracing::info!(socket = self.slot.id, "event stream stalled");
                        self.stalled = true;
                    }
                    Some(Outgoing::Event { id, json }) => {
                        self.state.record(|s| s.frames_pushed += 1);
                        return Some(Ok(encode_event(id, &json).into()));
                    }
                    // Raw frames are written verbatim: the malformed-input tests send SSE text.
                    Some(Outgoing::Frame(message)) => {
                        self.state.record(|s| s.frames_pushed += 1);
                        return Some(Ok(message.into_data()));
                    }
                },
                _ = self.keep_alive.tick(), if !self.stalled => {
                    return Some(Ok(Bytes::from_static(b": keep-alive\n\n")));
                }
            }
        }
    }
}
