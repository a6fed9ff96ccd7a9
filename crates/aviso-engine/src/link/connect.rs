//! Connecting: the access token, the transport the profile names (built from
//! [`super::target`]), and what a failed connect tells the user: a TLS refusal each time,
//! a connection that cannot work as configured once ([`ConnectProblems`]).

use url::Url;

use super::target::{self, Endpoint};
use super::Link;
use crate::profile::{Profile, TransportChoice};
use crate::secret::Secret;
use crate::session::{Detail, Failure, Input};
use crate::transport::{socketio, sse, websocket, Connection};
use crate::ErrorCode;

/// What failed connects have said in this run (see [`ConnectProblems::failed`]).
#[derive(Debug, Default)]
pub(super) struct ConnectProblems {
    /// Connect attempts that failed, in a row.
    streak: u32,
    /// A connection has worked in this run.
    ever_live: bool,
    /// A problem was said (once a run).
    said: bool,
}

impl ConnectProblems {
    fn connected(&mut self) {
        self.streak = 0;
        self.ever_live = true;
    }

    /// Counts a failed attempt to reach `server` and says what the user should hear about
    /// it, as (code, text), if anything. A connection that cannot work as configured is
    /// worth a line: a name that does not resolve (a typo'd host) at once; a server that
    /// speaks another protocol, or none at that address, after three attempts in a row
    /// (unless the profile is `quiet_unreachable`). Only while no connection has worked in
    /// this run: a server that worked and went away (a restart, a flaky network that
    /// garbles a handshake) is an outage, shown as state lines while it is retried.
    fn failed(
        &mut self,
        failure: Failure,
        message: &str,
        server: &Url,
        profile: &Profile,
    ) -> Option<(ErrorCode, String)> {
        if self.ever_live {
            return None;
        }
        let host = server.origin().ascii_serialization();
        self.streak += 1;
        match failure {
            Failure::Transient(Detail::Unreachable) => {
                let lower = message.to_lowercase();
                // Linux/glibc, Windows (WSAHOST_NOT_FOUND, 11001), macOS.
                let no_name = [
                    "lookup",
                    "resolve",
                    "host not found",
                    "no such host",
                    "name or service not known",
                    "nodename nor servname",
                    "os error 11001",
                ]
                .iter()
                .any(|p| lower.contains(p));
                if no_name {
                    Some((
                        ErrorCode::Unreachable,
                        format!(
                            "the server name in {host} does not resolve ({message}): check the \
                             address for a typo"
                        ),
                    ))
                } else if self.streak >= 3 && !profile.reconnect.quiet_unreachable {
                    Some((
                        ErrorCode::Unreachable,
                        format!(
                            "cannot reach {host} ({message}): check that the server runs and the \
                             address and port are right; Aviso keeps trying"
                        ),
                    ))
                } else {
                    None
                }
            }
            Failure::Transient(Detail::Protocol) if self.streak >= 3 => Some((
                ErrorCode::Protocol,
                format!(
                    "the server at {host} does not answer as this profile expects ({message}): \
                     check the address and the profile (`{}`, transport {:?})",
                    profile.name, profile.transport
                ),
            )),
            _ => None,
        }
    }
}

