//! A small fault-injection TCP proxy for reliability tests: put it between a client and a
//! server on loopback and break the path on command.
//!
//! ```no_run
//! # async fn demo(upstream: std::net::SocketAddr) -> std::io::Result<()> {
//! use std::time::Duration;
//! use aviso_testkit::fault_proxy::FaultProxy;
//! let proxy = FaultProxy::start(upstream).await?; // listens on 127.0.0.1:0
//! let faults = proxy.handle();                     // cloneable, usable from any task
//! // … point the client at `proxy.http_url()` …
//! faults.cut();                                    // every live connection gets a FIN
//! faults.stall(true);                              // a dead Wi-Fi: nothing moves
//! faults.stall(false);
//! faults.refuse_for(Duration::from_secs(2));       // new connections are reset
//! println!("{:?}", faults.stats());
//! # Ok(()) }
//! ```
//!
//! # What it does
//!
//! Every accepted connection gets its own connection to the upstream address current at
//! that moment ([`ProxyHandle::set_upstream`] changes it for new connections, e.g. when a
//! restarted server could not take its old port back), and bytes are copied both ways
//! chunk by chunk. A half-close (FIN) on one side is passed on to the other; an error on
//! either side (a reset, a refused upstream) resets both.
//!
//! # Faults
//!
//! Each is a method of [`ProxyHandle`]:
//!
//! - [`cut`](ProxyHandle::cut): every live connection is closed cleanly: a FIN to both the
//!   client and the upstream, whatever they send afterwards is read and discarded until
//!   they close too.
//! - [`reset`](ProxyHandle::reset): every live connection is aborted: `SO_LINGER` 0, then
//!   closed, so both sides get an RST (`ECONNRESET`).
//! - [`stall`](ProxyHandle::stall): while on, nothing is forwarded either way and nothing
//!   is read (the senders' windows fill up) but every connection stays open, like a Wi-Fi
//!   that died without telling anyone: only a heartbeat timeout notices. Connections
//!   accepted meanwhile are held the same way (their upstream is not even dialled). Turned
//!   off, forwarding resumes where it stopped.
//! - [`delay`](ProxyHandle::delay): every chunk waits this long before it is forwarded
//!   (each direction); zero turns it off.
//! - [`throttle`](ProxyHandle::throttle): each direction of each connection is paced to
//!   this many bytes per second; zero turns it off.
//! - [`refuse_for`](ProxyHandle::refuse_for): for this long, new connections are accepted
//!   and reset at once (what a client sees of a port whose server is gone).
//! - [`clear`](ProxyHandle::clear) ends every lasting fault (stall, delay, throttle,
//!   refusal).
//!
//! Delay, throttle and stall apply at once to live connections too. [`ProxyHandle::stats`]
//! counts connections accepted and refused, faults applied (by kind) and the connections
//! each cut or reset hit.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Largest chunk read and forwarded at once.
const CHUNK: usize = 16 * 1024;
/// After a cut, how long to wait for the peers to close their side before dropping.
const CUT_DRAIN: Duration = Duration::from_secs(2);

/// A running proxy. Dropping it stops accepting and closes every connection.
pub struct FaultProxy {
    addr: SocketAddr,
    handle: ProxyHandle,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

/// The faults' remote control: cheap to clone, every clone drives the same proxy.
#[derive(Clone)]
pub struct ProxyHandle {
    inner: Arc<Inner>,
}

/// Counters since the proxy started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted and forwarded (refused ones not included).
    pub accepted: u64,
    /// Connections reset at once by [`ProxyHandle::refuse_for`].
    pub refused: u64,
    /// Connections reset because the upstream could not be reached.
    pub upstream_failed: u64,
    /// Connections open now.
    pub live: usize,
    /// Calls of each fault (stall, delay and throttle count when they are turned on).
    pub cuts: u64,
    pub resets: u64,
    pub stalls: u64,
    pub delays: u64,
    pub throttles: u64,
    pub refusals: u64,
    /// Connections closed by [`ProxyHandle::cut`] / [`ProxyHandle::reset`].
    pub connections_cut: u64,
    pub connections_reset: u64,
    /// Bytes forwarded client → upstream and upstream → client.
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Chunks held back by a delay, and paced by a throttle: what those faults did to the
    /// traffic (their calls are `delays` and `throttles`).
    pub chunks_delayed: u64,
    pub chunks_throttled: u64,
}

