//! The chaos run: a real `aviso-cli watch` process against the demo backend through the
//! fault proxy, while thousands of events are emitted and every kind of fault hits, then a
//! check that nothing was lost, nothing was repeated and read state converged.
//!
//! - Client path: `aviso-cli watch` → [`FaultProxy`] → demo server. The proxy cuts (FIN),
//!   resets (RST), stalls (half-open, longer than both sides' ping timeouts), delays,
//!   throttles and refuses connections, at least `AVISO_CHAOS_FAULTS` (50) times each.
//! - Server side: restarts on the same port (stop + `start_with_state`), WebSocket 404
//!   windows (the client falls back to polling, then probes its way back), access tokens
//!   expired under the client, pushes dropped for a while (stored, not pushed: only a
//!   catch-up brings them), stalled sockets, dropped sockets.
//! - Reads: `aviso-cli mark-read` processes on the same data dir mark delivered
//!   notifications read through the faulty path (queued when they cannot reach the server,
//!   then sent by the running `watch`); and while the server is down for a restart, some
//!   new notifications are marked read "on another device" (over REST, on a private
//!   instance the client cannot reach), so the client must take them in as already read.
//! - At the end, once the faults stopped: the store holds exactly the emitted set, `watch`
//!   printed each notification exactly once, and the read state of every notification is
//!   the same in the store and on the server.
//!
//! - Reads elsewhere later: notifications the client already holds are marked read on the
//!   server directly (the web admin); nothing is pushed and the list after the cursor never
//!   shows them again, so only the engine's comparison with the server's unread list
//!   (`rest.unread_list`) brings them in.
//!
//! Two legs, the same storm and the same checks: over the WebSocket (`smartsales`) and over
//! Server-Sent Events (`smartsales-sse`: the stream resumes with Last-Event-ID, so after a
//! reconnect the server's replay and the REST catch-up both deliver what was missed).
//!
//! `AVISO_CHAOS_EVENTS` (default 10,000; paced at 80 a second), `AVISO_CHAOS_SEED` (the
//! seed is printed; it fixes each lane's schedule of faults, not how they interleave with
//! the client) and `AVISO_CHAOS_FAULTS` (minimum per proxy fault kind, default 50) size it;
//! `scripts/chaos` runs a long one in release. Each run leaves `faults.log` (every fault,
//! stamped with the wall clock like the client's log lines) beside the CLI's logs, kept
//! under `AVISO_TEST_ARTIFACTS` when set.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aviso_demo::{DemoConfig, DemoControl, DemoServer, DemoState, EmitSpec};
use aviso_testkit::fault_proxy::{FaultProxy, ProxyHandle};
use aviso_testkit::{record_issued_tokens, CliEnv, FastProfile};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::time::{sleep, sleep_until, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_aviso-cli");
const ACCOUNT: &str = "tienda";
/// Events emitted per second.
const RATE: f64 = 80.0;
/// The chaos profile on `preset`: the client's timers scaled down so a stall of a second
/// is a dead peer: pings every 0.2 s, dead after 0.8 s of silence; polls every 0.5 s,
/// probes every 1 s, a safety poll every 2 s; short REST and connect timeouts; tokens
/// refreshed 2 s before they expire. Over SSE nothing is pinged: the demo's keep-alive
/// comments (every `ping_interval`, 0.3 s) are the life signs the 0.8 s timeout watches.
fn profile(preset: &str) -> String {
    FastProfile::new(preset)
        .ping_every(0.2)
        .dead_after(0.8)
        .rest_timeout(3.0)
        .max_backoff_ms(500)
        .connect_timeout(2.0)
        .refresh_margin(2)
        .text()
}

/// Handshakes the server accepted: a token it has verified.
fn accepted(stats: &aviso_demo::DemoStats) -> u64 {
    stats.ws_accepted + stats.sse_accepted
}

/// `expire_tokens` waits for this long without any refused credentials, and until the
/// server has accepted a handshake since the last refusal (under load a refreshed token
/// could otherwise expire before its first use: seen once at a load of 9 on 2 cores).
/// The session refreshes once after a refusal and takes a refusal of the refreshed token as final
/// (`needs_login`, as documented); a server that expired the refreshed token a second after
/// issuing it (before the client could even try it through a stalled path) would be
/// asking for exactly that, and no real server does. Longer than the time a refreshed
/// token takes to get its first verdict here (a stall, then the 3 s REST or 2 s connect
/// timeout at most).
const AUTH_QUIET: Duration = Duration::from_secs(6);
/// Longer than both the client's dead-peer timeout (0.8 s) and the server's ping interval
/// + timeout (0.3 + 0.5 s).
const STALL_MS: std::ops::Range<u64> = 1_000..1_400;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, got `{v}`")),
        _ => default,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What `watch` printed so far (its stdout, parsed by a reader thread).
#[derive(Default)]
struct WatchLog {
    /// How many times each notification id was printed.
    printed: HashMap<u64, u32>,
    /// Ids in print order (for picking ids to mark read).
    order: Vec<u64>,
    /// The `read` field each notification was printed with.
    printed_read: HashMap<u64, bool>,
    /// Lines that were not JSON or not a known shape.
    bad: Vec<String>,
    /// The account's latest state and transport.
    state: String,
    transport: String,
    /// Entries into each state.
    entered: BTreeMap<String, u64>,
    /// Each state line's reason (`dead_peer`, `server_closed`, …), counted when it changes.
    details: BTreeMap<String, u64>,
    detail: String,
    errors: BTreeMap<String, u64>,
    lines: u64,
    eof: bool,
}

impl WatchLog {
    fn take(&mut self, line: &str) {
        self.lines += 1;
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            self.bad.push(line.to_string());
            return;
        };
        match v["type"].as_str() {
            Some("notification") => {
                let Some(id) = v["id"].as_str().and_then(|s| s.parse::<u64>().ok()) else {
                    self.bad.push(line.to_string());
                    return;
                };
                *self.printed.entry(id).or_default() += 1;
                self.order.push(id);
                self.printed_read
                    .insert(id, v["read"].as_bool().unwrap_or(false));
            }
            Some("state") => {
                let state = v["state"].as_str().unwrap_or("?").to_string();
                if state != self.state {
                    *self.entered.entry(state.clone()).or_default() += 1;
                }
                self.state = state;
                self.transport = v["transport"].as_str().unwrap_or("").to_string();
                let detail = v["detail"].as_str().unwrap_or("").to_string();
                if detail != self.detail && !detail.is_empty() {
                    *self.details.entry(detail.clone()).or_default() += 1;
                }
                self.detail = detail;
            }
            Some("error") => {
                let code = v["code"].as_str().unwrap_or("?").to_string();
                *self.errors.entry(code).or_default() += 1;
            }
            Some("read" | "unread") => {}
            _ => self.bad.push(line.to_string()),
        }
    }
}

