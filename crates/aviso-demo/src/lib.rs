//! Embedded SmartSales365 demo backend: `docs/smartsales-contract.md` plus test controls.
//!
//! It behaves like the seed's Django + Channels + simplejwt backend served by daphne, so the
//! desktop app can be tried without one and every failure mode can be tested against a real
//! server on `127.0.0.1:0`.
//!
//! # Use
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use aviso_demo::{DemoConfig, DemoServer, EmitSpec};
//! let server = DemoServer::start("127.0.0.1:0".parse().unwrap(), DemoConfig::default()).await?;
//! let ids = server.control().emit(1, &EmitSpec::default());
//! let state = server.stop().await; // like `kill -9`: sockets dropped, no close frames
//! let again = DemoServer::start_with_state("127.0.0.1:0".parse().unwrap(), state).await?;
//! # Ok(()) }
//! ```
//!
//! The CLI runs [`serve`] on its own listener until Ctrl-C.
//!
//! # Wire surface
//!
//! - `POST /api/token/`, `POST /api/token/refresh/` (simplejwt; users `admin`/`admin` is staff,
//!   `cliente`/`cliente` is not).
//! - `GET /ws/api/admin/notificaciones/?token=` ([`WS_PATH`]): 403 at the handshake for a bad
//!   token, a non-staff user, or a missing or foreign `Origin`; pings every
//!   [`DemoConfig::ping_interval`], drops a peer that does not pong within
//!   [`DemoConfig::ping_timeout`].
//! - `GET /api/admin/notificaciones/?after=&limit=&leida=false`, `POST …/<id>/marcar-leida/`,
//!   `POST …/marcar-todas-leidas/`, `GET …/no-leidas/` (non-staff users get 403, like DRF's
//!   `IsAdminUser`).
//! - `GET /api/admin/notificaciones/eventos/?token=` ([`SSE_PATH`], or `Authorization: Bearer`):
//!   the same notifications as Server-Sent Events (`event: message`, `id:` the notification id),
//!   replaying the stored ones after `Last-Event-ID`; a keep-alive comment every
//!   [`DemoConfig::ping_interval`]; 401 for a bad token, 403 for a non-staff user, 404 in `ws_404`
//!   mode; `stall` silences it with the connection open; raw frames are written verbatim.
//!
//! # Test controls under `/__demo/` (when [`DemoConfig::control_routes`] is on)
//!
//! Each mirrors a [`DemoControl`] method; bodies are JSON, an empty body means defaults.
//!
//! - `POST /__demo/emit` `{"count"?: n, "tipo"?, "titulo"?, "mensaje"?, "url"?, "datos"?}` →
//!   `{"ids": [..]}` (see [`EmitSpec`]).
//! - `POST /__demo/raw-frame?type=text|binary|text-bytes`, the body is the frame's payload →
//!   `{"sockets": n}` (see [`RawFrame`]).
//! - `POST /__demo/drop-sockets` → `{"sockets": n}`.
//! - `GET /__demo/modes`; `POST /__demo/modes` `{"ws_404"?, "stall"?, "drop_pushes"?}` →
//!   [`DemoModes`].
//! - `POST /__demo/expire-tokens`, `POST /__demo/revoke-tokens` → `{"ok": true}`.
//! - `GET /__demo/stats` → [`DemoStats`].
//! - `GET /__demo/notifications` → `[`[`UserNotification`]`]` (wire fields plus `usuario_id`).
//!
//! # Layout
//!
//! - `auth`: users and simplejwt-style tokens.
//! - `store`: [`DemoState`], the data behind one lock, and the socket registry.
//! - `sample`: Spanish sample events.
//! - `rest`, `socket`: the two halves of the contract.
//! - `control`: [`DemoControl`] and the `/__demo/` routes.

mod auth;
mod control;
mod rest;
mod sample;
mod socket;
mod sse;
mod store;

use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::extract::{FromRef, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use control::{
    DemoControl, DemoModes, DemoStats, EmitSpec, MarkedRead, RawFrame, ReadCall, RestCounts,
};
pub use sample::EVENT_KINDS;
pub use socket::WS_PATH;
pub use sse::SSE_PATH;
pub use store::{DemoState, Notification, UserNotification};

/// How a demo server behaves. `Default` is what the CLI's `demo-server` and the app use.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// How often a random sample event is generated; `None` disables the generator (tests emit
    /// explicitly). Default 8 s: lively in a demo without flooding the desktop with toasts.
    pub event_interval: Option<Duration>,
    /// Default 5 min, simplejwt's `ACCESS_TOKEN_LIFETIME`.
    pub access_ttl: Duration,
    /// Default 1 day, simplejwt's `REFRESH_TOKEN_LIFETIME`.
    pub refresh_ttl: Duration,
    /// Default 20 s, daphne's `--ping-interval`.
    pub ping_interval: Duration,
    /// How long an unanswered ping may stay unanswered. Default 30 s, daphne's `--ping-timeout`.
    pub ping_timeout: Duration,
    /// Default page size of the REST list (`limit` may ask for up to 500). Default 100.
    pub page_limit: usize,
    /// Serve the `/__demo/` test controls. Default on: the demo holds nothing worth protecting.
    pub control_routes: bool,
    /// A `retry:` the SSE stream sends when it opens. Default none, like django-eventstream.
    pub sse_retry: Option<Duration>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            event_interval: Some(Duration::from_secs(8)),
            access_ttl: Duration::from_secs(5 * 60),
            refresh_ttl: Duration::from_secs(24 * 60 * 60),
            ping_interval: Duration::from_secs(20),
            ping_timeout: Duration::from_secs(30),
            page_limit: 100,
            control_routes: true,
            sse_retry: None,
        }
    }
}

