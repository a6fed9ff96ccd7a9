//! The Socket.IO v4 transport (seed 003's NestJS gateway), on `tf-rust-socketio`.
//!
//! Each event becomes one JSON text frame `{"event": NAME, "data": FIRST_ARGUMENT, "args":
//! [ALL_ARGUMENTS]}`, so the profile's `[frames]` rules (keyed on `event`) map Socket.IO
//! events exactly as they map WebSocket frames. The session drives reconnects: the crate's
//! own reconnection is off. Engine.IO's heartbeat (the server's pingInterval + pingTimeout)
//! detects a dead peer; the crate then reports a transport close.
//!
//! Why this crate: it is the maintained fork of `rust_socketio` (which stopped at 0.6 and
//! never reports a transport close when its own reconnection is off, so a killed server
//! would go unnoticed). Both link native-tls (OpenSSL) unconditionally; no Socket.IO client
//! on rustls is available from the registry here. Aviso's own WebSocket and REST traffic
//! stays on rustls; only Socket.IO accounts over `https` use OpenSSL.
//!
//! The crate runs each event callback as its own task. On a multi-threaded runtime Tokio's
//! LIFO slot can then run a later event before an earlier one, and a stream's "latest
//! value" would be wrong. So each connection runs on its own thread with a current-thread
//! runtime, whose run queue is FIFO: events come out in the order they arrived.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::FutureExt;
use serde_json::{json, Value};
use tf_rust_socketio::asynchronous::ClientBuilder;
use tf_rust_socketio::{Event, Payload, TransportType};
use tokio::sync::{mpsc, oneshot};
use url::Url;

use super::{Connection, Inbound, Outbound, INBOUND_CAPACITY};
use crate::profile::SocketIoTransport;
use crate::session::{Detail, Failure};

pub struct SioTarget {
    /// The server URL, with the identity in its query when declared that way.
    pub url: Url,
    pub namespace: String,
    /// The CONNECT packet's auth payload, when the identity is declared that way.
    pub auth: Option<Value>,
    pub transport: SocketIoTransport,
    pub connect_timeout: Duration,
    /// Extra CA certificates (PEM) to trust for `https`.
    pub extra_ca: Option<PathBuf>,
    /// What the handshake's HTTP statuses mean (the profile's, as for WebSocket).
    pub close_codes: crate::profile::CloseCodesSection,
}

/// The frame an event becomes.
pub fn event_frame(event: &str, args: &[Value]) -> String {
    json!({
        "event": event,
        "data": args.first().cloned().unwrap_or(Value::Null),
        "args": args,
    })
    .to_string()
}

/// OpenSSL's connector trusting the system's roots and every certificate of the extra CA
/// file (the same file, read the same way, as the rustls connections' `extra_ca`).
fn tls(extra_ca: &Option<PathBuf>) -> Result<native_tls::TlsConnector, String> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = extra_ca {
        for der in crate::tls::ca_certificates(path).map_err(|e| e.to_string())? {
            let cert = native_tls::Certificate::from_der(&der).map_err(|e| {
                format!(
                    "the CA file {} (`extra_ca` in config.toml) cannot be used: {e}",
                    path.display()
                )
            })?;
            builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| format!("TLS setup failed: {e}"))
}

/// Classifies a connect error without its text's URL (the query may carry an identity).
/// HTTP statuses mean what the profile's `close_codes` say, as for the WebSocket transport.
fn classify(
    e: &tf_rust_socketio::Error,
    codes: &crate::profile::CloseCodesSection,
) -> (Failure, String) {
    use tf_rust_engineio::Error as Eio;
    use tf_rust_socketio::Error as Sio;
    // A refused certificate, over Engine.IO's polling (reqwest) or its WebSocket
    // (tungstenite), both on OpenSSL: one sentence saying what is wrong with it.
    if let Some(message) = crate::tls::describe(e) {
        return (Failure::Transient(Detail::Tls), message);
    }
    match e {
        Sio::IncompleteResponseFromEngineIo(engine) => match engine {
            Eio::IncompleteHttp(status) | Eio::HttpErrorWithBody { status, .. } => {
                let status = *status;
                let failure = if codes.http_auth.contains(&status) {
                    Failure::Auth
                } else if codes.http_no_websocket.contains(&status) {
                    Failure::NoWebSocket
                } else {
                    Failure::Transient(Detail::ServerError)
                };
                (
                    failure,
                    format!("the server answered HTTP {status} to the Socket.IO handshake"),
                )
            }
            Eio::IncompleteResponseFromReqwest(r) => (
                Failure::Transient(if r.is_timeout() {
                    Detail::Timeout
                } else {
                    Detail::Unreachable
                }),
                crate::rest::describe(r),
            ),
            Eio::WebsocketError(_) | Eio::IncompleteIo(_) => (
                Failure::Transient(Detail::Unreachable),
                "connection failed".into(),
            ),
            Eio::PingTimeout() => (
                Failure::Transient(Detail::DeadPeer),
                "no Engine.IO ping in time".into(),
            ),
            other => (Failure::Transient(Detail::Protocol), other.to_string()),
        },
        other => (Failure::Transient(Detail::Protocol), other.to_string()),
    }
}

