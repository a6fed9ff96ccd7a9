//! Profiles: how to talk to one kind of backend (URLs, auth, heartbeat, frame and REST mapping).
//!
//! A profile is TOML. Built-in presets live in `presets/*.toml`; a user file may say
//! `extends = "smartsales"` and override only what differs. Every key and its default is
//! documented in `docs/profiles.md`; the defaults live in the `Default` impls below.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::template;

/// Built-in presets: (name, TOML source), one per seed backend.
const PRESETS: &[(&str, &str)] = &[
    ("smartsales", include_str!("../presets/smartsales.toml")),
    ("wearable", include_str!("../presets/wearable.toml")),
    (
        "wearable-streams",
        include_str!("../presets/wearable-streams.toml"),
    ),
    (
        "socketio-gateway",
        include_str!("../presets/socketio-gateway.toml"),
    ),
    ("furniture", include_str!("../presets/furniture.toml")),
    (
        "smartsales-sse",
        include_str!("../presets/smartsales-sse.toml"),
    ),
];

/// Placeholders the engine fills itself (never account parameters).
const BUILTIN_PLACEHOLDERS: &[&str] = &[
    "origin",
    "ws_origin",
    "cursor",
    "id",
    "channel",
    "channel_kebab",
];

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("unknown profile `{0}` (see `aviso-cli profiles`)")]
    Unknown(String),
    #[error("cannot read profile file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid profile {name}: {message}")]
    Invalid { name: String, message: String },
    #[error(
        "profile `{profile}` needs the parameter `{param}`: pass --param {param}=VALUE or set it \
         in the account's [accounts.params]"
    )]
    MissingParam { profile: String, param: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TransportChoice {
    #[default]
    Websocket,
    Socketio,
    /// Server-Sent Events (`[sse]`): one streaming GET, resumed with `Last-Event-ID`.
    Sse,
    Polling,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    /// A preset (or file) this profile inherits from; merged key by key.
    pub extends: Option<String>,
    pub transport: TransportChoice,
    /// Default values for `{param}` placeholders; accounts override them.
    pub params: BTreeMap<String, String>,
    /// Stream channels, one socket each (`{channel}` in `websocket.url` and `rest.snapshot`).
    /// Empty: one socket per account.
    pub channels: Vec<String>,
    pub websocket: WebSocketSection,
    pub socketio: SocketIoSection,
    pub sse: SseSection,
    pub auth: AuthSection,
    pub heartbeat: HeartbeatSection,
    pub frames: FramesSection,
    pub fields: FieldsSection,
    pub rest: RestSection,
    pub polling: PollingSection,
    pub reconnect: ReconnectSection,
    pub close_codes: CloseCodesSection,
    /// Rules that turn a stream value into a notification (`[[alerts]]`).
    pub alerts: Vec<AlertRule>,
    /// Default attention rules (`[[rules]]`, see `policy::rules`), applied after the user's
    /// own. Kept as tables: the policy compiles and reports them one by one.
    pub rules: Vec<toml::Table>,
    /// Words for each kind, in digests and summaries (`[kinds.nueva_compra]`).
    pub kinds: BTreeMap<String, KindLabel>,
}

/// How a kind is counted in words: `"compra|compras"` (singular|plural) per language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KindLabel {
    pub es: String,
    pub en: String,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            name: String::new(),
            description: String::new(),
            extends: None,
            transport: TransportChoice::Websocket,
            params: BTreeMap::new(),
            channels: Vec::new(),
            websocket: WebSocketSection::default(),
            socketio: SocketIoSection::default(),
            auth: AuthSection::default(),
            heartbeat: HeartbeatSection::default(),
            sse: SseSection::default(),
            frames: FramesSection::default(),
            fields: FieldsSection::default(),
            rest: RestSection::default(),
            polling: PollingSection::default(),
            reconnect: ReconnectSection::default(),
            close_codes: CloseCodesSection::default(),
            alerts: Vec::new(),
            rules: Vec::new(),
            kinds: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSocketSection {
    /// URL template; `{ws_origin}` is the server's origin with ws/wss, `{origin}` with
    /// http/https, and any `{param}` comes from the account's parameters.
    pub url: String,
    /// `auto` sends the server's own origin (Django's AllowedHostsOriginValidator refuses
    /// handshakes without one); empty sends none; anything else is sent as is.
    pub origin: String,
    /// Frames larger than this are reported and skipped (the connection stays up).
    pub max_frame_bytes: usize,
    /// Template of the frame that marks `{id}` read over the socket (seed 001). Set: while
    /// live, queued mark-reads go over the socket and stay queued until a `read_ack` frame
    /// confirms them; while polling, `rest.mark_read` is used. Empty: REST only.
    pub mark_read: String,
    /// A frame asking the server to send its current values again (seed 002's
    /// `request_data`), sent at every catch-up while live instead of a REST read.
    pub refresh_frame: String,
}

impl Default for WebSocketSection {
    fn default() -> Self {
        WebSocketSection {
            url: String::new(),
            origin: "auto".into(),
            max_frame_bytes: 1 << 20,
            mark_read: String::new(),
            refresh_frame: String::new(),
        }
    }
}

/// How a Socket.IO client declares who it is on connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Declare {
    /// In the CONNECT packet's auth payload (`handshake.auth` on the server).
    #[default]
    Auth,
    /// As query parameters of the Engine.IO URL (`handshake.query`).
    Query,
}