/// The running `watch` process; killed if the test fails before it stopped it.
struct WatchProc {
    child: Child,
    log: Arc<Mutex<WatchLog>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl WatchProc {
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stopped as a supervisor would (SIGTERM; see `stop_process`), then the rest of its output.
    fn stop(&mut self) {
        if let Some(status) = aviso_testkit::stop_process(&mut self.child) {
            assert!(status.success(), "watch exited with {status}");
        }
        if let Some(reader) = self.reader.take() {
            reader.join().expect("the stdout reader");
        }
    }
}

impl Drop for WatchProc {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The CLI processes' environment (their files, credentials), and where they connect.
struct Cli {
    env: CliEnv,
    url: String,
    profile: String,
}

impl Cli {
    fn target(&self) -> Vec<String> {
        vec![
            "--server".into(),
            self.url.clone(),
            "--profile".into(),
            self.profile.clone(),
            "--name".into(),
            ACCOUNT.into(),
        ]
    }

    fn watch(&self) -> WatchProc {
        let mut args = vec!["watch".to_string()];
        args.extend(self.target());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = self
            .env
            .command(&args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn aviso-cli watch");
        let stdout = child.stdout.take().expect("watch stdout");
        let log = Arc::new(Mutex::new(WatchLog::default()));
        let file = self.env.dir().join("watch-stdout.log");
        let shared = log.clone();
        let reader = std::thread::spawn(move || {
            let mut out = std::io::BufWriter::new(std::fs::File::create(file).expect("log"));
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(out, "{line}");
                lock(&shared).take(&line);
            }
            let _ = out.flush();
            lock(&shared).eof = true;
        });
        WatchProc {
            child,
            log,
            reader: Some(reader),
        }
    }