/// A running demo server. Dropping it stops it as abruptly as [`DemoServer::stop`].
pub struct DemoServer {
    addr: SocketAddr,
    state: DemoState,
    kill: CancellationToken,
    task: JoinHandle<()>,
}

impl DemoServer {
    /// Binds `addr` (port 0 picks a free port) and serves fresh data.
    pub async fn start(addr: SocketAddr, config: DemoConfig) -> std::io::Result<DemoServer> {
        Self::start_with_state(addr, DemoState::new(config)).await
    }

    /// Binds `addr` and serves `state`, e.g. the one a stopped server returned.
    pub async fn start_with_state(
        addr: SocketAddr,
        state: DemoState,
    ) -> std::io::Result<DemoServer> {
        // Tokio's (mio's) bind sets SO_REUSEADDR on Unix, so a restart can take the port of a
        // server stopped a moment ago despite its connections in TIME_WAIT.
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let kill = CancellationToken::new();
        let task = tokio::spawn(run(listener, state.clone(), kill.clone()));
        tracing::info!(%addr, "demo server listening");
        Ok(DemoServer {
            addr,
            state,
            kill,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, with a wildcard bind address replaced by loopback.
    pub fn http_url(&self) -> String {
        let ip = match self.addr.ip() {
            ip if !ip.is_unspecified() => ip,
            std::net::IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    pub fn control(&self) -> DemoControl {
        self.state.control()
    }

    /// Stops like a killed process: the listener closes, every connection and socket is
    /// dropped without a close frame. Returns once all are gone, with the data kept.
    pub async fn stop(mut self) -> DemoState {
        self.kill.cancel();
        if let Err(e) = (&mut self.task).await {
            tracing::warn!(error = %e, "demo server task failed");
        }
        tracing::info!(addr = %self.addr, "demo server stopped");
        self.state.clone()
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.kill.cancel();
    }
}

impl DemoState {
    pub fn control(&self) -> DemoControl {
        DemoControl {
            state: self.clone(),
        }
    }
}

/// Serves fresh data on `listener` until `shutdown` completes, then drops every connection.
pub async fn serve(
    listener: TcpListener,
    config: DemoConfig,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let kill = CancellationToken::new();
    let running = run(listener, DemoState::new(config), kill.clone());
    tokio::pin!(running);
    tokio::select! {
        () = &mut running => {}
        () = shutdown => {
            kill.cancel();
            running.await;
        }
    }
    Ok(())
}

/// What every handler can reach. `kill` ends this server (not the state), `tracker` holds every
/// task it spawned so a stop can wait for all connections to be gone.
#[derive(Clone)]
pub(crate) struct App {
    state: DemoState,
    kill: CancellationToken,
    tracker: TaskTracker,
}

impl FromRef<App> for DemoState {
    fn from_ref(app: &App) -> DemoState {
        app.state.clone()
    }
}

impl FromRef<App> for DemoControl {
    fn from_ref(app: &App) -> DemoControl {
        app.state.control()
    }
}

/// Accepts connections until `kill`, then waits for every connection and socket to close.
async fn run(listener: TcpListener, state: DemoState, kill: CancellationToken) {
    let tracker = TaskTracker::new();
    let app = App {
        state: state.clone(),
        kill: kill.clone(),
        tracker: tracker.clone(),
    };
    let mut router = rest::routes().merge(socket::routes()).merge(sse::routes());
    if state.config().control_routes {
        router = router.merge(control::routes());
    }
    let router: Router = router
        .layer(middleware::from_fn(log_request))
        .with_state(app);
    if let Some(every) = state.config().event_interval {
        tracker.spawn(generate(state.clone(), every, kill.clone()));
    }
    loop {
        tokio::select! {
            () = kill.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tracker.spawn(connection(stream, router.clone(), kill.clone()));
                }
                Err(e) => {
                    // EMFILE and friends: back off a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}

async fn connection(stream: TcpStream, router: Router, kill: CancellationToken) {
    let _ = stream.set_nodelay(true);
    let service = TowerToHyperService::new(router);
    let conn = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::select! {
        // Dropping the connection future closes the socket mid-request if need be.
        () = kill.cancelled() => {}
        served = conn => if let Err(e) = served {
            tracing::debug!(error = %e, "http connection ended with an error");
        },
    }
}

async fn generate(state: DemoState, every: Duration, kill: CancellationToken) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            () = kill.cancelled() => return,
            _ = tick.tick() => {
                let ids = state.emit(1, &EmitSpec::default());
                tracing::debug!(?ids, "sample event generated");
            }
        }
    }
}

/// Logs method, path and status; never the query string (the WebSocket token lives there).
async fn log_request(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let response = next.run(req).await;
    tracing::debug!(%method, path, status = response.status().as_u16(), "request");
    response
}