/// Which Engine.IO transport to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SocketIoTransport {
    /// Long-polling handshake, then an upgrade to WebSocket when the server offers it
    /// (what socket.io-client does); polling alone when the upgrade fails.
    #[default]
    Any,
    Websocket,
    Polling,
}

/// `transport = "socketio"`: a Socket.IO v4 client. Each event becomes a frame
/// `{"event": NAME, "data": FIRST_ARGUMENT, "args": [ALL_ARGUMENTS]}` for `[frames]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocketIoSection {
    /// *Template* of the server URL (`{origin}` = the account's server); the Engine.IO path
    /// `/socket.io/` is used when the URL has no path.
    pub url: String,
    pub namespace: String,
    pub declare: Declare,
    /// What to declare: name = *template* over the account parameters (`{user_id}`).
    pub identity: BTreeMap<String, String>,
    pub transport: SocketIoTransport,
}

impl Default for SocketIoSection {
    fn default() -> Self {
        SocketIoSection {
            url: "{origin}".into(),
            namespace: "/".into(),
            declare: Declare::Auth,
            identity: BTreeMap::new(),
            transport: SocketIoTransport::Any,
        }
    }
}

/// A threshold: a number, or a *template* over the account parameters (`"{max_bpm|120}"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Threshold {
    Number(f64),
    Text(String),
}

/// Turns a stream condition into a notification: when the number at `field` of a stream
/// value crosses `above` (or `below`), once per crossing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// The stream event (frame type) this rule watches, e.g. `heart_rate_update`.
    pub event: String,
    /// Only this channel (empty: any).
    #[serde(default)]
    pub channel: String,
    /// Path of the number in the stream value (`actual`).
    pub field: String,
    #[serde(default)]
    pub above: Option<Threshold>,
    #[serde(default)]
    pub below: Option<Threshold>,
    /// *Templates* over `{channel}`, `{event}`, `{value}`, `{threshold}` and `{data.PATH}`.
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub url: String,
}

/// What frame an SSE event becomes for `[frames]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SseFrame {
    /// `{"event": NAME, "data": DATA, "id": ID}` (DATA parsed when it is JSON): event names
    /// map through `type_field = "event"`, like Socket.IO's.
    #[default]
    Event,
    /// The event's data as is (a server whose data is already the whole frame).
    Data,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SseSection {
    /// URL template of the event stream (`{origin}`, account parameters).
    pub url: String,
    pub frame: SseFrame,
    /// Event ids never kept nor sent back (django-eventstream's `error` after a
    /// `stream-error`: a server refuses to resume from it).
    pub ignore_ids: Vec<String>,
}

