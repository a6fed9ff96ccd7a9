//! What each transport connects to: the URL, headers and handshake data that a profile, the
//! account's server and parameters, the socket's channel and the access token add up to.
//! Pure: nothing here opens a socket, so every target is checked without a server.
//!
//! The token goes only where the profile puts it (`auth.mode`: the query or a header);
//! whatever is printed shows the URL through [`shown`], which redacts it, and headers carry
//! it as a [`Secret`], whose `Debug` is `<redacted>`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use url::Url;

use crate::profile::{secs, AuthMode, Declare, Profile};
use crate::secret::{redact_url, Secret};
use crate::template;
use crate::transport::socketio::SioTarget;
use crate::transport::sse::SseTarget;
use crate::transport::websocket::WsTarget;

/// Where one socket of an account connects: what every target is built from.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    pub server: &'a Url,
    pub profile: &'a Profile,
    /// The profile's `[params]` overlaid with the account's
    /// ([`crate::AccountSpec::all_params`]).
    pub params: &'a BTreeMap<String, String>,
    /// This socket's stream channel (profiles with `channels`).
    pub channel: Option<&'a str>,
}

impl Endpoint<'_> {
    /// Renders a URL template: `{origin}`, `{ws_origin}`, `{channel}` and the account's
    /// parameters. A parameter that is missing (and has no `|fallback`) is an error
    /// naming it.
    pub fn render_url(&self, text: &str) -> Result<String, String> {
        let origin = self.server.origin().ascii_serialization();
        let ws_origin = origin.replacen("http", "ws", 1);
        let resolve = |key: &str| match key {
            "origin" => Some(origin.clone()),
            "ws_origin" => Some(ws_origin.clone()),
            "channel" => self.channel.map(str::to_string),
            k => self.params.get(k).cloned(),
        };
        for (name, has_fallback) in template::placeholders(text).map_err(|e| e.to_string())? {
            if !has_fallback && resolve(&name).is_none_or(|v| v.is_empty()) {
                return Err(format!(
                    "profile `{}` needs the parameter `{name}`: pass --param {name}=VALUE or set \
                     it in the account's [accounts.params]",
                    self.profile.name
                ));
            }
        }
        template::render_with(text, resolve).map_err(|e| e.to_string())
    }

    /// The WebSocket URL, with the token in its query when the profile says so. An error
    /// says what is wrong with the profile or the parameters.
    pub fn websocket_url(&self, token: Option<&Secret>) -> Result<Url, String> {
        let rendered = self.render_url(&self.profile.websocket.url)?;
        let mut url = Url::parse(&rendered).map_err(|e| format!("invalid WebSocket URL: {e}"))?;
        self.token_in_query(&mut url, token);
        Ok(url)
    }

    /// The WebSocket handshake to `url` (from [`Endpoint::websocket_url`]).
    pub fn websocket(
        &self,
        url: Url,
        token: Option<&Secret>,
        tls: Arc<rustls::ClientConfig>,
    ) -> WsTarget {
        let profile = self.profile;
        let origin = match profile.websocket.origin.as_str() {
            "auto" => Some(self.server.origin().ascii_serialization()),
            "" => None,
            other => Some(other.to_string()),
        };
        WsTarget {
            url,
            origin,
            auth_header: self.auth_header(token),
            tls,
            connect_timeout: secs(profile.reconnect.connect_timeout_secs),
            close_codes: profile.close_codes.clone(),
        }
    }

    /// The Socket.IO connection: its URL, and the identity declared in the CONNECT packet's
    /// auth payload or in the query (`socketio.declare`). An error says what is wrong with
    /// the profile or the parameters (the URL's first).
    pub fn socketio(
        &self,
        token: Option<&Secret>,
        extra_ca: Option<PathBuf>,
    ) -> Result<SioTarget, String> {
        let profile = self.profile;
        let sio = &profile.socketio;
        let rendered = self
            .render_url(&sio.url)
            .and_then(|u| Url::parse(&u).map_err(|e| format!("invalid Socket.IO URL `{u}`: {e}")));
        let identity: Result<Vec<(String, String)>, String> = sio
            .identity
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.render_url(v)?)))
            .collect();
        let (mut url, identity) = match (rendered, identity) {
            (Ok(url), Ok(identity)) => (url, identity),
            (Err(message), _) | (_, Err(message)) => return Err(message),
        };
        let auth = match sio.declare {
            Declare::Auth if !identity.is_empty() => Some(Value::Object(
                identity
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            )),
            Declare::Auth => None,
            Declare::Query => {
                url.query_pairs_mut().extend_pairs(identity.iter());
                None
            }
        };
        self.token_in_query(&mut url, token);
        Ok(SioTarget {
            url,
            namespace: sio.namespace.clone(),
            auth,
            transport: sio.transport,
            connect_timeout: secs(profile.reconnect.connect_timeout_secs),
            extra_ca,
            close_codes: profile.close_codes.clone(),
        })
    }

    /// The event stream's URL, with the token in its query when the profile says so. An
    /// error says what is wrong with the profile or the parameters.
    pub fn sse_url(&self, token: Option<&Secret>) -> Result<Url, String> {
        let mut url = self.render_url(&self.profile.sse.url).and_then(|u| {
            Url::parse(&u).map_err(|e| format!("invalid event stream URL `{u}`: {e}"))
        })?;
        self.token_in_query(&mut url, token);
        Ok(url)
    }

    /// The event stream request to `url` (from [`Endpoint::sse_url`]), resuming after
    /// `last_event_id`.
    pub fn sse(
        &self,
        url: Url,
        token: Option<&Secret>,
        last_event_id: Option<String>,
    ) -> SseTarget {
        let profile = self.profile;
        SseTarget {
            url,
            auth_header: self.auth_header(token),
            last_event_id,
            connect_timeout: secs(profile.reconnect.connect_timeout_secs),
            close_codes: profile.close_codes.clone(),
            max_data: profile.websocket.max_frame_bytes,
            frame: profile.sse.frame,
        }
    }

    /// `auth.mode = "query"`: the token as the query parameter `auth.query_param`.
    fn token_in_query(&self, url: &mut Url, token: Option<&Secret>) {
        if let (AuthMode::Query, Some(token)) = (self.profile.auth.mode, token) {
            url.query_pairs_mut()
                .append_pair(&self.profile.auth.query_param, token.expose());
        }
    }

    /// `auth.mode = "header"`: the header `auth.header` with `auth.header_prefix` and the
    /// token (a secret itself).
    fn auth_header(&self, token: Option<&Secret>) -> Option<(String, Secret)> {
        let auth = &self.profile.auth;
        match (auth.mode, token) {
            (AuthMode::Header, Some(t)) => Some((
                auth.header.clone(),
                Secret::new(format!("{}{}", auth.header_prefix, t.expose())),
            )),
            _ => None,
        }
    }
}