/// Opens the Socket.IO connection and joins the namespace; the outcome is classified for
/// the session.
pub async fn connect(target: SioTarget) -> Result<Connection, (Failure, String)> {
    let (in_tx, in_rx) = mpsc::channel(INBOUND_CAPACITY);
    let (out_tx, out_rx) = mpsc::channel::<Outbound>(64);
    let (ready_tx, ready_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("aviso-socketio".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err((
                        Failure::Transient(Detail::Protocol),
                        format!("cannot start the Socket.IO runtime: {e}"),
                    )));
                    return;
                }
            };
            runtime.block_on(drive(target, in_tx, out_rx, ready_tx));
        })
        .map_err(|e| (Failure::Transient(Detail::Protocol), e.to_string()))?;
    match ready_rx.await {
        Ok(Ok(())) => Ok(Connection::detached(out_tx, in_rx)),
        Ok(Err(failure)) => Err(failure),
        Err(_) => Err((
            Failure::Transient(Detail::Protocol),
            "the Socket.IO thread ended".into(),
        )),
    }
}

/// Runs one connection on the current thread until it closes or the `Connection` is dropped.
async fn drive(
    target: SioTarget,
    in_tx: mpsc::Sender<Inbound>,
    mut out_rx: mpsc::Receiver<Outbound>,
    ready_tx: oneshot::Sender<Result<(), (Failure, String)>>,
) {
    let connector = match target.url.scheme() {
        "https" => match tls(&target.extra_ca) {
            Ok(c) => Some(c),
            Err(message) => {
                let _ = ready_tx.send(Err((Failure::Transient(Detail::Tls), message)));
                return;
            }
        },
        _ => None,
    };
    let (joined_tx, mut joined_rx) = mpsc::channel::<Result<(), String>>(4);
    let events = in_tx.clone();
    let closes = in_tx.clone();
    let errors = joined_tx.clone();
    let mut builder = ClientBuilder::new(target.url.as_str())
        .namespace(target.namespace.clone())
        .reconnect(false)
        .reconnect_on_disconnect(false)
        .transport_type(match target.transport {
            SocketIoTransport::Any => TransportType::Any,
            SocketIoTransport::Websocket => TransportType::Websocket,
            SocketIoTransport::Polling => TransportType::Polling,
        })
        .on(Event::Connect, move |_payload, _client| {
            let joined = joined_tx.clone();
            async move {
                let _ = joined.send(Ok(())).await;
            }
            .boxed()
        })
        .on(Event::Error, move |payload, _client| {
            let errors = errors.clone();
            async move {
                let text = match payload {
                    Payload::Text(values, _) => values
                        .first()
                        .map(crate::template::to_text)
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                tracing::debug!("Socket.IO error: {text}");
                // Before the namespace is joined, an error (a CONNECT_ERROR) fails the
                // connect; after, the close that follows it is what counts.
                let _ = errors.try_send(Err(text));
            }
            .boxed()
        })
        .on(Event::Close, move |payload, _client| {
            let closes = closes.clone();
            async move {
                let reason = match payload {
                    Payload::Text(values, _) => values
                        .first()
                        .map(crate::template::to_text)
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let _ = closes
                    .send(Inbound::Closed {
                        failure: Failure::Transient(Detail::ServerClosed),
                        message: format!("Socket.IO connection closed ({reason})"),
                    })
                    .await;
            }
            .boxed()
        })
        .on_any(move |event, payload, _client| {
            let events = events.clone();
            async move {
                let inbound = match payload {
                    Payload::Text(args, _) => Inbound::Text(event_frame(event.as_str(), &args)),
                    _ => Inbound::Garbage {
                        code: crate::ErrorCode::BadFrame,
                        message: format!(
                            "binary Socket.IO event `{}`: not supported; skipped",
                            event.as_str()
                        ),
                    },
                };
                // Backpressure: a full queue holds this callback, and the crate's reader
                // behind it, until the session catches up.
                let _ = events.send(inbound).await;
            }
            .boxed()
        });
    if let Some(auth) = target.auth.clone() {
        builder = builder.auth(auth);
    }
    if let Some(connector) = connector {
        builder = builder.tls_config(connector);
    }
    let timeout = target.connect_timeout;
    let client = match tokio::time::timeout(timeout, builder.connect()).await {
        Err(_) => {
            let _ = ready_tx.send(Err((
                Failure::Transient(Detail::Timeout),
                "Socket.IO handshake timed out".into(),
            )));
            return;
        }
        Ok(Err(e)) => {
            let _ = ready_tx.send(Err(classify(&e, &target.close_codes)));
            return;
        }
        Ok(Ok(client)) => client,
    };
    // The namespace CONNECT answer: joined, refused (CONNECT_ERROR), or nothing.
    let joined = tokio::time::timeout(timeout, joined_rx.recv()).await;
    let outcome = match joined {
        Ok(Some(Ok(()))) => Ok(()),
        Ok(Some(Err(message))) => Err((
            Failure::Transient(Detail::ServerError),
            format!(
                "the server refused namespace {}: {message}",
                target.namespace
            ),
        )),
        Ok(None) | Err(_) => Err((
            Failure::Transient(Detail::Timeout),
            format!("namespace {} did not answer", target.namespace),
        )),
    };
    let failed = outcome.is_err();
    if ready_tx.send(outcome).is_err() || failed {
        let _ = client.disconnect().await;
        return;
    }
    // Connected: forward what the session sends until it drops the connection.
    while let Some(out) = out_rx.recv().await {
        match out {
            // Engine.IO keeps the connection alive itself.
            Outbound::Ping => {}
            Outbound::Text(text) => {
                let emitted = match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(m)) => {
                        match (m.get("event").and_then(Value::as_str), m.get("data")) {
                            (Some(event), data) => client
                                .emit(event.to_string(), data.cloned().unwrap_or(Value::Null))
                                .await
                                .map_err(|e| e.to_string()),
                            _ => Err("an outbound Socket.IO frame needs `event`".into()),
                        }
                    }
                    _ => Err("an outbound Socket.IO frame must be a JSON object".into()),
                };
                if let Err(message) = emitted {
                    tracing::debug!("Socket.IO emit failed: {message}");
                }
            }
        }
    }
    let _ = client.disconnect().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_statuses_mean_what_the_profile_says() {
        use tf_rust_engineio::Error as Eio;
        use tf_rust_socketio::Error as Sio;
        let http = |status: u16| Sio::IncompleteResponseFromEngineIo(Eio::IncompleteHttp(status));
        let defaults = crate::profile::CloseCodesSection::default();
        assert_eq!(classify(&http(403), &defaults).0, Failure::Auth);
        assert_eq!(classify(&http(404), &defaults).0, Failure::NoWebSocket);
        assert_eq!(
            classify(&http(500), &defaults).0,
            Failure::Transient(Detail::ServerError)
        );
        // A gateway whose auth guard answers 418, and whose 403 is a plain error.
        let own = crate::profile::CloseCodesSection {
            http_auth: vec![418],
            ..Default::default()
        };
        assert_eq!(classify(&http(418), &own).0, Failure::Auth);
        assert_eq!(
            classify(&http(403), &own).0,
            Failure::Transient(Detail::ServerError)
        );
        let (_, message) = classify(&http(418), &own);
        assert!(message.contains("HTTP 418"), "{message}");
    }

    #[test]
    fn events_become_frames_with_name_data_and_args() {
        let frame: Value = serde_json::from_str(&event_frame(
            "reserva:creada",
            &[json!({"type": "reserva:creada", "data": {"reserva": {"id": 1}}})],
        ))
        .unwrap();
        assert_eq!(frame["event"], "reserva:creada");
        assert_eq!(frame["data"]["data"]["reserva"]["id"], 1);
        assert_eq!(frame["args"].as_array().unwrap().len(), 1);
        let empty: Value = serde_json::from_str(&event_frame("ping", &[])).unwrap();
        assert_eq!(empty["data"], Value::Null);
    }
}