impl Default for SseSection {
    fn default() -> Self {
        SseSection {
            url: String::new(),
            frame: SseFrame::Event,
            ignore_ids: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    #[default]
    Query,
    Header,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSection {
    pub mode: AuthMode,
    pub query_param: String,
    pub header: String,
    pub header_prefix: String,
    /// simplejwt-style endpoints, relative to the server URL.
    pub obtain: String,
    pub refresh: String,
    pub username_field: String,
    pub password_field: String,
    pub access_field: String,
    pub refresh_field: String,
    /// Refresh this long before the access token's `exp`.
    pub refresh_margin_secs: u64,
}

impl Default for AuthSection {
    fn default() -> Self {
        AuthSection {
            mode: AuthMode::Query,
            query_param: "token".into(),
            header: "Authorization".into(),
            header_prefix: "Bearer ".into(),
            obtain: "/api/token/".into(),
            refresh: "/api/token/refresh/".into(),
            username_field: "username".into(),
            password_field: "password".into(),
            access_field: "access".into(),
            refresh_field: "refresh".into(),
            refresh_margin_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HeartbeatMode {
    #[default]
    WsPing,
    App,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeartbeatSection {
    pub mode: HeartbeatMode,
    pub interval_secs: f64,
    /// No frame at all for this long means the peer is dead (half-open TCP, stalled server).
    /// 45 s by default: daphne pings every 20 s, so two missed pings plus slack.
    pub timeout_secs: f64,
    /// The app-level ping frame (mode = "app").
    pub app_ping: String,
}

impl Default for HeartbeatSection {
    fn default() -> Self {
        HeartbeatSection {
            mode: HeartbeatMode::WsPing,
            interval_secs: 20.0,
            timeout_secs: 45.0,
            app_ping: r#"{"type":"ping"}"#.into(),
        }
    }
}

/// What a frame of a given type means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameAction {
    /// One notification at `path`.
    Notification,
    /// An array of notifications at `path` (e.g. an initial list).
    Notifications,
    /// The server confirms a mark-read; the id is at `path`.
    ReadAck,
    /// A keepalive answer.
    Pong,
    /// The server reports an error; the message is at `path`.
    Error,
    /// A live value at `path` (not a notification): kept as the latest value of a stream
    /// channel and emitted as a `stream` line.
    Stream,
    Ignore,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameRule {
    pub action: FrameAction,
    #[serde(default)]
    pub path: String,
    /// `stream`: the channel the value belongs to (default: the socket's channel, else the
    /// frame type).
    #[serde(default)]
    pub channel: String,
    /// `notification(s)`: `[fields]` keys that differ for this type (e.g. its own title).
    #[serde(default)]
    pub fields: FieldsOverride,
}

/// Per-type overrides of `[fields]`: only the keys given replace the profile's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldsOverride {
    pub id: Option<String>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub url: Option<String>,
    pub created_at: Option<String>,
    pub read: Option<String>,
    pub data: Option<String>,
}

impl FieldsOverride {
    pub fn is_empty(&self) -> bool {
        *self == FieldsOverride::default()
    }

    /// `base` with these overrides applied.
    pub fn apply(&self, base: &FieldsSection) -> FieldsSection {
        let pick = |o: &Option<String>, b: &String| o.clone().unwrap_or_else(|| b.clone());
        FieldsSection {
            id: pick(&self.id, &base.id),
            kind: pick(&self.kind, &base.kind),
            title: pick(&self.title, &base.title),
            body: pick(&self.body, &base.body),
            url: pick(&self.url, &base.url),
            created_at: pick(&self.created_at, &base.created_at),
            read: pick(&self.read, &base.read),
            data: pick(&self.data, &base.data),
            amount: base.amount.clone(),
            currency: base.currency.clone(),
            envelope: base.envelope.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FramesSection {
    /// Field naming the frame's type. Empty: every frame is one notification at `path`.
    pub type_field: String,
    /// Where the notification is when `type_field` is empty ("" = the whole frame).
    pub path: String,
    /// Rules by type value, when `type_field` is set.
    pub types: BTreeMap<String, FrameRule>,
    /// The rule for types not in `types` (none: they are ignored). Seed 003's role and user
    /// notifications carry event names the profile cannot list in advance.
    pub other: Option<FrameRule>,
    /// Types that are control frames (greetings, acknowledgements), never notifications,
    /// unless `types` names them: their content goes to the stream channel `connection`.
    /// Compared without case, `-` and `_` as one.
    pub control: Vec<String>,
}

/// Greetings and acknowledgements servers send on their own: `connected` (a NestJS
/// gateway's greeting), `connection_established` (Django Channels tutorials), and kin.
pub const CONTROL_TYPES: &[&str] = &[
    "connected",
    "connection",
    "connection_established",
    "connection_ack",
    "connection_success",
    "authenticated",
    "auth_ok",
    "welcome",
    "hello",
    "ready",
    "ack",
    "subscribed",
    "joined",
    "pong",
];

impl Default for FramesSection {
    fn default() -> Self {
        FramesSection {
            type_field: String::new(),
            path: String::new(),
            types: BTreeMap::new(),
            other: None,
            control: CONTROL_TYPES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl FramesSection {
    /// True when frames of this type are control frames.
    pub fn is_control(&self, kind: &str) -> bool {
        // Without case, `-` as `_`, and without allocating (asked for each frame).
        fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
            s.chars()
                .flat_map(char::to_lowercase)
                .map(|c| if c == '-' { '_' } else { c })
        }
        !self.types.contains_key(kind) && self.control.iter().any(|c| folded(c).eq(folded(kind)))
    }
}

/// A payload that may come wrapped: `{"type": KIND, "data": PAYLOAD, "timestamp": TIME}`
/// (seed 003's business events). Where the `[fields] data` value is such an object, the
/// notification is built from what it wraps: its kind is the wrapped type (so a generic
/// `business_event` and a specific `reserva:creada` read the same), its data the wrapped
/// payload, its time the wrapped time. Keys, not paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub kind: String,
    pub data: String,
    pub time: String,
}

impl Default for Envelope {
    fn default() -> Self {
        Envelope {
            kind: "type".into(),
            data: "data".into(),
            time: "timestamp".into(),
        }
    }
}

/// Where each notification field lives in a server object: a dotted path (`datos.total`),
/// or a template with `{path}` placeholders (`Pedido #{datos.compra_id}`). An empty `id`
/// derives a stable id from a hash of the whole object (events without ids); `data = "."`
/// keeps the whole object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldsSection {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub url: String,
    pub created_at: String,
    pub read: String,
    pub data: String,
    /// A path to the amount of money a notification is about (`datos.total`), summed in
    /// digests; empty: none.
    pub amount: String,
    /// How that amount is written (`$`, `Bs`, `EUR`).
    pub currency: String,
    /// Payloads that may come wrapped in an envelope (see [`Envelope`]); none: never.
    pub envelope: Option<Envelope>,
}

impl Default for FieldsSection {
    fn default() -> Self {
        FieldsSection {
            id: "id".into(),
            kind: "type".into(),
            title: "title".into(),
            body: "body".into(),
            url: "url".into(),
            created_at: "created_at".into(),
            read: "read".into(),
            data: "data".into(),
            amount: String::new(),
            currency: String::new(),
            envelope: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RestSection {
    /// `"METHOD /path?query"`; `{cursor}` is the last cursor seen. Empty: no REST list.
    pub list: String,
    /// Path of the item array in the list answer ("" = the answer is the array).
    pub items: String,
    /// Path of the next page's URL in the list answer ("" = no pagination).
    pub next: String,
    /// The item field that orders notifications and becomes the cursor.
    pub cursor: String,
    pub initial_cursor: String,
    /// `{id}` is the notification id.
    pub mark_read: String,
    pub mark_all_read: String,
    pub unread_count: String,
    pub unread_count_field: String,
    /// `"METHOD /path?query"` listing the server's unread notifications (items at `items`,
    /// fields as in `[fields]`). When set, unread notifications read on another device
    /// become read here too, whatever their age (the list after the cursor only shows new
    /// ones). Checked after each new connection and once per safety poll. Empty: no check.
    pub unread_list: String,
    /// Send `If-None-Match` with the last ETag so an idle poll costs a 304.
    pub conditional: bool,
    pub timeout_secs: f64,
    /// `"METHOD /path"` whose answer is handled like an inbound frame (`{channel}` allowed):
    /// a stream's current values, read at each poll while the WebSocket is unavailable.
    pub snapshot: String,
    /// A health endpoint, read at each catch-up; its answer is the stream channel `health`.
    pub health: String,
    /// More spellings of `snapshot`, tried in order when one answers 404 (the one that
    /// works is kept): REST paths may spell a channel differently from the socket's
    /// (`{channel_kebab}`: the channel with `-` for `_`).
    pub snapshot_alternatives: Vec<String>,
    /// The frame type a bare snapshot answer (no `type_field`: the data alone) stands
    /// for, per channel; a channel not named here takes the answer as its value as is.
    pub snapshot_types: BTreeMap<String, String>,
    /// `[fields]` keys that differ for the list's items (a history endpoint that wraps
    /// each event differently from the socket).
    pub fields: FieldsOverride,
    /// The list is a guess at a path the seed leaves open: a server without it (404, 405)
    /// means "no catch-up here", shown as the state's detail `no_catch_up` and asked again
    /// only after a reconnect, instead of the `catch_up_failed` error.
    pub list_optional: bool,
}

impl Default for RestSection {
    fn default() -> Self {
        RestSection {
            list: String::new(),
            items: String::new(),
            next: String::new(),
            cursor: "id".into(),
            initial_cursor: String::new(),
            mark_read: String::new(),
            mark_all_read: String::new(),
            unread_count: String::new(),
            unread_count_field: "count".into(),
            unread_list: String::new(),
            conditional: true,
            timeout_secs: 15.0,
            snapshot: String::new(),
            health: String::new(),
            snapshot_alternatives: Vec::new(),
            snapshot_types: BTreeMap::new(),
            fields: FieldsOverride::default(),
            list_optional: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PollingSection {
    /// Poll interval while the WebSocket is unavailable.
    pub interval_secs: f64,
    /// Slow catch-up while live: Django Channels delivers at most once and drops pushes
    /// over capacity, so only a periodic REST read recovers them.
    pub safety_interval_secs: f64,
    /// While polling, how often to try the WebSocket again.
    pub probe_interval_secs: f64,
    /// While live, a catch-up this long after pushes stop coming (at most 5× this after
    /// the first of a burst): a server that dropped pushes over capacity is caught up
    /// within seconds of the burst, not at the safety poll. 0: off.
    pub after_push_secs: f64,
}

impl Default for PollingSection {
    fn default() -> Self {
        PollingSection {
            interval_secs: 15.0,
            safety_interval_secs: 300.0,
            probe_interval_secs: 60.0,
            after_push_secs: 2.0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconnectSection {
    /// Smallest delay before any reconnect (a floor under the jitter, so a herd never
    /// comes back at the same instant the server does).
    pub min_ms: u64,
    /// Base of the exponential ceiling: ceiling = min(max, initial · 2^(failures-1)).
    pub initial_ms: u64,
    pub max_ms: u64,
    /// A connection that stayed up this long resets the failure count.
    pub stable_secs: f64,
    /// Consecutive failures before falling back to polling.
    pub fallback_after: u32,
    pub connect_timeout_secs: f64,
    /// A server that cannot be reached is retried without `error` lines (state lines
    /// only): for servers that are often down by design. A name that does not resolve or
    /// a server speaking another protocol is said all the same.
    pub quiet_unreachable: bool,
}

impl Default for ReconnectSection {
    fn default() -> Self {
        ReconnectSection {
            min_ms: 250,
            initial_ms: 1_000,
            max_ms: 60_000,
            stable_secs: 30.0,
            fallback_after: 5,
            connect_timeout_secs: 15.0,
            quiet_unreachable: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CloseCodesSection {
    /// WebSocket close codes that mean the credentials were refused.
    pub auth: Vec<u16>,
    /// Handshake HTTP statuses that mean the credentials were refused (daphne answers 403
    /// to a consumer that closes before accept()).
    pub http_auth: Vec<u16>,
    /// Handshake HTTP statuses that mean "no WebSocket here": fall back to polling at once.
    pub http_no_websocket: Vec<u16>,
}

impl Default for CloseCodesSection {
    fn default() -> Self {
        CloseCodesSection {
            auth: vec![4001, 4003],
            http_auth: vec![401, 403],
            http_no_websocket: vec![404],
        }
    }
}

/// Seconds from a profile (floats, so tests can use sub-second intervals) as a Duration.
pub fn secs(value: f64) -> Duration {
    Duration::from_secs_f64(value.max(0.0))
}

impl Profile {
    /// Names and descriptions of the built-in presets.
    pub fn presets() -> Vec<(String, String)> {
        PRESETS
            .iter()
            .map(|(name, src)| {
                let p = Profile::parse(name, src).expect("built-in presets are valid");
                (name.to_string(), p.description)
            })
            .collect()
    }

    /// The TOML source of a preset (a starting point for a user's own profile).
    pub fn preset_source(name: &str) -> Option<&'static str> {
        PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, src)| *src)
    }

    /// Loads a preset by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<Profile, ProfileError> {
        if let Some(src) = Profile::preset_source(name_or_path) {
            return Profile::parse(name_or_path, src);
        }
        let path = Path::new(name_or_path);
        let looks_like_file = name_or_path.ends_with(".toml") || name_or_path.contains('/');
        if !looks_like_file {
            return Err(ProfileError::Unknown(name_or_path.to_string()));
        }
        let src = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: name_or_path.to_string(),
            source,
        })?;
        Profile::parse(name_or_path, &src)
    }

    /// The fields of the REST list's items: `[fields]` with `[rest.fields]` applied.
    pub fn rest_fields(&self) -> std::borrow::Cow<'_, FieldsSection> {
        if self.rest.fields.is_empty() {
            std::borrow::Cow::Borrowed(&self.fields)
        } else {
            std::borrow::Cow::Owned(self.rest.fields.apply(&self.fields))
        }
    }

    /// Parses profile TOML, resolving `extends` against the presets.
    pub fn parse(name: &str, src: &str) -> Result<Profile, ProfileError> {
        let invalid = |message: String| ProfileError::Invalid {
            name: name.to_string(),
            message,
        };
        let value: toml::Table = src
            .parse()
            .map_err(|e: toml::de::Error| invalid(e.to_string()))?;
        let merged = match value.get("extends").and_then(|v| v.as_str()) {
            Some(base) => {
                let base_src = Profile::preset_source(base)
                    .ok_or_else(|| ProfileError::Unknown(base.to_string()))?;
                let mut base: toml::Table = base_src
                    .parse()
                    .map_err(|e: toml::de::Error| invalid(e.to_string()))?;
                merge(&mut base, value);
                base
            }
            None => value,
        };
        let mut profile: Profile = merged.try_into().map_err(|e| invalid(format!("{e}")))?;
        if profile.name.is_empty() {
            profile.name = name.to_string();
        }
        profile.validate().map_err(invalid)?;
        Ok(profile)
    }

    fn validate(&self) -> Result<(), String> {
        if self.transport == TransportChoice::Websocket && self.websocket.url.is_empty() {
            return Err("websocket.url is required for transport = \"websocket\"".into());
        }
        if self.transport == TransportChoice::Sse && self.sse.url.is_empty() {
            return Err("sse.url is required for transport = \"sse\"".into());
        }
        if self.transport == TransportChoice::Sse && !self.websocket.mark_read.is_empty() {
            // Nothing can be sent up a stream: mark-reads would wait for an answer forever.
            return Err(
                "websocket.mark_read needs transport = \"websocket\" (use rest.mark_read)".into(),
            );
        }
        if self.transport == TransportChoice::Polling && self.rest.list.is_empty() {
            return Err("rest.list is required for transport = \"polling\"".into());
        }
        for (key, value) in [("heartbeat.timeout_secs", self.heartbeat.timeout_secs)] {
            if value <= 0.0 {
                return Err(format!("{key} must be positive"));
            }
        }
        if self.polling.interval_secs <= 0.0 {
            return Err("polling.interval_secs must be positive".into());
        }
        if self.reconnect.max_ms < self.reconnect.initial_ms {
            return Err("reconnect.max_ms must be at least reconnect.initial_ms".into());
        }
        for spec in &self.rest.snapshot_alternatives {
            RequestSpec::parse(spec)?;
        }
        for spec in [
            &self.rest.list,
            &self.rest.mark_read,
            &self.rest.mark_all_read,
            &self.rest.unread_count,
            &self.rest.unread_list,
            &self.rest.snapshot,
            &self.rest.health,
        ] {
            if !spec.is_empty() {
                RequestSpec::parse(spec)?;
            }
        }
        if !self.channels.is_empty() {
            if self.transport != TransportChoice::Websocket {
                return Err("channels need transport = \"websocket\"".into());
            }
            if !self.websocket.url.contains("{channel}") {
                return Err("websocket.url must contain {channel} when channels are set".into());
            }
        }
        if !self.socketio.namespace.starts_with('/') {
            return Err("socketio.namespace must start with `/`".into());
        }
        for alert in &self.alerts {
            if alert.above.is_none() && alert.below.is_none() {
                return Err(format!(
                    "the alert on `{}` needs `above` or `below`",
                    alert.event
                ));
            }
        }
        // Every template must parse now, not at the first frame.
        for (key, text) in self.templates() {
            template::placeholders(text).map_err(|e| format!("{key}: {e}"))?;
        }
        Ok(())
    }

    /// Every template of the profile, with its key (for validation and parameters).
    fn templates(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = vec![
            ("websocket.url".into(), self.websocket.url.as_str()),
            ("websocket.mark_read".into(), &self.websocket.mark_read),
            ("socketio.url".into(), &self.socketio.url),
            ("sse.url".into(), &self.sse.url),
            ("rest.list".into(), &self.rest.list),
            ("rest.mark_read".into(), &self.rest.mark_read),
            ("rest.mark_all_read".into(), &self.rest.mark_all_read),
            ("rest.unread_count".into(), &self.rest.unread_count),
            ("rest.unread_list".into(), &self.rest.unread_list),
            ("rest.snapshot".into(), &self.rest.snapshot),
            ("rest.health".into(), &self.rest.health),
        ];
        for (i, spec) in self.rest.snapshot_alternatives.iter().enumerate() {
            out.push((format!("rest.snapshot_alternatives[{i}]"), spec));
        }
        for (name, value) in &self.socketio.identity {
            out.push((format!("socketio.identity.{name}"), value));
        }
        for (i, a) in self.alerts.iter().enumerate() {
            for (key, value) in [
                ("kind", &a.kind),
                ("title", &a.title),
                ("body", &a.body),
                ("url", &a.url),
            ] {
                out.push((format!("alerts[{i}].{key}"), value));
            }
            for t in [&a.above, &a.below].into_iter().flatten() {
                if let Threshold::Text(text) = t {
                    out.push((format!("alerts[{i}] threshold"), text));
                }
            }
        }
        out
    }

    /// The account parameters this profile needs that neither `params` nor the profile's
    /// `[params]` give (placeholders without a `|fallback` in URLs, REST paths, the
    /// Socket.IO identity and alert thresholds).
    pub fn missing_params(&self, params: &BTreeMap<String, String>) -> Vec<String> {
        let mut missing = Vec::new();
        let mut texts: Vec<&str> = vec![
            &self.rest.list,
            &self.rest.mark_read,
            &self.rest.mark_all_read,
            &self.rest.unread_count,
            &self.rest.unread_list,
            &self.rest.snapshot,
            &self.rest.health,
        ];
        texts.extend(self.rest.snapshot_alternatives.iter().map(String::as_str));
        match self.transport {
            TransportChoice::Websocket => texts.push(&self.websocket.url),
            TransportChoice::Socketio => {
                texts.push(&self.socketio.url);
                texts.extend(self.socketio.identity.values().map(String::as_str));
            }
            TransportChoice::Sse => texts.push(&self.sse.url),
            TransportChoice::Polling => {}
        }
        for a in &self.alerts {
            for t in [&a.above, &a.below].into_iter().flatten() {
                if let Threshold::Text(text) = t {
                    texts.push(text);
                }
            }
        }
        for text in texts {
            for (name, has_fallback) in template::placeholders(text).unwrap_or_default() {
                let known = BUILTIN_PLACEHOLDERS.contains(&name.as_str())
                    || params.get(&name).is_some_and(|v| !v.is_empty())
                    || self.params.get(&name).is_some_and(|v| !v.is_empty());
                if !known && !has_fallback && !missing.contains(&name) {
                    missing.push(name);
                }
            }
        }
        missing
    }

    /// Checks that `params` give every parameter the profile needs.
    pub fn check_params(&self, params: &BTreeMap<String, String>) -> Result<(), ProfileError> {
        match self.missing_params(params).into_iter().next() {
            Some(param) => Err(ProfileError::MissingParam {
                profile: self.name.clone(),
                param,
            }),
            None => Ok(()),
        }
    }

    /// Whether there is a REST read to poll when the streaming transport is unavailable.
    /// An optional list (`rest.list_optional`) is for catch-up only: polling a guess the
    /// server may not have would be a state that promises what it cannot keep.
    pub fn can_poll(&self) -> bool {
        (!self.rest.list.is_empty() && !self.rest.list_optional) || !self.rest.snapshot.is_empty()
    }

    /// The stream channels a socket of this profile can feed: its own channel, the channels
    /// named by `stream` rules, and `health`.
    pub fn stream_channels(&self, socket_channel: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = socket_channel.map(str::to_string).into_iter().collect();
        if socket_channel.is_none() {
            let rules = self.frames.types.iter().map(|(k, r)| (Some(k), r));
            let other = self.frames.other.iter().map(|r| (None, r));
            for (kind, rule) in rules.chain(other) {
                if rule.action != FrameAction::Stream {
                    continue;
                }
                let name = match (rule.channel.as_str(), kind) {
                    ("", Some(kind)) => kind.clone(),
                    ("", None) => continue,
                    (channel, _) => channel.to_string(),
                };
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        if !self.rest.health.is_empty() && socket_channel.is_none() {
            out.push(HEALTH_CHANNEL.to_string());
        }
        out
    }
}

/// The stream channel that shows a profile's `rest.health` answers.
pub const HEALTH_CHANNEL: &str = "health";

/// Deep-merges `over` into `base` (tables recursively; everything else replaced).
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// A REST call written as `"METHOD /path?query"` (the method defaults to GET).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    pub method: http::Method,
    pub path: String,
}

impl RequestSpec {
    pub fn parse(spec: &str) -> Result<RequestSpec, String> {
        let spec = spec.trim();
        let (method, path) = match spec.split_once(' ') {
            Some((m, p)) => {
                let method = http::Method::from_bytes(m.as_bytes())
                    .map_err(|_| format!("invalid HTTP method in `{spec}`"))?;
                (method, p.trim())
            }
            None => (http::Method::GET, spec),
        };
        if !path.starts_with('/') && !path.starts_with("http") {
            return Err(format!("REST path must start with `/`: `{spec}`"));
        }
        Ok(RequestSpec {
            method,
            path: path.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smartsales_preset_loads() {
        let p = Profile::load("smartsales").unwrap();
        assert_eq!(p.fields.title, "titulo");
        assert_eq!(p.auth.mode, AuthMode::Query);
        assert_eq!(p.polling.interval_secs, 15.0);
        assert!(p.frames.type_field.is_empty());
    }

    #[test]
    fn extends_overrides_only_given_keys() {
        let p = Profile::parse(
            "mine",
            "extends = \"smartsales\"\n[polling]\ninterval_secs = 2\n[rest]\nlist = \"/x/?c={cursor}\"\n",
        )
        .unwrap();
        assert_eq!(p.polling.interval_secs, 2.0);
        assert_eq!(p.polling.safety_interval_secs, 300.0);
        assert_eq!(p.rest.list, "/x/?c={cursor}");
        assert_eq!(p.rest.items, "results");
        assert_eq!(p.fields.kind, "tipo");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_clear_errors() {
        let err = Profile::parse("bad", "extends = \"smartsales\"\n[rest]\nlsit = \"/x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("lsit"), "{err}");
        let err = Profile::parse("bad", "transport = \"websocket\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("websocket.url"), "{err}");
        let err = Profile::load("nope").unwrap_err().to_string();
        assert!(err.contains("unknown profile"), "{err}");
        let err = Profile::parse("bad", "extends = \"smartsales\"\n[rest]\nlist = \"G(T /x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid HTTP method"), "{err}");
    }

    /// The TOML examples in docs/profiles.md parse, and there is one per preset (seeds
    /// 000-004) equal to it: the documentation cannot drift from what `profile show` prints.
    #[test]
    fn documented_examples_are_valid() {
        let doc = include_str!("../../../docs/profiles.md");
        let blocks: Vec<&str> = doc
            .split("```toml\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap())
            .collect();
        assert!(blocks.len() >= 6, "examples missing from docs/profiles.md");
        let mut documented = Vec::new();
        for block in &blocks {
            let p = Profile::parse("doc", block).unwrap_or_else(|e| panic!("{e}\n{block}"));
            if p.extends.is_none() && Profile::preset_source(&p.name).is_some() {
                let preset = toml::to_string(&Profile::load(&p.name).unwrap()).unwrap();
                assert_eq!(
                    toml::to_string(&p).unwrap(),
                    preset,
                    "docs/profiles.md's `{}` example differs from the preset",
                    p.name
                );
                documented.push(p.name);
            }
        }
        for (name, _) in Profile::presets() {
            assert!(
                documented.contains(&name),
                "no example of `{name}` in docs/profiles.md"
            );
        }
    }

    #[test]
    fn every_seed_preset_loads_with_its_dialect() {
        let names: Vec<String> = Profile::presets().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "smartsales",
                "wearable",
                "wearable-streams",
                "socketio-gateway",
                "furniture",
                "smartsales-sse"
            ]
        );
        let sse = Profile::load("smartsales-sse").unwrap();
        assert_eq!(sse.transport, TransportChoice::Sse);
        assert!(sse.can_poll());
        assert!(sse.missing_params(&BTreeMap::new()).is_empty());
        let policy = crate::session::Policy::from_profile(&sse);
        assert_eq!(policy.ping_every, None, "nothing goes up a stream");
        assert_eq!(policy.dead_after, Some(Duration::from_secs(45)));
        let err = Profile::parse("bad", "transport = \"sse\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sse.url"), "{err}");
        let streams = Profile::load("wearable-streams").unwrap();
        assert_eq!(streams.channels.len(), 5);
        assert!(streams.can_poll());
        assert_eq!(
            streams.missing_params(&BTreeMap::new()),
            vec!["consumidor_id".to_string()]
        );
        let sio = Profile::load("socketio-gateway").unwrap();
        assert_eq!(sio.transport, TransportChoice::Socketio);
        assert!(!sio.can_poll());
        assert_eq!(
            sio.missing_params(&BTreeMap::new()),
            vec!["role".to_string(), "user_id".to_string()]
        );
        assert_eq!(
            sio.stream_channels(None),
            vec!["dashboard".to_string(), HEALTH_CHANNEL.to_string()]
        );
        let furniture = Profile::load("furniture").unwrap();
        assert!(furniture.missing_params(&BTreeMap::new()).is_empty());
        assert!(furniture.fields.id.is_empty(), "derived ids");
    }

    #[test]
    fn request_spec_parses() {
        let r = RequestSpec::parse("POST /a/{id}/").unwrap();
        assert_eq!(r.method, http::Method::POST);
        assert_eq!(r.path, "/a/{id}/");
        assert_eq!(RequestSpec::parse("/b").unwrap().method, http::Method::GET);
    }
}