    /// Runs a command to completion (killed after a minute: a CLI that hangs is a bug).
    fn run(&self, args: &[&str]) -> (bool, String) {
        self.env.run(args, None)
    }
}

/// Fault and event counters by name.
#[derive(Default)]
struct Tally(BTreeMap<&'static str, u64>);

/// Everything the chaos lanes share.
struct Chaos {
    proxy: ProxyHandle,
    control: DemoControl,
    server: tokio::sync::Mutex<Option<DemoServer>>,
    /// The server's address (the same port across restarts unless it was taken).
    addr: Mutex<SocketAddr>,
    http: reqwest::Client,
    cli: Cli,
    log: Arc<Mutex<WatchLog>>,
    emitted: Mutex<Vec<u64>>,
    /// Marked read on the server while the client could not see them.
    read_elsewhere: Mutex<BTreeSet<u64>>,
    /// Marked read on the server (another device) after the client stored them.
    read_elsewhere_later: Mutex<BTreeSet<u64>>,
    /// Marked read by `aviso-cli mark-read`.
    read_here: Mutex<BTreeSet<u64>>,
    tally: Mutex<Tally>,
    faults: Mutex<std::io::LineWriter<std::fs::File>>,
    /// The server's count of refused credentials (401s, refused handshakes), when it last
    /// changed, and its count of accepted handshakes (WebSocket and SSE) at that moment.
    refusals: Mutex<(u64, Instant, u64)>,
    emitting: AtomicBool,
    connection_lane: AtomicBool,
    /// Until every fault lane is done.
    storm: AtomicBool,
    min_faults: u64,
}

impl Chaos {
    fn count(&self, what: &'static str) {
        *lock(&self.tally).0.entry(what).or_default() += 1;
    }

    /// A line in the faults log (`faults.log` beside the client's logs), stamped with the
    /// wall clock like the client's own log lines so the two can be lined up.
    fn note(&self, text: impl std::fmt::Display) {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let _ = writeln!(lock(&self.faults), "{t:.3} {text}");
    }

    fn counted(&self, what: &str) -> u64 {
        lock(&self.tally).0.get(what).copied().unwrap_or(0)
    }

    fn below(&self, kinds: &[(&'static str, u64)]) -> bool {
        kinds.iter().any(|(k, min)| self.counted(k) < *min)
    }

    /// The next fault: mostly one still short of its minimum, sometimes any.
    fn pick(&self, rng: &mut StdRng, kinds: &[(&'static str, u64)]) -> &'static str {
        let short: Vec<&'static str> = kinds
            .iter()
            .filter(|(k, min)| self.counted(k) < *min)
            .map(|(k, _)| *k)
            .collect();
        if !short.is_empty() && rng.random_bool(0.8) {
            short[rng.random_range(0..short.len())]
        } else {
            kinds[rng.random_range(0..kinds.len())].0
        }
    }
}

fn ms(rng: &mut StdRng, range: std::ops::Range<u64>) -> Duration {
    Duration::from_millis(rng.random_range(range))
}

/// Emits `total` events in random batches, paced evenly over `over`.
async fn emitter(ch: Arc<Chaos>, total: usize, over: Duration, mut rng: StdRng) {
    let started = Instant::now();
    let max_batch = ((RATE / 5.0) as usize).max(1);
    let mut sent = 0;
    while sent < total {
        let batch = rng.random_range(1..=max_batch).min(total - sent);
        let ids = ch.control.emit(batch, &EmitSpec::default());
        assert_eq!(ids.len(), batch, "one staff user: one id per event");
        lock(&ch.emitted).extend(ids);
        sent += batch;
        sleep_until(started + over.mul_f64(sent as f64 / total as f64)).await;
    }
    ch.emitting.store(false, Ordering::SeqCst);
}

/// Cuts, resets, stalls and refusals on the client's path, one after another.
async fn connection_faults(ch: Arc<Chaos>, mut rng: StdRng) {
    let min = ch.min_faults;
    let kinds = [
        ("cut", min),
        ("reset", min),
        ("stall", min),
        ("refuse", min),
    ];
    while ch.emitting.load(Ordering::SeqCst) || ch.below(&kinds) {
        let kind = ch.pick(&mut rng, &kinds);
        match kind {
            "cut" => {
                let n = ch.proxy.cut();
                ch.note(format_args!("cut ({n} connections)"));
            }
            "reset" => {
                let n = ch.proxy.reset();
                ch.note(format_args!("reset ({n} connections)"));
            }
            "stall" => {
                let hold = ms(&mut rng, STALL_MS);
                ch.note(format_args!("stall {hold:?}"));
                ch.proxy.stall(true);
                sleep(hold).await;
                ch.proxy.stall(false);
            }
            _ => {
                let hold = ms(&mut rng, 150..600);
                ch.note(format_args!("refuse {hold:?}"));
                ch.proxy.refuse_for(hold);
            }
        }
        ch.count(kind);
        sleep(ms(&mut rng, 100..400)).await;
    }
    ch.connection_lane.store(false, Ordering::SeqCst);
}

/// Delay and throttle windows on the client's path, overlapping the other faults.
async fn shaping_faults(ch: Arc<Chaos>, mut rng: StdRng) {
    let min = ch.min_faults;
    let kinds = [("delay", min), ("throttle", min)];
    while ch.connection_lane.load(Ordering::SeqCst) || ch.below(&kinds) {
        let kind = ch.pick(&mut rng, &kinds);
        let hold = ms(&mut rng, 300..1_000);
        if kind == "delay" {
            let delay = ms(&mut rng, 20..250);
            ch.note(format_args!("delay {delay:?} a chunk for {hold:?}"));
            ch.proxy.delay(delay);
        } else {
            let rate = rng.random_range(4_000..64_000);
            ch.note(format_args!("throttle {rate} B/s for {hold:?}"));
            ch.proxy.throttle(rate);
        }
        ch.count(kind);
        sleep(hold).await;
        ch.proxy.delay(Duration::ZERO);
        ch.proxy.throttle(0);
        sleep(ms(&mut rng, 50..400)).await;
    }
}

/// Binds the server on `addr` again; if the port cannot be had back, on a new one that
/// the proxy is pointed at.
async fn start_again(ch: &Chaos, state: DemoState) -> DemoServer {
    let addr = *lock(&ch.addr);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match DemoServer::start_with_state(addr, state.clone()).await {
            Ok(server) => return server,
            Err(e) if Instant::now() < deadline => {
                eprintln!("chaos: cannot take {addr} back yet ({e}); retrying");
                sleep(Duration::from_millis(100)).await;
            }
            Err(_) => break,
        }
    }
    let server = DemoServer::start_with_state("127.0.0.1:0".parse().unwrap(), state)
        .await
        .expect("start the demo server on a new port");
    *lock(&ch.addr) = server.addr();
    ch.proxy.set_upstream(server.addr());
    ch.count("port_changed");
    server
}

/// Marks `ids` read over REST as another device would (never through the proxy).
async fn mark_read_elsewhere(http: &reqwest::Client, url: &str, ids: &[u64]) {
    let tokens: Value = http
        .post(format!("{url}/api/token/"))
        .json(&json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token answer");
    let access = tokens["access"].as_str().expect("an access token");
    for id in ids {
        let resp = http
            .post(format!("{url}/api/admin/notificaciones/{id}/marcar-leida/"))
            .bearer_auth(access)
            .send()
            .await
            .expect("mark-read request");
        assert!(
            resp.status().is_success(),
            "marking {id} read elsewhere: HTTP {}",
            resp.status()
        );
    }
}

/// A restart: the server stops like a killed process and comes back on its port. While
/// it is down, some new notifications are read on another device: emitted (nobody can
/// be pushed anything) and marked read on a private instance the client cannot reach.
async fn restart(ch: &Chaos, rng: &mut StdRng) {
    let mut slot = ch.server.lock().await;
    let server = slot.take().expect("the server is up between restarts");
    let mut state = server.stop().await;
    ch.note("server stopped");
    // The first restart always has reads elsewhere (the end checks that some happened).
    if lock(&ch.read_elsewhere).is_empty() || rng.random_bool(0.7) {
        let ids = ch
            .control
            .emit(rng.random_range(1..=4), &EmitSpec::default());
        lock(&ch.emitted).extend(ids.iter().copied());
        let private = DemoServer::start_with_state("127.0.0.1:0".parse().unwrap(), state)
            .await
            .expect("a private instance");
        mark_read_elsewhere(&ch.http, &private.http_url(), &ids).await;
        state = private.stop().await;
        ch.note(format_args!("{ids:?} read elsewhere"));
        lock(&ch.read_elsewhere).extend(ids);
    }
    sleep(ms(rng, 200..1_000)).await;
    *slot = Some(start_again(ch, state).await);
    ch.note("server started again");
    ch.count("restart");
}

/// Notifications the client already holds are read on another device (the web admin),
/// straight on the server: nothing is pushed, and the list after the cursor never shows
/// them again, so only the engine's comparison with the server's unread list can tell.
async fn read_elsewhere_later(ch: &Chaos, rng: &mut StdRng) {
    let ids: Vec<u64> = {
        let log = lock(&ch.log);
        let here = lock(&ch.read_here);
        let elsewhere = lock(&ch.read_elsewhere);
        let later = lock(&ch.read_elsewhere_later);
        if log.order.is_empty() {
            return;
        }
        (0..rng.random_range(1..=6))
            .map(|_| log.order[rng.random_range(0..log.order.len())])
            .filter(|id| !here.contains(id) && !elsewhere.contains(id) && !later.contains(id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    if ids.is_empty() {
        return;
    }
    // Only while the server is up (not in the middle of a restart).
    let slot = ch.server.lock().await;
    let Some(server) = slot.as_ref() else {
        return;
    };
    lock(&ch.read_elsewhere_later).extend(ids.iter().copied());
    mark_read_elsewhere(&ch.http, &server.http_url(), &ids).await;
    ch.note(format_args!(
        "{ids:?} read elsewhere after the client stored them"
    ));
}

/// Server-side faults, one after another, while the connection faults run.
async fn server_faults(ch: Arc<Chaos>, mut rng: StdRng) {
    let m = ch.min_faults;
    let kinds = [
        ("restart", (m / 5).max(1)),
        ("ws_404", (m / 5).max(1)),
        ("expire_tokens", (m / 4).max(1)),
        ("drop_pushes", (m / 5).max(1)),
        ("server_stall", (m / 10).max(1)),
        ("drop_sockets", (m / 5).max(1)),
        ("read_elsewhere_later", (m / 5).max(1)),
    ];
    while ch.connection_lane.load(Ordering::SeqCst) || ch.below(&kinds) {
        let kind = ch.pick(&mut rng, &kinds);
        match kind {
            "restart" => restart(&ch, &mut rng).await,
            "ws_404" => {
                // New handshakes get 404; dropping the sockets makes the client try one.
                let hold = ms(&mut rng, 1_500..3_000);
                ch.note(format_args!("ws_404 for {hold:?}"));
                ch.control.set_ws_404(true);
                ch.control.drop_sockets();
                sleep(hold).await;
                ch.control.set_ws_404(false);
            }
            "expire_tokens" => {
                // Only tokens that have been around a while, and that the server has
                // accepted since the last refusal, expire (see `AUTH_QUIET`).
                let (_, refused_at, accepted_then) = *lock(&ch.refusals);
                if refused_at.elapsed() < AUTH_QUIET
                    || accepted(&ch.control.stats()) <= accepted_then
                {
                    sleep(Duration::from_millis(200)).await;
                    continue;
                }
                ch.note("expire_tokens");
                ch.control.expire_tokens();
                // The next expiry waits as if this one had been refused now: the client may
                // not have met this one yet (a stalled path), and expiring the token it will
                // refresh to before its first use is what no real server does (seen: two
                // expiries 0.8 s apart ended a run in `needs_login`).
                let mut seen = lock(&ch.refusals);
                seen.1 = Instant::now();
                seen.2 = accepted(&ch.control.stats());
            }
            "drop_pushes" => {
                let hold = ms(&mut rng, 1_000..3_000);
                ch.note(format_args!("drop_pushes for {hold:?}"));
                ch.control.set_drop_pushes(true);
                sleep(hold).await;
                ch.control.set_drop_pushes(false);
            }
            "server_stall" => {
                let hold = ms(&mut rng, STALL_MS);
                ch.note(format_args!("server_stall {hold:?}"));
                ch.control.set_stall(true);
                sleep(hold).await;
                ch.control.set_stall(false);
                // A stalled socket stays stalled until dropped.
                ch.control.drop_sockets();
            }
            "read_elsewhere_later" => read_elsewhere_later(&ch, &mut rng).await,
            _ => {
                let n = ch.control.drop_sockets();
                ch.note(format_args!("drop_sockets ({n})"));
            }
        }
        if kind != "restart" {
            ch.count(kind);
        }
        sleep(ms(&mut rng, 200..1_000)).await;
    }
}

/// `aviso-cli mark-read` processes, on notifications `watch` already printed.
async fn client_reads(ch: Arc<Chaos>, mut rng: StdRng) {
    while ch.storm.load(Ordering::SeqCst) {
        sleep(ms(&mut rng, 1_000..3_000)).await;
        let ids: Vec<u64> = {
            let log = lock(&ch.log);
            let done = lock(&ch.read_here);
            let elsewhere = lock(&ch.read_elsewhere);
            let later = lock(&ch.read_elsewhere_later);
            if log.order.is_empty() {
                continue;
            }
            (0..rng.random_range(1..=8))
                .map(|_| log.order[rng.random_range(0..log.order.len())])
                .filter(|id| !done.contains(id) && !elsewhere.contains(id) && !later.contains(id))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        if ids.is_empty() {
            continue;
        }
        lock(&ch.read_here).extend(ids.iter().copied());
        let ch2 = ch.clone();
        let (ok, out) = tokio::task::spawn_blocking(move || {
            let mut args = vec!["mark-read".to_string()];
            args.extend(ch2.cli.target());
            args.extend(ids.iter().map(u64::to_string));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ch2.cli.run(&args)
        })
        .await
        .expect("mark-read task");
        assert!(ok, "aviso-cli mark-read failed: {out}");
        ch.count(if out.contains("confirmed") {
            "mark_read_confirmed"
        } else {
            "mark_read_queued"
        });
    }
}

/// Waits for `what` up to `secs`, failing with `explain()`'s text.
async fn settle(
    secs: u64,
    what: &str,
    mut done: impl FnMut() -> bool,
    explain: impl Fn() -> String,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what}: not within {secs} s after the faults stopped; {}",
            explain()
        );
        sleep(Duration::from_millis(100)).await;
    }
}

/// Records every token the demo issued for the suite's leak scan, even when the test fails.
struct Ledger(DemoControl);

impl Drop for Ledger {
    fn drop(&mut self) {
        record_issued_tokens(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_repeated_under_chaos() {
    chaos("smartsales", "websocket").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_repeated_under_chaos_over_sse() {
    chaos("smartsales-sse", "sse").await;
}

/// One leg at a time: both at once would halve the CPU each gets on a 2-core machine, and
/// the 0.8 s dead-peer timeout would then measure the scheduler.
static ONE_LEG_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The storm and the checks, with `preset` (whose live transport is `transport`).
async fn chaos(preset: &str, transport: &str) {
    let _leg = ONE_LEG_AT_A_TIME.lock().await;
    let events = env_u64("AVISO_CHAOS_EVENTS", 10_000) as usize;
    let min_faults = env_u64("AVISO_CHAOS_FAULTS", 50);
    let seed = env_u64(
        "AVISO_CHAOS_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    );
    println!(
        "chaos ({transport}): seed {seed} (AVISO_CHAOS_SEED={seed} repeats it), {events} events, \
         at least {min_faults} faults of each kind"
    );
    let started = std::time::Instant::now();

    let config = DemoConfig {
        event_interval: None,
        access_ttl: Duration::from_secs(8),
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(500),
        ..DemoConfig::default()
    };
    let server = DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("demo server");
    let control = server.control();
    let _ledger = Ledger(control.clone());
    let proxy = FaultProxy::start(server.addr()).await.expect("fault proxy");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut env = CliEnv::new(BIN, "chaos");
    env.log = "info";
    env.tokens = Some(aviso_testkit::demo::admin_tokens(&server.http_url()).await);
    let cli = Cli {
        url: proxy.http_url(),
        profile: env.file("chaos.toml", &profile(preset)),
        env,
    };
    let mut watch = cli.watch();
    let log = watch.log.clone();
    let faults = std::io::LineWriter::new(
        std::fs::File::create(cli.env.dir().join("faults.log")).expect("faults.log"),
    );
    let ch = Arc::new(Chaos {
        proxy: proxy.handle(),
        control: control.clone(),
        addr: Mutex::new(server.addr()),
        server: tokio::sync::Mutex::new(Some(server)),
        http,
        cli,
        log: log.clone(),
        emitted: Mutex::new(Vec::new()),
        read_elsewhere: Mutex::new(BTreeSet::new()),
        read_elsewhere_later: Mutex::new(BTreeSet::new()),
        read_here: Mutex::new(BTreeSet::new()),
        tally: Mutex::new(Tally::default()),
        faults: Mutex::new(faults),
        refusals: Mutex::new((0, Instant::now(), 0)),
        emitting: AtomicBool::new(true),
        connection_lane: AtomicBool::new(true),
        storm: AtomicBool::new(true),
        min_faults,
    });
    settle(
        30,
        "watch live at the start",
        || lock(&log).state == "live",
        || format!("state {:?}", lock(&log).state),
    )
    .await;

    // The storm.
    let mut rng = StdRng::seed_from_u64(seed);
    let over = Duration::from_secs_f64(events as f64 / RATE);
    let lanes = vec![
        tokio::spawn(emitter(
            ch.clone(),
            events,
            over,
            StdRng::seed_from_u64(rng.random()),
        )),
        tokio::spawn(connection_faults(
            ch.clone(),
            StdRng::seed_from_u64(rng.random()),
        )),
        tokio::spawn(shaping_faults(
            ch.clone(),
            StdRng::seed_from_u64(rng.random()),
        )),
        tokio::spawn(server_faults(
            ch.clone(),
            StdRng::seed_from_u64(rng.random()),
        )),
    ];
    let reads = tokio::spawn(client_reads(
        ch.clone(),
        StdRng::seed_from_u64(rng.random()),
    ));
    let refusals = tokio::spawn({
        let ch = ch.clone();
        async move {
            loop {
                sleep(Duration::from_millis(100)).await;
                let stats = ch.control.stats();
                let n = stats.rest.unauthorized + stats.ws_refused + stats.sse_refused;
                let mut seen = lock(&ch.refusals);
                if seen.0 != n {
                    *seen = (n, Instant::now(), accepted(&stats));
                }
            }
        }
    });
    let progress = tokio::spawn({
        let ch = ch.clone();
        async move {
            loop {
                sleep(Duration::from_secs(15)).await;
                let printed = lock(&ch.log).printed.len();
                let emitted = lock(&ch.emitted).len();
                eprintln!(
                    "chaos: {:.0} s: {emitted} emitted, {printed} printed, faults {:?}",
                    started.elapsed().as_secs_f64(),
                    lock(&ch.tally).0
                );
            }
        }
    });
    for lane in lanes {
        lane.await.expect("a chaos lane panicked");
    }
    ch.storm.store(false, Ordering::SeqCst);
    reads.await.expect("the mark-read lane panicked");
    progress.abort();
    refusals.abort();
    let storm = started.elapsed();

    // Calm: every lasting fault off, then everything must converge.
    ch.proxy.clear();
    control.set_ws_404(false);
    control.set_drop_pushes(false);
    control.set_stall(false);
    control.drop_sockets();
    let emitted: BTreeSet<u64> = lock(&ch.emitted).iter().copied().collect();
    assert_eq!(
        emitted.len(),
        lock(&ch.emitted).len(),
        "emitted ids are unique"
    );
    let exited = |w: &mut WatchProc| w.exited().map(|s| format!("; watch exited: {s}"));
    assert_eq!(exited(&mut watch), None, "watch died during the storm");
    settle(
        120,
        "every emitted notification printed",
        || lock(&log).printed.len() >= emitted.len(),
        || {
            let log = lock(&log);
            let missing: Vec<_> = emitted
                .iter()
                .filter(|id| !log.printed.contains_key(id))
                .take(20)
                .collect();
            format!(
                "{} of {} printed, state {} ({}), first missing {missing:?}",
                log.printed.len(),
                emitted.len(),
                log.state,
                log.transport
            )
        },
    )
    .await;
    let read_here = lock(&ch.read_here).clone();
    let read_elsewhere = lock(&ch.read_elsewhere).clone();
    let read_elsewhere_later = lock(&ch.read_elsewhere_later).clone();
    settle(
        60,
        "every client-side mark-read on the server",
        || {
            let on_server: BTreeSet<u64> =
                control.stats().marked_read.iter().map(|m| m.id).collect();
            read_here.is_subset(&on_server)
        },
        || {
            let on_server: BTreeSet<u64> =
                control.stats().marked_read.iter().map(|m| m.id).collect();
            format!(
                "not on the server: {:?}",
                read_here
                    .difference(&on_server)
                    .take(20)
                    .collect::<Vec<_>>()
            )
        },
    )
    .await;
    settle(
        30,
        "watch back on its streaming transport",
        || {
            let log = lock(&log);
            log.state == "live" && log.transport == transport
        },
        || {
            let log = lock(&log);
            format!("state {} ({})", log.state, log.transport)
        },
    )
    .await;
    // Reads made elsewhere on stored notifications reach the store through the engine's
    // comparison with the server's unread list (after reconnects and at each safety poll).
    let expected_unread = emitted.len()
        - read_here
            .iter()
            .chain(&read_elsewhere)
            .chain(&read_elsewhere_later)
            .collect::<BTreeSet<_>>()
            .len();
    let unread_now = || {
        let (ok, out) = ch.cli.run(&["unread", "--account", ACCOUNT]);
        if ok {
            out.trim().to_string()
        } else {
            format!("aviso-cli unread failed: {out}")
        }
    };
    settle(
        60,
        "reads made elsewhere taken in",
        || unread_now() == expected_unread.to_string(),
        || format!("unread {} (expected {expected_unread})", unread_now()),
    )
    .await;
    // A last safety poll's worth of quiet, so a late duplicate would show.
    sleep(Duration::from_secs(3)).await;
    watch.stop();
    let total = started.elapsed();

    // What watch printed: each emitted notification exactly once, nothing else.
    let log = lock(&log);
    assert!(log.eof, "watch's output ended");
    assert!(log.bad.is_empty(), "unexpected lines: {:?}", log.bad);
    // Faults of the path or the server are state lines, never errors (README: "A server
    // that is down is not an error").
    assert!(log.errors.is_empty(), "error lines: {:?}", log.errors);
    let printed: BTreeSet<u64> = log.printed.keys().copied().collect();
    let lost: Vec<u64> = emitted.difference(&printed).copied().collect();
    let unknown: Vec<u64> = printed.difference(&emitted).copied().collect();
    let duplicated: BTreeMap<u64, u32> = log
        .printed
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, n)| (*id, *n))
        .collect();
    assert!(lost.is_empty(), "{} lost: {lost:?}", lost.len());
    assert!(unknown.is_empty(), "printed but never emitted: {unknown:?}");
    assert!(
        duplicated.is_empty(),
        "printed more than once: {duplicated:?}"
    );
    for id in &read_elsewhere {
        assert_eq!(
            log.printed_read.get(id),
            Some(&true),
            "{id} was read elsewhere before the client saw it"
        );
    }

    // The store: exactly the emitted set, with the server's read state.
    let limit = (emitted.len() + 100).to_string();
    let (ok, out) = ch
        .cli
        .run(&["list", "--json", "--account", ACCOUNT, "--limit", &limit]);
    assert!(ok, "aviso-cli list failed");
    let mut stored: BTreeMap<u64, bool> = BTreeMap::new();
    for line in out.lines() {
        let n: Value = serde_json::from_str(line).expect("list --json lines");
        let id: u64 = n["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("an id");
        assert!(
            stored
                .insert(id, n["read"].as_bool().expect("read"))
                .is_none(),
            "{id} stored twice"
        );
    }
    assert_eq!(
        stored.keys().copied().collect::<BTreeSet<_>>(),
        emitted,
        "the store holds exactly the emitted notifications"
    );
    let server_read: BTreeMap<u64, bool> = control
        .notifications()
        .into_iter()
        .filter(|n| n.user_id == 1)
        .map(|n| (n.notification.id, n.notification.leida))
        .collect();
    assert_eq!(
        server_read.keys().copied().collect::<BTreeSet<_>>(),
        emitted,
        "the server holds the emitted notifications"
    );
    let expected_read: BTreeSet<u64> = read_here
        .union(&read_elsewhere)
        .chain(&read_elsewhere_later)
        .copied()
        .collect();
    let read_on = |m: &BTreeMap<u64, bool>| -> BTreeSet<u64> {
        m.iter().filter(|(_, r)| **r).map(|(id, _)| *id).collect()
    };
    assert_eq!(read_on(&server_read), expected_read, "read on the server");
    assert_eq!(read_on(&stored), expected_read, "read in the store");
    let (ok, unread) = ch.cli.run(&["unread", "--account", ACCOUNT]);
    assert!(ok);
    assert_eq!(
        unread.trim(),
        (emitted.len() - expected_read.len()).to_string(),
        "aviso-cli unread"
    );

    // The faults really hit.
    let tally = lock(&ch.tally).0.clone();
    for kind in ["cut", "reset", "stall", "refuse", "delay", "throttle"] {
        assert!(
            tally.get(kind).copied().unwrap_or(0) >= min_faults,
            "{kind}: {tally:?}"
        );
    }
    // Each fault did what it is for, seen where it acts, not only that it was called. Every
    // missing effect is listed at once (a run that breaks several says all of them).
    let ps = ch.proxy.stats();
    let stats = control.stats();
    let refused_404 = if transport == "sse" {
        stats.sse_refused
    } else {
        stats.ws_refused
    };
    let lives = log.entered.get("live").copied().unwrap_or(0);
    let pollings = log.entered.get("polling").copied().unwrap_or(0);
    let dead_peers = log.details.get("dead_peer").copied().unwrap_or(0);
    let effects = [
        (
            ps.connections_cut > 0 && ps.connections_reset > 0,
            format!("no connection was cut or reset at the proxy: {ps:?}"),
        ),
        (
            ps.refused > 0,
            format!("no connection was refused at the proxy: {ps:?}"),
        ),
        (
            ps.chunks_delayed > 0 && ps.chunks_throttled > 0,
            format!("delays and throttles slowed no chunk: {ps:?}"),
        ),
        (
            dead_peers > 0,
            format!("no stall was noticed as a dead peer: {:?}", log.details),
        ),
        (
            stats.pushes_dropped > 0,
            "the server dropped no push in its drop_pushes windows".to_string(),
        ),
        (
            refused_404 > 0,
            "no handshake was refused in the 404 windows".to_string(),
        ),
        (
            stats.rest.unauthorized > 0,
            "no request met an expired token (401) to refresh it".to_string(),
        ),
        (stats.refresh_ok > 0, "no token was refreshed".to_string()),
        (
            !read_here.is_empty(),
            "nothing was marked read here".to_string(),
        ),
        (
            !read_elsewhere.is_empty(),
            "nothing was marked read elsewhere".to_string(),
        ),
        (
            !read_elsewhere_later.is_empty(),
            "nothing was marked read elsewhere later".to_string(),
        ),
        (lives > 1, "the client never reconnected".to_string()),
        (
            pollings > 0,
            "the client never fell back to polling".to_string(),
        ),
    ];
    let missing: Vec<&String> = effects
        .iter()
        .filter(|(seen, _)| !seen)
        .map(|(_, what)| what)
        .collect();
    assert!(
        missing.is_empty(),
        "faults without their effect: {missing:#?}"
    );
    if transport == "sse" {
        // Reconnects resumed from the stored position (the first request had none).
        let resumed = stats
            .sse_last_event_ids
            .iter()
            .filter(|id| id.is_some())
            .count();
        assert!(resumed > 0, "no stream request carried Last-Event-ID");
        println!(
            "  sse: {} stream requests, {resumed} with Last-Event-ID",
            stats.sse_last_event_ids.len()
        );
    }

    let get = |k: &str| tally.get(k).copied().unwrap_or(0);
    println!(
        "chaos ({transport}): seed {seed}: {} s of faults, {} s in all",
        storm.as_secs(),
        total.as_secs()
    );
    println!(
        "  events: {} emitted ({events} paced + {} read elsewhere during restarts), \
         {} marked read by {} mark-read runs ({} confirmed at once, {} queued), \
         {} stored ones read elsewhere later",
        emitted.len(),
        emitted.len() - events,
        read_here.len(),
        get("mark_read_confirmed") + get("mark_read_queued"),
        get("mark_read_confirmed"),
        get("mark_read_queued"),
        read_elsewhere_later.len(),
    );
    println!(
        "  proxy: cut {} ({} connections), reset {} ({} connections), stall {}, delay {}, \
         throttle {}, refuse {} ({} connections refused); {} accepted, {} upstream unreachable",
        get("cut"),
        ps.connections_cut,
        get("reset"),
        ps.connections_reset,
        get("stall"),
        get("delay"),
        get("throttle"),
        get("refuse"),
        ps.refused,
        ps.accepted,
        ps.upstream_failed,
    );
    println!(
        "  server: {} restarts ({} on a new port), {} ws_404 windows, {} token expiries, \
         {} drop_pushes windows, {} stalls, {} socket drops",
        get("restart"),
        get("port_changed"),
        get("ws_404"),
        get("expire_tokens"),
        get("drop_pushes"),
        get("server_stall"),
        get("drop_sockets"),
    );
    println!(
        "  client: live {lives} times ({} reconnects), polling {pollings} times, backoff {} \
         times; {} WebSocket handshakes accepted, {} refused; {} SSE streams opened, {} \
         refused; {} token refreshes, {} REST 401s; error lines {:?}",
        lives - 1,
        log.entered.get("backoff").copied().unwrap_or(0),
        stats.ws_accepted,
        stats.ws_refused,
        stats.sse_accepted,
        stats.sse_refused,
        stats.refresh_ok,
        stats.rest.unauthorized,
        log.errors,
    );
    println!(
        "  result: {} stored, each printed once: lost 0, duplicated 0; read state equal on \
         both sides ({} read, {} unread)",
        stored.len(),
        expected_read.len(),
        emitted.len() - expected_read.len(),
    );
}
