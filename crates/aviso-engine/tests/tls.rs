//! TLS against a local CA made here (rcgen): a TLS terminator (tokio-rustls) in front of the
//! embedded demo backend and of the real Socket.IO gateway of `tests/servers/socketio`, so
//! the token login, the WebSocket (`wss`), the REST catch-up and mark-read (`https`) and
//! Socket.IO (`https`, on OpenSSL) all go over TLS. The engine only knows the `https` URL:
//! nothing reaches the servers except through the terminator.
//!
//! - the local CA set as `extra_ca`: login, live, a pushed notification, the catch-up and a
//!   mark-read work;
//! - the CA not set, a self-signed certificate (CA set or not), a certificate for another
//!   host, an expired one: refused, with a sentence saying which, as an `error` line with
//!   code `tls` and a `backoff` state with detail `tls` before every new attempt;
//! - an `extra_ca` that is missing or not PEM: a configuration error naming the file.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aviso_demo::{DemoConfig, DemoControl, DemoServer, EmitSpec};
use aviso_engine::auth::AuthError;
use aviso_engine::credentials::{Credentials, Tokens};
use aviso_engine::engine::{http_client, EngineError};
use aviso_engine::{ConnState, Engine, EngineEvent, EngineOptions, Profile, Secret, TransportKind};
use aviso_testkit::engine::account_with;
use aviso_testkit::seed_servers::SocketIo;
use aviso_testkit::{record_issued_tokens, ArtifactDir, EngineRun, FastProfile};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

/// Test-sized timers; `fallback_after` is high so a refused WebSocket keeps backing off
/// (instead of falling back to polling, which reads the same refused `https`), which makes
/// every connection attempt countable.
fn profile(preset: &str) -> Profile {
    FastProfile::new(preset)
        .dead_after(3.0)
        .connect_timeout(5.0)
        .fallback_after(1000)
        .profile()
}

// ------------------------------------------------------------------------ certificates

/// A local CA, its PEM file, and leaf certificates made for each case.
struct Pki {
    ca: rcgen::Certificate,
    ca_key: KeyPair,
    dir: tempfile::TempDir,
}

/// A server certificate and its key.
struct Leaf {
    /// PEM, for a test that trusts this very certificate.
    pem: String,
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl Pki {
    fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "Aviso test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&ca_key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        Pki { ca, ca_key, dir }
    }

    /// The `extra_ca` file: the CA's certificate, PEM.
    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn params(names: &[&str], cn: &str) -> CertificateParams {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params
    }

    fn finish(cert: rcgen::Certificate, key: KeyPair) -> Leaf {
        Leaf {
            pem: cert.pem(),
            cert: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }

    /// Signed by the CA, for `names`.
    fn leaf(&self, names: &[&str]) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = Pki::params(names, names[0])
            .signed_by(&key, &self.ca, &self.ca_key)
            .unwrap();
        Pki::finish(cert, key)
    }

    /// Signed by the CA, for localhost, valid only in 2020.
    fn expired_leaf(&self) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params = Pki::params(&["localhost", "127.0.0.1"], "localhost");
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        Pki::finish(cert, key)
    }

    /// Signed by its own key, for localhost.
    fn self_signed_leaf() -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = Pki::params(&["localhost", "127.0.0.1"], "localhost (self-signed)")
            .self_signed(&key)
            .unwrap();
        Pki::finish(cert, key)
    }
}

// ------------------------------------------------------------------------ TLS terminator

