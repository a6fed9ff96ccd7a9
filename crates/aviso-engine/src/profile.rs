//! Profiles: how to talk to one kind of backend (URLs, auth, heartbeat, frame and REST mapping).
//!
//! A profile is TOML. Built-in presets live in `presets/*.toml`; a user file may say
//! `extends = "smartsales"` and override only what differs. Every key and its default is
//! documented in `docs/profiles.md`; the defaults live in the `Default` impls below.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Built-in presets: (name, TOML source).
const PRESETS: &[(&str, &str)] = &[("smartsales", include_str!("../presets/smartsales.toml"))];

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TransportChoice {
    #[default]
    Websocket,
    Socketio,
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
    pub websocket: WebSocketSection,
    pub auth: AuthSection,
    pub heartbeat: HeartbeatSection,
    pub frames: FramesSection,
    pub fields: FieldsSection,
    pub rest: RestSection,
    pub polling: PollingSection,
    pub reconnect: ReconnectSection,
    pub close_codes: CloseCodesSection,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            name: String::new(),
            description: String::new(),
            extends: None,
            transport: TransportChoice::Websocket,
            params: BTreeMap::new(),
            websocket: WebSocketSection::default(),
            auth: AuthSection::default(),
            heartbeat: HeartbeatSection::default(),
            frames: FramesSection::default(),
            fields: FieldsSection::default(),
            rest: RestSection::default(),
            polling: PollingSection::default(),
            reconnect: ReconnectSection::default(),
            close_codes: CloseCodesSection::default(),
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
}

impl Default for WebSocketSection {
    fn default() -> Self {
        WebSocketSection {
            url: String::new(),
            origin: "auto".into(),
            max_frame_bytes: 1 << 20,
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
    Ignore,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameRule {
    pub action: FrameAction,
    #[serde(default)]
    pub path: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FramesSection {
    /// Field naming the frame's type. Empty: every frame is one notification at `path`.
    pub type_field: String,
    /// Where the notification is when `type_field` is empty ("" = the whole frame).
    pub path: String,
    /// Rules by type value, when `type_field` is set. Unknown types are ignored.
    pub types: BTreeMap<String, FrameRule>,
}

/// Where each notification field lives in a server object: a dotted path (`datos.total`),
/// or a template with `{path}` placeholders (`Pedido #{datos.compra_id}`).
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
    /// Send `If-None-Match` with the last ETag so an idle poll costs a 304.
    pub conditional: bool,
    pub timeout_secs: f64,
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
            conditional: true,
            timeout_secs: 15.0,
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
}

impl Default for PollingSection {
    fn default() -> Self {
        PollingSection {
            interval_secs: 15.0,
            safety_interval_secs: 300.0,
            probe_interval_secs: 60.0,
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
        for spec in [
            &self.rest.list,
            &self.rest.mark_read,
            &self.rest.mark_all_read,
        ] {
            if !spec.is_empty() {
                RequestSpec::parse(spec)?;
            }
        }
        Ok(())
    }
}

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

    /// The TOML examples in docs/profiles.md parse, and the seed-000 one is the preset.
    #[test]
    fn documented_examples_are_valid() {
        let doc = include_str!("../../../docs/profiles.md");
        let blocks: Vec<&str> = doc
            .split("```toml\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap())
            .collect();
        assert!(blocks.len() >= 2, "examples missing from docs/profiles.md");
        for block in &blocks {
            Profile::parse("doc", block).unwrap_or_else(|e| panic!("{e}\n{block}"));
        }
        let documented =
            toml::to_string(&Profile::parse("smartsales", blocks[0]).unwrap()).unwrap();
        let preset = toml::to_string(&Profile::load("smartsales").unwrap()).unwrap();
        assert_eq!(
            documented, preset,
            "docs/profiles.md's seed-000 example differs from the preset"
        );
    }

    #[test]
    fn request_spec_parses() {
        let r = RequestSpec::parse("POST /a/{id}/").unwrap();
        assert_eq!(r.method, http::Method::POST);
        assert_eq!(r.path, "/a/{id}/");
        assert_eq!(RequestSpec::parse("/b").unwrap().method, http::Method::GET);
    }
}
