//! The WebSocket transport (tokio-tungstenite over rustls).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::Connector;
use url::Url;

use super::{Connection, Inbound, Outbound, INBOUND_CAPACITY};
use crate::profile::CloseCodesSection;
use crate::secret::Secret;
use crate::session::{Detail, Failure};

/// The hard limit tungstenite enforces (it drops the connection above it). The profile's
/// own, smaller `max_frame_bytes` is applied per frame by the session, which skips the
/// frame and keeps the connection; this one only bounds memory against a hostile server.
const HARD_MESSAGE_LIMIT: usize = 64 << 20;

pub struct WsTarget {
    pub url: Url,
    pub origin: Option<String>,
    /// An extra header (name, value) carrying the token, for `auth.mode = "header"`.
    pub auth_header: Option<(String, Secret)>,
    pub tls: Arc<rustls::ClientConfig>,
    pub connect_timeout: Duration,
    pub close_codes: CloseCodesSection,
}

/// Opens the socket; the handshake's outcome is classified for the session.
pub async fn connect(target: WsTarget) -> Result<Connection, (Failure, String)> {
    let mut request = target
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| (Failure::Transient(Detail::Protocol), e.to_string()))?;
    let headers = request.headers_mut();
    if let Some(origin) = &target.origin {
        let value = origin
            .parse()
            .map_err(|_| (Failure::Transient(Detail::Protocol), "bad Origin".into()))?;
        headers.insert(http::header::ORIGIN, value);
    }
    if let Some((name, value)) = &target.auth_header {
        let name: http::HeaderName = name
            .parse()
            .map_err(|_| (Failure::Transient(Detail::Protocol), "bad header".into()))?;
        let value = value.expose().parse().map_err(|_| {
            (
                Failure::Transient(Detail::Protocol),
                "bad token header".into(),
            )
        })?;
        headers.insert(name, value);
    }
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(HARD_MESSAGE_LIMIT);
    config.max_frame_size = Some(HARD_MESSAGE_LIMIT);
    let connector = Connector::Rustls(target.tls.clone());
    let handshake = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(config),
        true,
        Some(connector),
    );
    let (ws, _response) = match tokio::time::timeout(target.connect_timeout, handshake).await {
        Err(_) => {
            return Err((
                Failure::Transient(Detail::Timeout),
                "handshake timed out".into(),
            ))
        }
        Ok(Err(e)) => return Err(classify_handshake(&e, &target.close_codes)),
        Ok(Ok(pair)) => pair,
    };

    let (in_tx, in_rx) = mpsc::channel(INBOUND_CAPACITY);
    let (out_tx, mut out_rx) = mpsc::channel::<Outbound>(64);
    let close_codes = target.close_codes.clone();
    let task = tokio::spawn(async move {
        let (mut sink, mut stream) = ws.split();
        loop {
            tokio::select! {
                frame = stream.next() => {
                    let inbound = match frame {
                        Some(Ok(Message::Text(text))) => Inbound::Text(text.as_str().to_owned()),
                        Some(Ok(Message::Binary(bytes))) => match String::from_utf8(bytes.to_vec()) {
                            Ok(text) => Inbound::Text(text),
                            Err(_) => Inbound::Garbage {
                                code: crate::ErrorCode::BadFrame,
                                message: "binary frame is not UTF-8 text; skipped".into(),
                            },
                        },
                        // tungstenite answers pings itself; both directions prove liveness.
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Inbound::Alive,
                        Some(Ok(Message::Frame(_))) => continue,
                        Some(Ok(Message::Close(frame))) => {
                            let code = frame.as_ref().map(|f| u16::from(f.code));
                            let failure = match code {
                                Some(c) if close_codes.auth.contains(&c) => Failure::Auth,
                                _ => Failure::Transient(Detail::ServerClosed),
                            };
                            let reason = frame.map(|f| format!("closed by the server (code {})", u16::from(f.code)));
                            let _ = in_tx.send(Inbound::Closed { failure, message: reason.unwrap_or_else(|| "closed by the server".into()) }).await;
                            return;
                        }
                        Some(Err(e)) => {
                            let _ = in_tx.send(Inbound::Closed { failure: classify_stream(&e), message: e.to_string() }).await;
                            return;
                        }
                        None => {
                            let _ = in_tx.send(Inbound::Closed { failure: Failure::Transient(Detail::ServerClosed), message: "connection closed".into() }).await;
                            return;
                        }
                    };
                    if in_tx.send(inbound).await.is_err() {
                        return;
                    }
                }
                out = out_rx.recv() => {
                    let msg = match out {
                        Some(Outbound::Ping) => Message::Ping(Vec::new().into()),
                        Some(Outbound::Text(t)) => Message::Text(t.into()),
                        None => {
                            let _ = sink.send(Message::Close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame { code: CloseCode::Normal, reason: "".into() }))).await;
                            return;
                        }
                    };
                    if let Err(e) = sink.send(msg).await {
                        let _ = in_tx.send(Inbound::Closed { failure: classify_stream(&e), message: e.to_string() }).await;
                        return;
                    }
                }
            }
        }
    });
    Ok(Connection::new(out_tx, in_rx, task))
}

fn classify_handshake(e: &WsError, codes: &CloseCodesSection) -> (Failure, String) {
    match e {
        WsError::Http(resp) => {
            let status = resp.status().as_u16();
            let failure = if codes.http_auth.contains(&status) {
                Failure::Auth
            } else if codes.http_no_websocket.contains(&status) {
                Failure::NoWebSocket
            } else if status < 400 {
                // A page, or a redirect: a web server at this address, no WebSocket.
                return (
                    Failure::Transient(Detail::Protocol),
                    format!(
                        "the server answered HTTP {status} instead of switching to WebSocket: \
                         this address serves web pages, not a WebSocket"
                    ),
                );
            } else {
                Failure::Transient(Detail::ServerError)
            };
            (
                failure,
                format!("the server answered HTTP {status} to the WebSocket handshake"),
            )
        }
        // A refused certificate (or any other TLS failure) in words the user can act on.
        other => match crate::tls::describe(other) {
            Some(message) => (Failure::Transient(Detail::Tls), message),
            None => (classify_stream(other), describe(other)),
        },
    }
}

fn classify_stream(e: &WsError) -> Failure {
    match e {
        WsError::Tls(_) => Failure::Transient(Detail::Tls),
        WsError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            // rustls reports certificate problems as InvalidData I/O errors.
            Failure::Transient(Detail::Tls)
        }
        WsError::Io(_) | WsError::ConnectionClosed | WsError::AlreadyClosed => {
            Failure::Transient(Detail::Unreachable)
        }
        // The TCP connection ended without a close frame: a restart, a crash, a proxy
        // timeout. An ordinary disconnect, not the server sending anything invalid.
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            Failure::Transient(Detail::ServerClosed)
        }
        _ => Failure::Transient(Detail::Protocol),
    }
}

/// An error's text with its causes, never with the request URL.
fn describe(e: &WsError) -> String {
    crate::error_chain(e.to_string(), e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abrupt_disconnect_is_not_bad_data() {
        let reset = WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake);
        assert_eq!(
            classify_stream(&reset),
            Failure::Transient(Detail::ServerClosed)
        );
        let utf8 = WsError::Utf8(String::from("invalid"));
        assert_eq!(classify_stream(&utf8), Failure::Transient(Detail::Protocol));
        let io = WsError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(
            classify_stream(&io),
            Failure::Transient(Detail::Unreachable)
        );
    }
}