/// Accepts TLS on a loopback port with one certificate and forwards the plaintext to a
/// backend port: `https`/`wss` in front of a plain server, as a reverse proxy does.
struct Terminator {
    port: u16,
    /// TCP connections accepted, i.e. TLS handshakes the clients started.
    attempts: Arc<AtomicUsize>,
    /// Handshakes that succeeded.
    established: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Terminator {
    async fn start(leaf: &Leaf, backend: u16) -> Terminator {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.cert.clone()],
                PrivateKeyDer::Pkcs8(leaf.key.clone_key()),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let attempts = Arc::new(AtomicUsize::new(0));
        let established = Arc::new(AtomicUsize::new(0));
        let backend = SocketAddr::from(([127, 0, 0, 1], backend));
        let (a, e) = (attempts.clone(), established.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::SeqCst);
                let (acceptor, e) = (acceptor.clone(), e.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    e.fetch_add(1, Ordering::SeqCst);
                    let Ok(mut plain) = TcpStream::connect(backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        Terminator {
            port,
            attempts,
            established,
            task,
        }
    }

    /// The server URL the engine is given: the certificates name `localhost`.
    fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }

    fn established(&self) -> usize {
        self.established.load(Ordering::SeqCst)
    }
}

impl Drop for Terminator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ------------------------------------------------------------------------ the engine

/// The engine with one account, `tienda` (through [`EngineRun`], which it derefs to).
struct Watch {
    run: EngineRun,
    _dir: ArtifactDir,
}

impl Deref for Watch {
    type Target = EngineRun;
    fn deref(&self) -> &EngineRun {
        &self.run
    }
}

impl DerefMut for Watch {
    fn deref_mut(&mut self) -> &mut EngineRun {
        &mut self.run
    }
}

impl Watch {
    fn start(
        server: &str,
        profile: Profile,
        extra_ca: Option<&Path>,
        tokens: Tokens,
        params: &[(&str, &str)],
    ) -> Watch {
        let dir = ArtifactDir::new("tls");
        let mut run = EngineRun::open_with_ca(dir.path(), extra_ca, Some(tokens));
        run.add(account_with("tienda", server, profile, params));
        Watch { run, _dir: dir }
    }

    async fn wait_live(&mut self, transport: TransportKind) {
        let live = self
            .wait_for(15.0, "live", |e| {
                matches!(
                    e,
                    EngineEvent::State {
                        state: ConnState::Live,
                        ..
                    }
                )
            })
            .await;
        assert!(
            matches!(&live, EngineEvent::State { transport: Some(t), .. } if *t == transport),
            "{live:?}"
        );
    }

    /// The first `error` line with code `tls`: its message.
    async fn wait_tls_error(&mut self) -> String {
        match self
            .wait_for(
                15.0,
                "a tls error",
                |e| matches!(e, EngineEvent::Error { code, .. } if *code == aviso_engine::ErrorCode::Tls),
            )
            .await
        {
            EngineEvent::Error { message, .. } => message,
            _ => unreachable!(),
        }
    }

    fn tls_backoffs(&self) -> usize {
        self.seen
            .iter()
            .filter(|e| {
                matches!(e, EngineEvent::State {
                    state: ConnState::Backoff, detail, next_retry_at: Some(_), ..
                } if *detail == aviso_engine::StateDetail::Tls)
            })
            .count()
    }

    /// Waits for `n` backoff states with detail `tls` and a scheduled retry.
    async fn wait_tls_backoffs(&mut self, n: usize) {
        while self.tls_backoffs() < n {
            self.wait_for(15.0, &format!("{n} backoff states (tls)"), |e| {
                matches!(e, EngineEvent::State { state: ConnState::Backoff, detail, .. } if *detail == aviso_engine::StateDetail::Tls)
            })
            .await;
        }
    }

    async fn wait_ids(&mut self, want: &BTreeSet<String>) {
        self.run.wait_ids(10.0, want).await
    }

    /// Stops every link and collects what they reported until then.
    async fn stop(self) -> Vec<EngineEvent> {
        self.run.stop().await
    }
}

/// A demo backend behind a terminator with `leaf`.
struct Site {
    demo: DemoServer,
    control: DemoControl,
    tls: Terminator,
}

impl Site {
    async fn start(leaf: &Leaf) -> Site {
        let config = DemoConfig {
            event_interval: None,
            ..DemoConfig::default()
        };
        let demo = DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap();
        let control = demo.control();
        let tls = Terminator::start(leaf, demo.addr().port()).await;
        Site { demo, control, tls }
    }

    fn emit(&self, n: usize) -> BTreeSet<String> {
        self.control
            .emit(n, &EmitSpec::default())
            .into_iter()
            .map(|id| id.to_string())
            .collect()
    }