/// A target's URL as logs may print it: the token's query parameter (and any password)
/// redacted.
pub fn shown(url: &Url, profile: &Profile) -> String {
    redact_url(url, &[profile.auth.query_param.as_str()])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJhbGciOi.payload.signature";

    fn profile(src: &str) -> Profile {
        Profile::parse("test", src).unwrap()
    }

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn server() -> Url {
        Url::parse("https://h.example:8443/base/?ignored=1").unwrap()
    }

    fn tls() -> Arc<rustls::ClientConfig> {
        crate::tls::client_config(None).unwrap()
    }

    fn endpoint<'a>(
        server: &'a Url,
        profile: &'a Profile,
        params: &'a BTreeMap<String, String>,
        channel: Option<&'a str>,
    ) -> Endpoint<'a> {
        Endpoint {
            server,
            profile,
            params,
            channel,
        }
    }

    #[test]
    fn a_url_template_takes_the_origin_the_channel_and_the_parameters() {
        let (server, profile) = (server(), Profile::load("smartsales").unwrap());
        let params = params(&[("consumidor_id", "7"), ("empty", "")]);
        let at = endpoint(&server, &profile, &params, Some("sensor_data"));
        assert_eq!(
            at.render_url("{ws_origin}/ws/{channel}/{consumidor_id}/")
                .unwrap(),
            "wss://h.example:8443/ws/sensor_data/7/"
        );
        assert_eq!(
            at.render_url("{origin}/x/{limit|50}").unwrap(),
            "https://h.example:8443/x/50"
        );
        // A parameter nobody gives, or gives empty, is named with how to give it.
        for missing in ["{ws_origin}/ws/{user_id}/", "{origin}/{empty}"] {
            let name = missing
                .rsplit('{')
                .next()
                .unwrap()
                .trim_end_matches(['}', '/']);
            let e = at.render_url(missing).unwrap_err();
            assert!(
                e.contains(&format!(
                    "profile `smartsales` needs the parameter `{name}`"
                )) && e.contains(&format!("--param {name}=VALUE")),
                "{e}"
            );
        }
        // No channel: `{channel}` is missing too.
        let e = endpoint(&server, &profile, &params, None)
            .render_url("{origin}/{channel}")
            .unwrap_err();
        assert!(e.contains("`channel`"), "{e}");
    }

    #[test]
    fn a_websocket_token_in_the_query_is_sent_and_never_shown() {
        let (server, profile) = (server(), Profile::load("smartsales").unwrap());
        let params = BTreeMap::new();
        let at = endpoint(&server, &profile, &params, None);
        let token = Secret::new(TOKEN);
        let url = at.websocket_url(Some(&token)).unwrap();
        assert_eq!(
            url.as_str(),
            format!("wss://h.example:8443/ws/api/admin/notificaciones/?token={TOKEN}")
        );
        let printed = shown(&url, &profile);
        assert!(!printed.contains(TOKEN), "{printed}");
        assert!(printed.contains("token=%3Credacted%3E"), "{printed}");
        let target = at.websocket(url, Some(&token), tls());
        // `origin = "auto"`: the server's own origin (Django's origin validator wants it).
        assert_eq!(target.origin.as_deref(), Some("https://h.example:8443"));
        assert!(target.auth_header.is_none());
        assert_eq!(
            target.connect_timeout,
            secs(profile.reconnect.connect_timeout_secs)
        );
        // Without a token (none yet): no query parameter at all.
        let bare = at.websocket_url(None).unwrap();
        assert_eq!(bare.query(), None);
    }

    #[test]
    fn a_websocket_token_in_a_header_is_a_secret() {
        let profile = profile(
            r#"extends = "smartsales"
[websocket]
origin = "https://app.example"
[auth]
mode = "header"
header = "Authorization"
header_prefix = "Bearer "
"#,
        );
        let (server, params) = (server(), BTreeMap::new());
        let at = endpoint(&server, &profile, &params, None);
        let token = Secret::new(TOKEN);
        let url = at.websocket_url(Some(&token)).unwrap();
        assert!(!url.as_str().contains(TOKEN), "{url}");
        let target = at.websocket(url, Some(&token), tls());
        assert_eq!(target.origin.as_deref(), Some("https://app.example"));
        let (name, value) = target.auth_header.unwrap();
        assert_eq!(name, "Authorization");
        assert_eq!(value.expose(), format!("Bearer {TOKEN}"));
        assert_eq!(format!("{value:?}"), "<redacted>");
        // `origin = ""`: no Origin header.
        let no_origin = profile_with_origin("");
        let target =
            endpoint(&server, &no_origin, &params, None).websocket(server.clone(), None, tls());
        assert_eq!(target.origin, None);
    }

    fn profile_with_origin(origin: &str) -> Profile {
        profile(&format!(
            "extends = \"smartsales\"\n[websocket]\norigin = \"{origin}\"\n"
        ))
    }

    #[test]
    fn a_bad_websocket_url_is_said_as_such() {
        let profile = profile("extends = \"smartsales\"\n[websocket]\nurl = \"not a url\"\n");
        let (server, params) = (server(), BTreeMap::new());
        let e = endpoint(&server, &profile, &params, None)
            .websocket_url(None)
            .unwrap_err();
        assert!(e.starts_with("invalid WebSocket URL: "), "{e}");
    }

    #[test]
    fn socketio_declares_the_identity_in_the_auth_payload_or_in_the_query() {
        let server = server();
        let params = params(&[("user_id", "42"), ("role", "proveedor")]);
        let token = Secret::new(TOKEN);
        let in_auth = Profile::load("socketio-gateway").unwrap();
        let target = endpoint(&server, &in_auth, &params, None)
            .socketio(Some(&token), Some(PathBuf::from("/ca.pem")))
            .unwrap();
        assert_eq!(target.url.as_str(), "https://h.example:8443/");
        assert_eq!(target.namespace, "/ws");
        assert_eq!(
            target.auth,
            Some(serde_json::json!({"userId": "42", "role": "proveedor"}))
        );
        assert_eq!(target.extra_ca, Some(PathBuf::from("/ca.pem")));

        let in_query = profile(
            r#"extends = "socketio-gateway"
[socketio]
declare = "query"
[auth]
mode = "query"
query_param = "access"
"#,
        );
        let target = endpoint(&server, &in_query, &params, None)
            .socketio(Some(&token), None)
            .unwrap();
        assert_eq!(target.auth, None);
        let query: Vec<(String, String)> = target.url.query_pairs().into_owned().collect();
        assert_eq!(
            query,
            [
                ("role".to_string(), "proveedor".to_string()),
                ("userId".into(), "42".into()),
                ("access".into(), TOKEN.into()),
            ]
        );
        let printed = shown(&target.url, &in_query);
        assert!(
            !printed.contains(TOKEN) && printed.contains("userId=42"),
            "{printed}"
        );
    }

    #[test]
    fn socketio_says_the_url_problem_before_the_identitys() {
        let profile =
            profile("extends = \"socketio-gateway\"\n[socketio]\nurl = \"{origin}:{port}\"\n");
        let (server, params) = (server(), BTreeMap::new());
        let Err(e) = endpoint(&server, &profile, &params, None).socketio(None, None) else {
            panic!("a missing parameter is an error");
        };
        assert!(e.contains("`port`"), "{e}");
        let Err(e) = endpoint(
            &server,
            &Profile::load("socketio-gateway").unwrap(),
            &params,
            None,
        )
        .socketio(None, None) else {
            panic!("a missing parameter is an error");
        };
        assert!(e.contains("`role`"), "{e}");
    }

    #[test]
    fn the_event_stream_resumes_after_the_last_event_id_and_hides_its_token() {
        let (server, profile) = (server(), Profile::load("smartsales-sse").unwrap());
        let params = BTreeMap::new();
        let at = endpoint(&server, &profile, &params, None);
        let token = Secret::new(TOKEN);
        let url = at.sse_url(Some(&token)).unwrap();
        assert_eq!(
            url.as_str(),
            format!("https://h.example:8443/api/admin/notificaciones/eventos/?token={TOKEN}")
        );
        assert!(!shown(&url, &profile).contains(TOKEN));
        let target = at.sse(url, Some(&token), Some("41".into()));
        assert_eq!(target.last_event_id.as_deref(), Some("41"));
        assert!(target.auth_header.is_none());
        assert_eq!(target.max_data, profile.websocket.max_frame_bytes);

        let header = self::profile(
            "extends = \"smartsales-sse\"\n[auth]\nmode = \"header\"\nheader = \"X-Token\"\nheader_prefix = \"\"\n",
        );
        let at = endpoint(&server, &header, &params, None);
        let url = at.sse_url(Some(&token)).unwrap();
        assert_eq!(url.query(), None);
        let (name, value) = at.sse(url, Some(&token), None).auth_header.unwrap();
        assert_eq!((name.as_str(), value.expose()), ("X-Token", TOKEN));

        let bad = self::profile("extends = \"smartsales-sse\"\n[sse]\nurl = \"::\"\n");
        let e = endpoint(&server, &bad, &params, None)
            .sse_url(None)
            .unwrap_err();
        assert!(e.starts_with("invalid event stream URL `::`: "), "{e}");
    }
}