impl Link {
    /// Where this socket connects (see `target`).
    fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            server: &self.spec.server,
            profile: &self.spec.profile,
            params: &self.params,
            channel: self.channel.as_deref(),
        }
    }

    /// One connect attempt with a usable token, over the profile's transport.
    pub(super) async fn connect(&mut self) -> Input {
        let token = match self.access().await {
            Ok(t) => t,
            Err(e) => return Input::ConnectFailed(self.auth_failed(e).await),
        };
        let attempt = match self.spec.profile.transport {
            TransportChoice::Socketio => self.connect_socketio(token.as_ref()).await,
            TransportChoice::Sse => self.connect_sse(token.as_ref()).await,
            _ => self.connect_websocket(token.as_ref()).await,
        };
        match attempt {
            Ok(conn) => {
                self.conn = Some(conn);
                self.connections += 1;
                // A new connection's catch-up also looks for reads made elsewhere meanwhile.
                self.reads.reset();
                // An optional list the server lacked is looked for again (it may be new).
                self.no_catch_up = false;
                self.problems.connected();
                Input::Connected
            }
            Err(input) => input,
        }
    }

    /// What cannot work as configured is said once per run, by the account's first socket
    /// (see `ConnectProblems::failed`). TLS is said by `connect_failed`.
    async fn say_connect_problem(&mut self, failure: Failure, message: &str) {
        let line = self
            .problems
            .failed(failure, message, &self.spec.server, &self.spec.profile);
        if let Some((code, message)) = line {
            if self.primary() && !std::mem::replace(&mut self.problems.said, true) {
                self.error(code, message).await;
            }
        }
    }

    async fn connect_websocket(&mut self, token: Option<&Secret>) -> Result<Connection, Input> {
        let url = match self.endpoint().websocket_url(token) {
            Ok(u) => u,
            Err(message) => {
                self.error(ErrorCode::BadProfile, message).await;
                return Err(Input::ConnectFailed(Failure::NoWebSocket));
            }
        };
        let shown = target::shown(&url, &self.spec.profile);
        tracing::debug!(account = %self.account(), url = %shown, "connecting");
        let target = self
            .endpoint()
            .websocket(url, token, self.shared.tls.clone());
        match websocket::connect(target).await {
            Ok(conn) => Ok(conn),
            Err((failure, message)) => Err(self.connect_failed(failure, message).await),
        }
    }

    async fn connect_socketio(&mut self, token: Option<&Secret>) -> Result<Connection, Input> {
        let target = match self
            .endpoint()
            .socketio(token, self.shared.extra_ca.clone())
        {
            Ok(t) => t,
            Err(message) => {
                self.error(ErrorCode::BadProfile, message).await;
                return Err(Input::ConnectFailed(Failure::NoWebSocket));
            }
        };
        let shown = target::shown(&target.url, &self.spec.profile);
        tracing::debug!(account = %self.account(), url = %shown, namespace = %target.namespace, "connecting (Socket.IO)");
        match socketio::connect(target).await {
            Ok(conn) => Ok(conn),
            Err((failure, message)) => Err(self.connect_failed(failure, message).await),
        }
    }

    async fn connect_sse(&mut self, token: Option<&Secret>) -> Result<Connection, Input> {
        let url = match self.endpoint().sse_url(token) {
            Ok(u) => u,
            Err(message) => {
                self.error(ErrorCode::BadProfile, message).await;
                return Err(Input::ConnectFailed(Failure::NoWebSocket));
            }
        };
        let last_event_id = self.last_event_id();
        let shown = target::shown(&url, &self.spec.profile);
        tracing::debug!(account = %self.account(), url = %shown, last_event_id = ?last_event_id, "connecting (SSE)");
        let target = self.endpoint().sse(url, token, last_event_id);
        match sse::connect(&self.shared.http, target).await {
            Ok(conn) => Ok(conn),
            Err((failure, message)) => Err(self.connect_failed(failure, message).await),
        }
    }

    /// A failed connect is logged; a TLS refusal, which needs the user, is an error line
    /// each time, and what cannot work as configured is said once (`say_connect_problem`).
    async fn connect_failed(&mut self, failure: Failure, message: String) -> Input {
        tracing::info!(account = %self.account(), channel = ?self.channel, "connect failed: {message}");
        if failure == Failure::Transient(Detail::Tls) {
            self.error(ErrorCode::Tls, message).await;
        } else {
            self.say_connect_problem(failure, &message).await;
        }
        Input::ConnectFailed(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(
        problems: &mut ConnectProblems,
        failure: Failure,
        message: &str,
        profile: &Profile,
    ) -> Option<&'static str> {
        let server = Url::parse("https://h.example:8443/").unwrap();
        problems
            .failed(failure, message, &server, profile)
            .map(|(code, text)| {
                assert!(text.contains("https://h.example:8443"), "{text}");
                code.as_str()
            })
    }

    #[test]
    fn a_name_that_does_not_resolve_is_said_at_once_a_refusal_on_the_third_attempt() {
        let profile = Profile::load("smartsales").unwrap();
        let unreachable = Failure::Transient(Detail::Unreachable);
        let mut problems = ConnectProblems::default();
        let typo = "dns error: failed to lookup address information";
        assert_eq!(
            fail(&mut problems, unreachable, typo, &profile),
            Some("unreachable")
        );
        let mut problems = ConnectProblems::default();
        let refused = "Connection refused (os error 111)";
        assert_eq!(fail(&mut problems, unreachable, refused, &profile), None);
        assert_eq!(fail(&mut problems, unreachable, refused, &profile), None);
        assert_eq!(
            fail(&mut problems, unreachable, refused, &profile),
            Some("unreachable")
        );
        // Another protocol at that address: also on the third.
        let mut problems = ConnectProblems::default();
        let protocol = Failure::Transient(Detail::Protocol);
        let said: Vec<_> = (0..3)
            .map(|_| fail(&mut problems, protocol, "not a WebSocket", &profile))
            .collect();
        assert_eq!(said, [None, None, Some("protocol")]);
    }

    #[test]
    fn after_a_connection_worked_a_failure_is_an_outage_not_a_problem() {
        let profile = Profile::load("smartsales").unwrap();
        let unreachable = Failure::Transient(Detail::Unreachable);
        let mut problems = ConnectProblems::default();
        problems.connected();
        for _ in 0..5 {
            assert_eq!(
                fail(&mut problems, unreachable, "lookup failed", &profile),
                None
            );
        }
        // A profile for a server that is often off says nothing of a refusal.
        let mut quiet = profile.clone();
        quiet.reconnect.quiet_unreachable = true;
        let mut problems = ConnectProblems::default();
        for _ in 0..5 {
            assert_eq!(fail(&mut problems, unreachable, "refused", &quiet), None);
        }
        // TLS and the rest are not this count's to say.
        let tls = Failure::Transient(Detail::Tls);
        let mut problems = ConnectProblems::default();
        for _ in 0..5 {
            assert_eq!(fail(&mut problems, tls, "bad certificate", &profile), None);
        }
    }
}
