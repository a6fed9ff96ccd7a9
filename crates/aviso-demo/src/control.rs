//! Test controls: the [`DemoControl`] handle, and the same knobs over HTTP under `/__demo/`.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

use crate::auth::TokenType;
use crate::rest::Refusal;
use crate::store::{DemoState, UserNotification};
use crate::App;

/// What to emit. Unset fields come from a random sample event (of kind `tipo` when it names
/// one of [`EVENT_KINDS`](crate::EVENT_KINDS)); set ones override it verbatim, so tests can
/// send hostile content (`javascript:` URLs, markup, unknown kinds).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmitSpec {
    pub tipo: Option<String>,
    pub titulo: Option<String>,
    pub mensaje: Option<String>,
    pub url: Option<String>,
    pub datos: Option<Value>,
}

/// A frame sent as is to every open socket, for malformed-input tests.
#[derive(Debug, Clone)]
pub enum RawFrame {
    /// A text frame (bad JSON, a notification without `id`, an oversize payload…).
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// A text frame whose payload is any bytes, invalid UTF-8 included.
    TextBytes(Vec<u8>),
}

/// Failure modes that change how the server behaves from now on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoModes {
    /// WebSocket upgrade requests get HTTP 404 (a backend without Channels); REST still works.
    pub ws_404: bool,
    /// New sockets are accepted, then never read from or written to again (no pongs either).
    pub stall: bool,
    /// Events are stored but not pushed (an overloaded channel layer).
    pub drop_pushes: bool,
}

/// Counters since the state was created (they survive restarts).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DemoStats {
    /// Handshakes answered `101`.
    pub ws_accepted: u64,
    /// Handshakes answered `403` (or `404` in `ws_404` mode).
    pub ws_refused: u64,
    pub open_sockets: usize,
    /// `POST /api/token/` calls, successful or not.
    pub token_obtain: u64,
    pub refresh_ok: u64,
    pub refresh_failed: u64,
    pub rest: RestCounts,
    /// Frames written to sockets (notifications and raw frames; not pings).
    pub frames_pushed: u64,
    /// Notifications stored but not pushed to the sockets open then (`drop_pushes` mode):
    /// only a catch-up brings them.
    #[serde(default)]
    pub pushes_dropped: u64,
    /// Every id marked read, in order, with the call that did it.
    pub marked_read: Vec<MarkedRead>,
    /// Every access and refresh token issued, in order: tests scan files and logs for them.
    pub tokens_issued: Vec<String>,
    /// SSE streams opened (`200`), and refused (`401`, `403`, or `404` in `ws_404` mode).
    #[serde(default)]
    pub sse_accepted: u64,
    #[serde(default)]
    pub sse_refused: u64,
    /// The `Last-Event-ID` header of every SSE request, in order (`None`: not sent).
    #[serde(default)]
    pub sse_last_event_ids: Vec<Option<String>>,
}