    /// A valid token, obtained from the demo directly (plain HTTP, not through TLS): the
    /// refusals below are about the certificate, not the credentials.
    async fn direct_tokens(&self) -> Tokens {
        login(&self.demo.http_url(), None)
            .await
            .expect("demo login")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        record_issued_tokens(&self.control);
    }
}

/// The token login (`POST /api/token/`) with the engine's HTTP client and `extra_ca`.
async fn login(server: &str, extra_ca: Option<&Path>) -> Result<Tokens, AuthError> {
    let tls = aviso_engine::tls::client_config(extra_ca).unwrap();
    let http = http_client(&tls).unwrap();
    let server = url::Url::parse(server).unwrap();
    let auth = Profile::load("smartsales").unwrap().auth;
    aviso_engine::auth::obtain(&http, &server, &auth, "admin", &Secret::new("admin")).await
}

/// The login refused by the certificate: its message.
async fn refused_login(server: &str, extra_ca: Option<&Path>) -> String {
    match login(server, extra_ca).await {
        Err(e @ AuthError::Unreachable { .. }) => e.to_string(),
        Err(other) => panic!("login failed otherwise: {other}"),
        Ok(_) => panic!("the login over TLS was not refused"),
    }
}

const UNTRUSTED: &str = "the server's TLS certificate is not trusted (unknown issuer); if the \
                         server uses a private CA, set `extra_ca` in config.toml to that CA's PEM \
                         file";
const SELF_SIGNED: &str = "the server's TLS certificate is self-signed and not trusted; to \
                           trust it, add that certificate to the PEM file set as `extra_ca` in \
                           config.toml";

/// Runs the smartsales account against `site` until it was refused a few times; checks the
/// message, that a `backoff` (detail `tls`, retry scheduled) follows every attempt, and that
/// nothing got through to the server.
async fn refused_websocket(site: &Site, extra_ca: Option<&Path>) -> String {
    let tokens = site.direct_tokens().await;
    let token = tokens.access.expose().to_string();
    let (attempts_before, established_before) = (site.tls.attempts(), site.tls.established());
    let mut w = Watch::start(
        &site.tls.url(),
        profile("smartsales"),
        extra_ca,
        tokens,
        &[],
    );
    let message = w.wait_tls_error().await;
    w.wait_tls_backoffs(3).await;
    let seen = w.stop().await;
    let backoffs = seen
        .iter()
        .filter(|e| {
            matches!(e, EngineEvent::State {
                state: ConnState::Backoff, detail, next_retry_at: Some(_), ..
            } if *detail == aviso_engine::StateDetail::Tls)
        })
        .count();
    // Every attempt was answered by a backoff before the next one (the last attempt may
    // have been cut by the shutdown): no hot retry loop.
    let attempts = site.tls.attempts() - attempts_before;
    assert!(attempts >= 3, "{attempts} attempts");
    assert!(
        attempts <= backoffs + 1,
        "{attempts} TLS connection attempts for {backoffs} backoff states"
    );
    assert_eq!(
        site.tls.established(),
        established_before,
        "a handshake succeeded"
    );
    assert!(!seen.iter().any(|e| matches!(
        e,
        EngineEvent::State {
            state: ConnState::Live,
            ..
        }
    )));
    let stats = site.control.stats();
    assert_eq!((stats.ws_accepted, stats.rest.list), (0, 0));
    for e in &seen {
        if let EngineEvent::Error { code, message, .. } = e {
            assert_eq!(
                *code,
                aviso_engine::ErrorCode::Tls,
                "unexpected error line: {message}"
            );
            assert!(!message.contains(&token), "an error line carries the token");
            assert!(!message.contains("https://"), "an error line carries a URL");
        }
    }
    message
}

// ------------------------------------------------------------------------ cases

/// The local CA set as `extra_ca`: the token login, the WebSocket, the REST catch-up of a
/// backlog, a live push and a mark-read all work through the TLS terminator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_local_ca_configured_login_live_catch_up_and_mark_read_work_over_tls() {
    let pki = Pki::new();
    let site = Site::start(&pki.leaf(&["localhost", "127.0.0.1"])).await;
    let ca = pki.ca_file();

    let tokens = login(&site.tls.url(), Some(&ca))
        .await
        .expect("login over https");
    assert_eq!(site.control.stats().token_obtain, 1);

    let backlog = site.emit(3);
    let mut w = Watch::start(
        &site.tls.url(),
        profile("smartsales"),
        Some(&ca),
        tokens,
        &[],
    );
    w.wait_live(TransportKind::Websocket).await;
    w.wait_ids(&backlog).await;
    let stats = site.control.stats();
    assert_eq!(stats.ws_accepted, 1);
    assert!(stats.rest.list >= 1, "the backlog came without a REST list");

