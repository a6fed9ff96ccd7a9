//! The notification model and the events the engine emits.

use serde::{Deserialize, Serialize};

/// One notification of one account. `id` is unique per account (the server's id, or a
/// stable id derived from the event where the server gives none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub account: String,
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub read: bool,
    pub data: serde_json::Value,
}

/// The session states as the outside world sees them (CLI JSON lines, tray, UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnState {
    Connecting,
    Live,
    Polling,
    Backoff,
    NeedsLogin,
    Stopped,
}

impl ConnState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Connecting => "connecting",
            ConnState::Live => "live",
            ConnState::Polling => "polling",
            ConnState::Backoff => "backoff",
            ConnState::NeedsLogin => "needs_login",
            ConnState::Stopped => "stopped",
        }
    }
}

/// Why a session is in its state, as its state line says it (`detail`): on the wire the
/// snake_case name, or `""` for [`StateDetail::None`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum StateDetail {
    /// Nothing to say (a healthy live or polling session, a first connect).
    #[default]
    None,
    /// Reconnecting because the computer woke up (or the network came back).
    Resumed,
    /// The token was refused: a refresh is under way.
    RefreshingToken,
    /// The server has no streaming endpoint (404 on the handshake): polling.
    NoWebsocket,
    /// The server refuses this user even with a fresh token.
    Forbidden,
    /// The server wants credentials the profile never sends.
    AuthRequired,
    /// The session is gone (refresh refused, or no token): sign in again.
    AuthFailed,
    // Why a connection failed or ended (the session's `Detail`).
    Unreachable,
    Timeout,
    DeadPeer,
    ServerClosed,
    ServerError,
    Tls,
    Protocol,
    CatchUpFailed,
    NoCatchUp,
}

impl StateDetail {
    pub const ALL: [StateDetail; 16] = [
        StateDetail::None,
        StateDetail::Resumed,
        StateDetail::RefreshingToken,
        StateDetail::NoWebsocket,
        StateDetail::Forbidden,
        StateDetail::AuthRequired,
        StateDetail::AuthFailed,
        StateDetail::Unreachable,
        StateDetail::Timeout,
        StateDetail::DeadPeer,
        StateDetail::ServerClosed,
        StateDetail::ServerError,
        StateDetail::Tls,
        StateDetail::Protocol,
        StateDetail::CatchUpFailed,
        StateDetail::NoCatchUp,
    ];

    /// The wire name; `""` for [`StateDetail::None`].
    pub const fn as_str(self) -> &'static str {
        match self {
            StateDetail::None => "",
            StateDetail::Resumed => "resumed",
            StateDetail::RefreshingToken => "refreshing_token",
            StateDetail::NoWebsocket => "no_websocket",
            StateDetail::Forbidden => "forbidden",
            StateDetail::AuthRequired => "auth_required",
            StateDetail::AuthFailed => "auth_failed",
            StateDetail::Unreachable => "unreachable",
            StateDetail::Timeout => "timeout",
            StateDetail::DeadPeer => "dead_peer",
            StateDetail::ServerClosed => "server_closed",
            StateDetail::ServerError => "server_error",
            StateDetail::Tls => "tls",
            StateDetail::Protocol => "protocol",
            StateDetail::CatchUpFailed => "catch_up_failed",
            StateDetail::NoCatchUp => "no_catch_up",
        }
    }

    pub fn is_none(self) -> bool {
        self == StateDetail::None
    }

    /// The problem this state means for as long as it lasts, if it loses notifications
    /// (said as a toast and on the tray's status line: see `policy::problem_words`).
    pub fn problem(self) -> Option<crate::ErrorCode> {
        match self {
            StateDetail::CatchUpFailed => Some(crate::ErrorCode::CatchUpFailed),
            StateDetail::Forbidden => Some(crate::ErrorCode::Forbidden),
            _ => None,
        }
    }
}

impl std::fmt::Display for StateDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for StateDetail {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StateDetail {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        StateDetail::ALL
            .into_iter()
            .find(|d| d.as_str() == text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown state detail {text:?}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    Websocket,
    Socketio,
    /// Server-Sent Events (`transport = "sse"`).
    Sse,
    Polling,
}

impl TransportKind {
    /// The name on the wire (`websocket`, `socketio`, `sse`, `polling`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Websocket => "websocket",
            TransportKind::Socketio => "socketio",
            TransportKind::Sse => "sse",
            TransportKind::Polling => "polling",
        }
    }
}

/// What the engine tells its embedder. The CLI prints these as JSON lines (the documented,
/// stable interface); the desktop shell maps them onto the tray, toasts and UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    /// The session state of an account, or of one of its channels (`channel` is set only
    /// for profiles with several sockets per account; the line without `channel` is then
    /// the account as a whole).
    State {
        account: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
        state: ConnState,
        transport: Option<TransportKind>,
        /// A short machine-readable reason (`auth_failed`, `no_websocket`, `dead_peer`, …).
        detail: StateDetail,
        /// When the next connection attempt is due (backoff), RFC 3339.
        #[serde(skip_serializing_if = "Option::is_none")]
        next_retry_at: Option<String>,
    },
    Notification(Notification),
    /// Notifications became read: `ids`, or with `all` every notification of the account
    /// stored before this event (mark all read; `ids` is then empty).
    Read {
        account: String,
        ids: Vec<String>,
        #[serde(default)]
        all: bool,
    },
    Unread {
        account: String,
        count: u64,
    },
    Error {
        account: String,
        code: crate::ErrorCode,
        message: String,
    },
    /// A live value of a stream channel (seed 002's channels, seed 003's `dashboard:update`,
    /// `health`): not a notification; the engine keeps the latest per channel
    /// ([`crate::Engine::streams`]). Sent when the value changed.
    Stream {
        account: String,
        channel: String,
        event: String,
        data: serde_json::Value,
    },
    /// A stream channel opened, fell back to polling or closed.
    StreamState {
        account: String,
        channel: String,
        state: StreamState,
        /// When its last value arrived, RFC 3339.
        last_update: Option<String>,
    },
}

/// A stream channel's state as the live view shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    /// Its socket is live.
    Open,
    /// Its values come from REST polls.
    Polling,
    /// Neither (connecting, backoff, needs_login, stopped).
    Closed,
}

impl StreamState {
    pub fn of(state: ConnState) -> StreamState {
        match state {
            ConnState::Live => StreamState::Open,
            ConnState::Polling => StreamState::Polling,
            _ => StreamState::Closed,
        }
    }
}

/// One stream channel with its latest value: `StreamChannel` of docs/ipc.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamChannel {
    pub account: String,
    pub channel: String,
    pub state: StreamState,
    /// RFC 3339; None before the first value.
    pub last_update: Option<String>,
    /// The frame type of the last value (`heart_rate_update`, `dashboard:update`).
    pub event: Option<String>,
    pub data: serde_json::Value,
}