/// REST requests by endpoint, whatever their answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestCounts {
    pub list: u64,
    /// List requests answered `304 Not Modified` (also counted in `list`).
    pub list_not_modified: u64,
    pub mark_read: u64,
    pub mark_all_read: u64,
    pub unread_count: u64,
    /// Requests refused 401 for a missing, invalid or expired access token.
    #[serde(default)]
    pub unauthorized: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkedRead {
    pub id: u64,
    pub call: ReadCall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadCall {
    MarkRead,
    MarkAllRead,
}

/// A cloneable handle on a server's state for tests; it keeps working across a restart.
#[derive(Clone)]
pub struct DemoControl {
    pub(crate) state: DemoState,
}

impl DemoControl {
    /// Stores and pushes `count` events for every staff user; returns the new ids.
    pub fn emit(&self, count: usize, spec: &EmitSpec) -> Vec<u64> {
        self.state.emit(count, spec)
    }

    /// Sends `frame` to every open socket; returns how many sockets it was queued on.
    pub fn raw_frame(&self, frame: RawFrame) -> usize {
        self.state.broadcast(match frame {
            RawFrame::Text(text) => Message::text(text),
            RawFrame::Binary(bytes) => Message::binary(bytes),
            RawFrame::TextBytes(bytes) => {
                Message::Frame(Frame::message(bytes, OpCode::Data(Data::Text), true))
            }
        })
    }

    /// Closes every open socket's TCP connection without a close frame; returns how many.
    pub fn drop_sockets(&self) -> usize {
        self.state.drop_sockets()
    }

    pub fn set_ws_404(&self, on: bool) {
        self.state.set_modes(|m| m.ws_404 = on);
    }

    /// Turning stall on also silences the sockets already open; turning it off only affects
    /// new ones (a stalled socket stays stalled until dropped).
    pub fn set_stall(&self, on: bool) {
        self.state.set_modes(|m| m.stall = on);
    }

    pub fn set_drop_pushes(&self, on: bool) {
        self.state.set_modes(|m| m.drop_pushes = on);
    }

    pub fn modes(&self) -> DemoModes {
        self.state.modes()
    }

    /// Every access token issued so far now counts as expired; refresh tokens still work.
    pub fn expire_tokens(&self) {
        self.state.disable_tokens(&[TokenType::Access]);
    }

    /// Every access and refresh token issued so far is now invalid.
    pub fn revoke_tokens(&self) {
        self.state
            .disable_tokens(&[TokenType::Access, TokenType::Refresh]);
    }

    pub fn stats(&self) -> DemoStats {
        self.state.stats()
    }

    /// Every stored notification, ascending by id, with its owner and read state.
    pub fn notifications(&self) -> Vec<UserNotification> {
        self.state.notifications()
    }
}

/// The `/__demo/` routes (documented in the crate root).
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/__demo/emit", post(emit))
        // Raw frames may be oversize on purpose; the default 2 MB body cap would refuse them.
        .route(
            "/__demo/raw-frame",
            post(raw_frame).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/__demo/drop-sockets",
            post(|State(c): State<DemoControl>| async move {
                Json(json!({"sockets": c.drop_sockets()}))
            }),
        )
        .route(
            "/__demo/modes",
            get(|State(c): State<DemoControl>| async move { Json(c.modes()) }).post(set_modes),
        )
        .route(
            "/__demo/expire-tokens",
            post(|State(c): State<DemoControl>| async move {
                c.expire_tokens();
                Json(json!({"ok": true}))
            }),
        )
        .route(
            "/__demo/revoke-tokens",
            post(|State(c): State<DemoControl>| async move {
                c.revoke_tokens();
                Json(json!({"ok": true}))
            }),
        )
        .route(
            "/__demo/stats",
            get(|State(c): State<DemoControl>| async move { Json(c.stats()) }),
        )
        .route(
            "/__demo/notifications",
            get(|State(c): State<DemoControl>| async move { Json(c.notifications()) }),
        )
}

/// An empty body means "all defaults", so `curl -X POST …/__demo/emit` works.
fn body<T: Default + DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| bad_request(&e.to_string()))
}

#[derive(Default, Deserialize)]
struct EmitRequest {
    count: Option<usize>,
    #[serde(flatten)]
    spec: EmitSpec,
}

async fn emit(State(control): State<DemoControl>, raw: Bytes) -> Result<Json<Value>, Refusal> {
    let req = body::<EmitRequest>(&raw)?;
    Ok(Json(
        json!({"ids": control.emit(req.count.unwrap_or(1), &req.spec)}),
    ))
}

#[derive(Deserialize)]
struct RawFrameQuery {
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

async fn raw_frame(
    State(control): State<DemoControl>,
    Query(q): Query<RawFrameQuery>,
    raw: Bytes,
) -> Result<Json<Value>, Refusal> {
    let frame = match q.kind.as_deref().unwrap_or("text") {
        "text" => RawFrame::Text(
            String::from_utf8(raw.to_vec())
                .map_err(|_| bad_request("type=text needs UTF-8; use type=text-bytes"))?,
        ),
        "binary" => RawFrame::Binary(raw.to_vec()),
        "text-bytes" => RawFrame::TextBytes(raw.to_vec()),
        _ => return Err(bad_request("type is one of text, binary, text-bytes")),
    };
    Ok(Json(json!({"sockets": control.raw_frame(frame)})))
}

#[derive(Default, Deserialize)]
struct ModesPatch {
    ws_404: Option<bool>,
    stall: Option<bool>,
    drop_pushes: Option<bool>,
}

async fn set_modes(
    State(control): State<DemoControl>,
    raw: Bytes,
) -> Result<Json<DemoModes>, Refusal> {
    let patch = body::<ModesPatch>(&raw)?;
    let modes = control.state.set_modes(|m| {
        m.ws_404 = patch.ws_404.unwrap_or(m.ws_404);
        m.stall = patch.stall.unwrap_or(m.stall);
        m.drop_pushes = patch.drop_pushes.unwrap_or(m.drop_pushes);
    });
    Ok(Json(modes))
}

fn bad_request(detail: &str) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, json!({"detail": detail}))
}