    let pushed_before = site.control.stats().frames_pushed;
    let live = site.emit(2);
    w.wait_ids(&live).await;
    assert!(site.control.stats().frames_pushed > pushed_before);

    let first = backlog.iter().next().unwrap().clone();
    w.engine()
        .mark_read("tienda", vec![first.clone()])
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !site
        .control
        .stats()
        .marked_read
        .iter()
        .any(|m| m.id.to_string() == first)
    {
        assert!(
            Instant::now() < deadline,
            "the mark-read never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Login, WebSocket, catch-up, mark-read: every connection was a TLS one.
    assert!(site.tls.established() >= 3);
    let seen = w.stop().await;
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, EngineEvent::Error { code, .. } if *code == aviso_engine::ErrorCode::Tls)),
        "{seen:#?}"
    );
}

/// The same server without `extra_ca`: the login and the WebSocket are refused, saying the
/// certificate is not trusted and where to set the CA; backoff between attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_the_certificate_is_not_trusted_and_retries_back_off() {
    let pki = Pki::new();
    let site = Site::start(&pki.leaf(&["localhost", "127.0.0.1"])).await;

    let login_error = refused_login(&site.tls.url(), None).await;
    assert!(login_error.ends_with(UNTRUSTED), "{login_error}");
    assert_eq!(site.control.stats().token_obtain, 0);

    let message = refused_websocket(&site, None).await;
    assert_eq!(message, UNTRUSTED);
}

/// A self-signed certificate is refused, with the CA configured or not, and says it is
/// self-signed; only that very certificate in `extra_ca` makes it trusted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_is_refused_as_self_signed() {
    let pki = Pki::new();
    let leaf = Pki::self_signed_leaf();
    let site = Site::start(&leaf).await;
    let ca = pki.ca_file();

    let login_error = refused_login(&site.tls.url(), Some(&ca)).await;
    assert!(login_error.ends_with(SELF_SIGNED), "{login_error}");

    assert_eq!(refused_websocket(&site, Some(&ca)).await, SELF_SIGNED);
    assert_eq!(refused_websocket(&site, None).await, SELF_SIGNED);

    let pinned = pki.dir.path().join("pinned.pem");
    std::fs::write(&pinned, &leaf.pem).unwrap();
    let tokens = login(&site.tls.url(), Some(&pinned))
        .await
        .expect("the certificate itself in extra_ca is trusted");
    let mut w = Watch::start(
        &site.tls.url(),
        profile("smartsales"),
        Some(&pinned),
        tokens,
        &[],
    );
    w.wait_live(TransportKind::Websocket).await;
    w.stop().await;
}

/// A certificate from the trusted CA, but for another host: refused, naming both names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_host_is_refused_naming_the_mismatch() {
    let pki = Pki::new();
    let site = Site::start(&pki.leaf(&["other.example"])).await;
    let ca = pki.ca_file();
    let expected = "the server's TLS certificate is for another host name (it is valid for \
                    other.example, not localhost); check the server address";

    let login_error = refused_login(&site.tls.url(), Some(&ca)).await;
    assert!(login_error.ends_with(expected), "{login_error}");
    assert_eq!(refused_websocket(&site, Some(&ca)).await, expected);
}

/// A certificate from the trusted CA that expired: refused, with the date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_refused_with_its_date() {
    let pki = Pki::new();
    let site = Site::start(&pki.expired_leaf()).await;
    let ca = pki.ca_file();
    let expected =
        "the server's TLS certificate expired on 2021-01-01 (or this computer's clock is wrong)";
    assert_eq!(refused_websocket(&site, Some(&ca)).await, expected);
}

/// `https` to a port without TLS (the demo's own plain port): refused, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_tls_is_named_as_such() {
    let pki = Pki::new();
    let site = Site::start(&pki.leaf(&["localhost"])).await;
    let plain = format!("https://localhost:{}", site.demo.addr().port());
    let mut w = Watch::start(
        &plain,
        profile("smartsales"),
        Some(&pki.ca_file()),
        site.direct_tokens().await,
        &[],
    );
    let message = w.wait_tls_error().await;
    assert!(
        message.starts_with("the TLS handshake failed (")
            && message.ends_with(
                "is the server speaking TLS on this port? (use http:// for a server without TLS)"
            ),
        "{message}"
    );
    w.wait_tls_backoffs(1).await;
    w.stop().await;
}