/// The lasting faults every pump looks at before each chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Shaping {
    stalled: bool,
    delay: Duration,
    /// Bytes per second per direction; 0 means unlimited.
    throttle: u64,
}

#[derive(Debug, Clone, Copy)]
enum Kill {
    Cut,
    Reset,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    refused: AtomicU64,
    upstream_failed: AtomicU64,
    cuts: AtomicU64,
    resets: AtomicU64,
    stalls: AtomicU64,
    delays: AtomicU64,
    throttles: AtomicU64,
    refusals: AtomicU64,
    connections_cut: AtomicU64,
    connections_reset: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    chunks_delayed: AtomicU64,
    chunks_throttled: AtomicU64,
}

struct Inner {
    upstream: Mutex<SocketAddr>,
    shaping: watch::Sender<Shaping>,
    refuse_until: Mutex<Option<Instant>>,
    conns: Mutex<HashMap<u64, oneshot::Sender<Kill>>>,
    next_conn: AtomicU64,
    counters: Counters,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl FaultProxy {
    /// Listens on `127.0.0.1:0` and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<FaultProxy> {
        FaultProxy::bind((Ipv4Addr::LOCALHOST, 0).into(), upstream).await
    }

    /// Listens on `listen` and forwards to `upstream`.
    pub async fn bind(listen: SocketAddr, upstream: SocketAddr) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let handle = ProxyHandle {
            inner: Arc::new(Inner {
                upstream: Mutex::new(upstream),
                shaping: watch::Sender::new(Shaping::default()),
                refuse_until: Mutex::new(None),
                conns: Mutex::new(HashMap::new()),
                next_conn: AtomicU64::new(0),
                counters: Counters::default(),
            }),
        };
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(accept_loop(listener, handle.clone(), shutdown.clone()));
        tracing::info!(%addr, %upstream, "fault proxy listening");
        Ok(FaultProxy {
            addr,
            handle,
            shutdown,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn handle(&self) -> ProxyHandle {
        self.handle.clone()
    }

    /// Stops accepting and closes every connection; returns once the listener is closed.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let _ = (&mut self.task).await;
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl ProxyHandle {
    /// Where new connections go from now on (live ones keep their upstream).
    pub fn set_upstream(&self, addr: SocketAddr) {
        *lock(&self.inner.upstream) = addr;
    }

    pub fn upstream(&self) -> SocketAddr {
        *lock(&self.inner.upstream)
    }

    /// Closes every live connection with a FIN to both sides; returns how many.
    pub fn cut(&self) -> usize {
        bump(&self.inner.counters.cuts);
        let n = self.kill_all(Kill::Cut);
        self.inner
            .counters
            .connections_cut
            .fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    /// Aborts every live connection with an RST to both sides; returns how many.
    pub fn reset(&self) -> usize {
        bump(&self.inner.counters.resets);
        let n = self.kill_all(Kill::Reset);
        self.inner
            .counters
            .connections_reset
            .fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    fn kill_all(&self, kill: Kill) -> usize {
        let victims: Vec<_> = lock(&self.inner.conns).drain().collect();
        victims
            .into_iter()
            .filter_map(|(_, tx)| tx.send(kill).ok())
            .count()
    }

    /// Half-open: forward nothing either way, keep every connection open.
    pub fn stall(&self, on: bool) {
        let changed = self.inner.shaping.send_if_modified(|s| {
            let changed = s.stalled != on;
            s.stalled = on;
            changed
        });
        if on && changed {
            bump(&self.inner.counters.stalls);
        }
    }

    /// Adds `delay` before each forwarded chunk; zero turns it off.
    pub fn delay(&self, delay: Duration) {
        if !delay.is_zero() {
            bump(&self.inner.counters.delays);
        }
        self.inner.shaping.send_modify(|s| s.delay = delay);
    }

    /// Paces each direction of each connection to `bytes_per_sec`; zero turns it off.
    pub fn throttle(&self, bytes_per_sec: u64) {
        if bytes_per_sec > 0 {
            bump(&self.inner.counters.throttles);
        }
        self.inner
            .shaping
            .send_modify(|s| s.throttle = bytes_per_sec);
    }

    /// For `duration` from now, new connections are accepted and reset at once.
    pub fn refuse_for(&self, duration: Duration) {
        bump(&self.inner.counters.refusals);
        *lock(&self.inner.refuse_until) = Some(Instant::now() + duration);
    }

    /// Ends every lasting fault: stall, delay, throttle and refusal.
    pub fn clear(&self) {
        self.inner.shaping.send_replace(Shaping::default());
        *lock(&self.inner.refuse_until) = None;
    }

    fn refusing(&self) -> bool {
        lock(&self.inner.refuse_until).is_some_and(|until| Instant::now() < until)
    }

    pub fn stats(&self) -> ProxyStats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ProxyStats {
            accepted: get(&c.accepted),
            refused: get(&c.refused),
            upstream_failed: get(&c.upstream_failed),
            live: lock(&self.inner.conns).len(),
            cuts: get(&c.cuts),
            resets: get(&c.resets),
            stalls: get(&c.stalls),
            delays: get(&c.delays),
            throttles: get(&c.throttles),
            refusals: get(&c.refusals),
            connections_cut: get(&c.connections_cut),
            connections_reset: get(&c.connections_reset),
            bytes_up: get(&c.bytes_up),
            bytes_down: get(&c.bytes_down),
            chunks_delayed: get(&c.chunks_delayed),
            chunks_throttled: get(&c.chunks_throttled),
        }
    }
}

async fn accept_loop(listener: TcpListener, handle: ProxyHandle, shutdown: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let client = match accepted {
            Ok((client, _)) => client,
            Err(e) => {
                // EMFILE and friends: back off a little instead of spinning.
                tracing::warn!(error = %e, "fault proxy: accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        if handle.refusing() {
            bump(&handle.inner.counters.refused);
            abort(client);
            continue;
        }
        bump(&handle.inner.counters.accepted);
        let id = handle.inner.next_conn.fetch_add(1, Ordering::Relaxed);
        let (kill_tx, kill_rx) = oneshot::channel();
        lock(&handle.inner.conns).insert(id, kill_tx);
        tokio::spawn(connection(
            handle.clone(),
            id,
            client,
            kill_rx,
            shutdown.child_token(),
        ));
    }
}

/// Closes `stream` with an RST.
fn abort(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Unregisters a connection however its task ends.
struct Registered {
    handle: ProxyHandle,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.handle.inner.conns).remove(&self.id);
    }
}

/// How a connection's forwarding ended.
enum End {
    Killed(Kill),
    /// Both directions were closed by their senders.
    Closed,
    /// A read or write failed (a reset, usually): passed on as a reset.
    Failed,
    Shutdown,
}

async fn connection(
    handle: ProxyHandle,
    id: u64,
    mut client: TcpStream,
    mut kill: oneshot::Receiver<Kill>,
    shutdown: CancellationToken,
) {
    let _registered = Registered {
        handle: handle.clone(),
        id,
    };
    let inner = &handle.inner;
    let mut shaping = inner.shaping.subscribe();
    // A stalled path does not even dial the upstream.
    let upstream = tokio::select! {
        k = &mut kill => return finish_client(client, k.ok()).await,
        () = shutdown.cancelled() => return,
        () = unstalled(&mut shaping) => {
            let addr = handle.upstream();
            tokio::select! {
                k = &mut kill => return finish_client(client, k.ok()).await,
                () = shutdown.cancelled() => return,
                connected = TcpStream::connect(addr) => connected,
            }
        }
    };
    let mut server = match upstream {
        Ok(server) => server,
        Err(e) => {
            tracing::debug!(error = %e, "fault proxy: upstream unreachable");
            bump(&inner.counters.upstream_failed);
            return abort(client);
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let end = {
        let (client_rx, client_tx) = client.split();
        let (server_rx, server_tx) = server.split();
        let up = pump(
            client_rx,
            server_tx,
            inner.shaping.subscribe(),
            &inner.counters.bytes_up,
            &inner.counters,
        );
        let down = pump(
            server_rx,
            client_tx,
            inner.shaping.subscribe(),
            &inner.counters.bytes_down,
            &inner.counters,
        );
        tokio::select! {
            k = &mut kill => match k {
                Ok(k) => End::Killed(k),
                Err(_) => End::Failed,
            },
            () = shutdown.cancelled() => End::Shutdown,
            pumped = async { tokio::try_join!(up, down) } => match pumped {
                Ok(_) => End::Closed,
                Err(_) => End::Failed,
            },
        }
    };
    match end {
        End::Killed(Kill::Cut) => {
            tokio::join!(close_cleanly(&mut client), close_cleanly(&mut server));
        }
        End::Killed(Kill::Reset) | End::Failed => {
            abort(client);
            abort(server);
        }
        End::Closed | End::Shutdown => {}
    }
}

/// A connection killed before it had an upstream.
async fn finish_client(mut client: TcpStream, kill: Option<Kill>) {
    match kill {
        Some(Kill::Cut) => close_cleanly(&mut client).await,
        _ => abort(client),
    }
}

/// Sends a FIN, then reads and discards until the peer closes too (or a while passes), so
/// the close stays clean: closing a socket with unread data would send an RST instead.
async fn close_cleanly(stream: &mut TcpStream) {
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(CUT_DRAIN, async {
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// Returns when the path is not stalled (at once when it is not).
async fn unstalled(shaping: &mut watch::Receiver<Shaping>) {
    // An error means the proxy is gone: nothing left to wait for.
    let _ = shaping.wait_for(|s| !s.stalled).await;
}

/// Copies `from` to `to` chunk by chunk, applying the current shaping to each chunk.
/// Returns once `from` closed (the close is passed on), or with the first I/O error.
async fn pump<R, W>(
    mut from: R,
    mut to: W,
    mut shaping: watch::Receiver<Shaping>,
    bytes: &AtomicU64,
    counters: &Counters,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; CHUNK];
    loop {
        // Stalled: nothing is read, so the sender's window fills up as on a dead link.
        unstalled(&mut shaping).await;
        let throttle = shaping.borrow().throttle;
        // Small chunks under a throttle, so the pace is smooth (20 chunks a second).
        let limit = match throttle {
            0 => CHUNK,
            bps => (bps / 20).clamp(1, CHUNK as u64) as usize,
        };
        let n = from.read(&mut buf[..limit]).await?;
        if n == 0 {
            to.shutdown().await?;
            return Ok(());
        }
        let now = *shaping.borrow();
        let mut wait = now.delay;
        if !now.delay.is_zero() {
            bump(&counters.chunks_delayed);
        }
        if now.throttle > 0 {
            wait += Duration::from_secs_f64(n as f64 / now.throttle as f64);
            bump(&counters.chunks_throttled);
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        // A stall that began meanwhile holds this chunk too.
        unstalled(&mut shaping).await;
        to.write_all(&buf[..n]).await?;
        bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Long enough for anything expected on loopback, even on a loaded machine.
    const WAIT: Duration = Duration::from_secs(10);
    /// How long "nothing arrives" is watched for.
    const QUIET: Duration = Duration::from_millis(300);

    /// How an echo server's connection ended.
    #[derive(Debug, PartialEq, Eq)]
    enum Ended {
        Eof,
        Error(std::io::ErrorKind),
    }

    struct Echo {
        addr: SocketAddr,
        /// Bytes received over all connections.
        received: Arc<AtomicU64>,
        connections: Arc<AtomicU64>,
        ended: tokio::sync::mpsc::UnboundedReceiver<Ended>,
    }

    /// A loopback echo server that reports how each connection ended.
    async fn echo() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let (tx, ended) = tokio::sync::mpsc::unbounded_channel();
        let (r, c) = (received.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                c.fetch_add(1, Ordering::SeqCst);
                let (r, tx) = (r.clone(), tx.clone());
                tokio::spawn(async move {
                    let mut buf = [0u8; 8192];
                    let end = loop {
                        match s.read(&mut buf).await {
                            Ok(0) => break Ended::Eof,
                            Ok(n) => {
                                r.fetch_add(n as u64, Ordering::SeqCst);
                                if let Err(e) = s.write_all(&buf[..n]).await {
                                    break Ended::Error(e.kind());
                                }
                            }
                            Err(e) => break Ended::Error(e.kind()),
                        }
                    };
                    let _ = tx.send(end);
                });
            }
        });
        Echo {
            addr,
            received,
            connections,
            ended,
        }
    }

    async fn connect(proxy: &FaultProxy) -> TcpStream {
        tokio::time::timeout(WAIT, TcpStream::connect(proxy.addr()))
            .await
            .expect("connect timed out")
            .unwrap()
    }

    /// Writes `data` and reads the same number of bytes back.
    async fn round_trip(s: &mut TcpStream, data: &[u8]) -> Vec<u8> {
        s.write_all(data).await.unwrap();
        let mut back = vec![0u8; data.len()];
        tokio::time::timeout(WAIT, s.read_exact(&mut back))
            .await
            .expect("no echo in time")
            .unwrap();
        back
    }

    async fn wait_live(handle: &ProxyHandle, n: usize) {
        let deadline = Instant::now() + WAIT;
        while handle.stats().live != n {
            assert!(
                Instant::now() < deadline,
                "never {n} live connections: {:?}",
                handle.stats()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn forwards_both_ways_and_passes_half_closes_on() {
        let mut echo = echo().await;
        let proxy = FaultProxy::start(echo.addr).await.unwrap();
        let mut s = connect(&proxy).await;
        assert_eq!(round_trip(&mut s, b"hello").await, b"hello");
        s.shutdown().await.unwrap();
        let ended = tokio::time::timeout(WAIT, echo.ended.recv()).await.unwrap();
        assert_eq!(ended, Some(Ended::Eof), "our FIN reached the server");
        let mut rest = Vec::new();
        let n = tokio::time::timeout(WAIT, s.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 0, "the server's FIN reached us");
        let stats = proxy.handle().stats();
        assert_eq!(
            (stats.accepted, stats.bytes_up, stats.bytes_down),
            (1, 5, 5)
        );
    }

    #[tokio::test]
    async fn cut_closes_both_sides_with_a_fin() {
        let mut echo = echo().await;
        let proxy = FaultProxy::start(echo.addr).await.unwrap();
        let faults = proxy.handle();
        let mut s = connect(&proxy).await;
        assert_eq!(round_trip(&mut s, b"hello").await, b"hello");
        assert_eq!(faults.cut(), 1);
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(WAIT, s.read(&mut buf)).await.unwrap();
        assert_eq!(read.unwrap(), 0, "a clean end of stream, not an error");
        let ended = tokio::time::timeout(WAIT, echo.ended.recv()).await.unwrap();
        assert_eq!(ended, Some(Ended::Eof), "the server got a FIN too");
        let stats = faults.stats();
        assert_eq!((stats.cuts, stats.connections_cut), (1, 1));
        wait_live(&faults, 0).await;
    }

    // Wine closes a SO_LINGER=0 socket with a FIN where Windows sends the RST
    // (Microsoft: closesocket with a zero linger is an abortive close).
    #[cfg_attr(windows, ignore = "Wine 8 sends a FIN for an abortive close")]
    #[tokio::test]
    async fn reset_aborts_both_sides_with_an_rst() {
        let mut echo = echo().await;
        let proxy = FaultProxy::start(echo.addr).await.unwrap();
        let faults = proxy.handle();
        let mut s = connect(&proxy).await;
        assert_eq!(round_trip(&mut s, b"hello").await, b"hello");
        assert_eq!(faults.reset(), 1);
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(WAIT, s.read(&mut buf)).await.unwrap();
        assert_eq!(
            read.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::ConnectionReset)
        );
        let ended = tokio::time::timeout(WAIT, echo.ended.recv()).await.unwrap();
        assert_eq!(
            ended,
            Some(Ended::Error(std::io::ErrorKind::ConnectionReset)),
            "the server got an RST too"
        );
        assert_eq!(faults.stats().connections_reset, 1);
    }

    #[tokio::test]
    async fn stall_forwards_nothing_but_keeps_connections_open() {
        let echo = echo().await;
        let proxy = FaultProxy::start(echo.addr).await.unwrap();
        let faults = proxy.handle();
        let mut s = connect(&proxy).await;
        assert_eq!(round_trip(&mut s, b"hello").await, b"hello");
        faults.stall(true);
        s.write_all(b"ping").await.unwrap();
        // A connection opened during the stall is accepted but not even dialled upstream.
        let mut late = connect(&proxy).await;
        late.write_all(b"late").await.unwrap();
        let mut buf = [0u8; 16];
        assert!(
            tokio::time::timeout(QUIET, s.read(&mut buf)).await.is_err(),
            "nothing comes back while stalled"
        );
        assert_eq!(
            echo.received.load(Ordering::SeqCst),
            5,
            "nothing reached the server"
        );
        assert_eq!(echo.connections.load(Ordering::SeqCst), 1);
        assert_eq!(faults.stats().live, 2, "both connections stay open");

        faults.stall(false);
        let mut back = [0u8; 4];
        tokio::time::timeout(WAIT, s.read_exact(&mut back))
            .await
            .expect("forwarding resumes")
            .unwrap();
        assert_eq!(&back, b"ping");
        tokio::time::timeout(WAIT, late.read_exact(&mut back))
            .await
            .expect("the held connection goes through")
            .unwrap();
        assert_eq!(&back, b"late");
        assert_eq!(faults.stats().stalls, 1);
    }

    #[tokio::test]
    async fn delay_holds_every_chunk() {
        let echo = echo().await;
        let proxy = FaultProxy::start(echo.addr).await.unwrap();
        let faults = proxy.handle();
        let mut s = connect(&proxy).await;
        assert_eq!(round_trip(&mut s, b"warm").await, b"warm");
        faults.delay(Duration::from_millis(250));
        let started = Instant::now();
        assert_eq!(round_trip(&mut s, b"ping").await, b"ping");
        // One chunk each way, each held 250 ms: a lower bound the proxy guarantees.
        assert!(started.elapsed() >= Duration::from_millis(500));
        faults.delay(Duration::ZERO);
        assert_eq!(round_trip(&mut s, b"pong").await, b"pong");
        assert_eq!(faults.stats().delays, 1);
    }

    #[tokio::test]
    async fn throttle_paces_the_bytes() {
        let echo = echo().await;
        let proxy = FaultProxy::start(echo.addr).await.unwrap();
        let faults = proxy.handle();
        let mut s = connect(&proxy).await;
        faults.throttle(20_000);
        let data = vec![7u8; 10_000];
        let started = Instant::now();
        let (mut rx, mut tx) = s.split();
        let (_, back) = tokio::join!(tx.write_all(&data), async {
            let mut back = vec![0u8; data.len()];
            tokio::time::timeout(WAIT, rx.read_exact(&mut back))
                .await
                .expect("no echo in time")
                .unwrap();
            back
        });
        assert_eq!(back, data);
        // 10 kB at 20 kB/s takes half a second in each direction at least.
        assert!(
            started.elapsed() >= Duration::from_millis(490),
            "{:?}",
            started.elapsed()
        );
        faults.throttle(0);
        assert_eq!(round_trip(&mut s, b"free").await, b"free");
        assert_eq!(faults.stats().throttles, 1);
    }

    #[tokio::test]
    async fn refuse_for_resets_new_connections_for_a_while() {
        let echo = echo().await;
        let proxy = FaultProxy::start(echo.addr).await.unwrap();
        let faults = proxy.handle();
        let mut before = connect(&proxy).await;
        assert_eq!(round_trip(&mut before, b"one").await, b"one");
        faults.refuse_for(Duration::from_millis(400));
        let mut s = connect(&proxy).await;
        let _ = s.write_all(b"hello").await;
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(WAIT, s.read(&mut buf)).await.unwrap();
        assert!(
            matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset)
                || matches!(read, Ok(0)),
            "refused: {read:?}"
        );
        assert_eq!(faults.stats().refused, 1);
        assert_eq!(echo.connections.load(Ordering::SeqCst), 1);
        // Live connections are not touched.
        assert_eq!(round_trip(&mut before, b"two").await, b"two");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut after = connect(&proxy).await;
        assert_eq!(round_trip(&mut after, b"back").await, b"back");
        let stats = faults.stats();
        assert_eq!((stats.refusals, stats.refused, stats.accepted), (1, 1, 2));
    }

    // Wine closes a SO_LINGER=0 socket with a FIN where Windows sends the RST
    // (Microsoft: closesocket with a zero linger is an abortive close).
    #[cfg_attr(windows, ignore = "Wine 8 sends a FIN for an abortive close")]
    #[tokio::test]
    async fn upstream_can_change_and_an_unreachable_one_resets() {
        let first = echo().await;
        let second = echo().await;
        let proxy = FaultProxy::start(first.addr).await.unwrap();
        let faults = proxy.handle();
        let mut old = connect(&proxy).await;
        assert_eq!(round_trip(&mut old, b"a").await, b"a");
        faults.set_upstream(second.addr);
        let mut new = connect(&proxy).await;
        assert_eq!(round_trip(&mut new, b"bb").await, b"bb");
        assert_eq!(round_trip(&mut old, b"c").await, b"c", "live ones stay put");
        assert_eq!(first.received.load(Ordering::SeqCst), 2);
        assert_eq!(second.received.load(Ordering::SeqCst), 2);

        // Nobody listens there any more.
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        faults.set_upstream(closed.local_addr().unwrap());
        drop(closed);
        let mut s = connect(&proxy).await;
        let mut buf = [0u8; 4];
        let read = tokio::time::timeout(WAIT, s.read(&mut buf)).await.unwrap();
        assert_eq!(
            read.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::ConnectionReset)
        );
        assert_eq!(faults.stats().upstream_failed, 1);
    }
}