/// An `extra_ca` that does not exist, holds no certificate or is broken PEM: the engine
/// does not start, and the error names the file and the setting.
#[test]
fn a_missing_or_non_pem_ca_file_is_a_configuration_error() {
    let pki = Pki::new();
    let dir = pki.dir.path();
    let key_only = dir.join("key.pem");
    std::fs::write(&key_only, pki.ca_key.serialize_pem()).unwrap();
    let broken = dir.join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n%%% not base64 %%%\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let cases = [
        (dir.join("missing.pem"), "the file does not exist"),
        (key_only, "it holds no PEM certificate"),
        (broken, "it is not a valid PEM file"),
    ];
    for (path, why) in cases {
        let data = ArtifactDir::new("tls-config");
        let options = EngineOptions {
            data_dir: data.path().to_path_buf(),
            extra_ca: Some(path.clone()),
        };
        let tokens = Tokens {
            access: Secret::new("unused"),
            refresh: None,
        };
        let error = match Engine::open(options, Credentials::in_memory(tokens)) {
            Err(e @ EngineError::Tls(_)) => e.to_string(),
            Err(other) => panic!("not a TLS configuration error: {other}"),
            Ok(_) => panic!("the engine opened with {}", path.display()),
        };
        let start = format!(
            "the CA file {} (`extra_ca` in config.toml) cannot be used: {why}",
            path.display()
        );
        assert!(error.starts_with(&start), "{error}");
    }
}

/// Socket.IO over `https` (OpenSSL, not rustls): the local CA in `extra_ca` is trusted and
/// events arrive; without it, with a self-signed certificate or one for another host, the
/// connection is refused with the same sentences as on rustls.
// Socket.IO goes through native-tls, which is schannel on Windows: under Wine 8 schannel
// refuses this local CA's chain with CERT_E_WRONG_USAGE (not diagnosed; the rustls paths,
// WebSocket and REST, pass there).
#[cfg_attr(
    windows,
    ignore = "Wine 8's schannel refuses the test CA (CERT_E_WRONG_USAGE)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socketio_over_https_trusts_the_configured_ca_only() {
    let pki = Pki::new();
    let ca = pki.ca_file();
    let sio = SocketIo::start();
    let params = [("user_id", "user_123"), ("role", "proveedor")];
    let tokens = || Tokens {
        access: Secret::new("unused"),
        refresh: None,
    };

    let good = Terminator::start(&pki.leaf(&["localhost", "127.0.0.1"]), sio.port).await;
    let mut w = Watch::start(
        &good.url(),
        profile("socketio-gateway"),
        Some(&ca),
        tokens(),
        &params,
    );
    w.wait_live(TransportKind::Socketio).await;
    sio.post(
        "/api/dashboard/emit-event",
        json!({"type": "reserva:creada", "data": {"reserva": {"id": 7, "estado": "confirmada"}}}),
    )
    .await;
    w.wait_for(
        10.0,
        "the reservation",
        |e| matches!(e, EngineEvent::Notification(n) if n.title == "Nueva reserva #7"),
    )
    .await;
    assert!(good.established() >= 1);
    w.stop().await;

    // Refused: each case's first error line, then backoff (Socket.IO has no polling).
    let self_signed = Terminator::start(&Pki::self_signed_leaf(), sio.port).await;
    let other_host = Terminator::start(&pki.leaf(&["other.example"]), sio.port).await;
    let cases = [
        (&good, None, UNTRUSTED),
        (&self_signed, Some(ca.as_path()), SELF_SIGNED),
        (
            &other_host,
            Some(ca.as_path()),
            "the server's TLS certificate is for another host name; check the server address",
        ),
    ];
    for (terminator, extra_ca, expected) in cases {
        let before = terminator.established();
        let mut w = Watch::start(
            &terminator.url(),
            profile("socketio-gateway"),
            extra_ca,
            tokens(),
            &params,
        );
        let message = w.wait_tls_error().await;
        assert_eq!(message, expected, "behind {}", terminator.url());
        w.wait_tls_backoffs(2).await;
        let seen = w.stop().await;
        assert!(!seen.iter().any(|e| matches!(
            e,
            EngineEvent::State {
                state: ConnState::Live,
                ..
            }
        )));
        assert_eq!(terminator.established(), before, "a handshake succeeded");
    }
}
