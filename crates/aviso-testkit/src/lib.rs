//! Aviso's test kit: what the tests of the engine, the CLI and the app (and the bench) share,
//! kept out of the crates the app and the CLI link.
//!
//! - [`artifacts`]: each test's folder (kept for the token scan) and the token ledger.
//! - [`demo`]: the embedded demo backend as tests use it (quiet, its tokens, a sale).
//! - [`engine`]: one engine harness ([`EngineRun`]).
//! - [`cli`]: one harness for `aviso-cli` processes ([`CliEnv`], [`JsonLines`]).
//! - [`profiles`]: test-sized timers for any preset ([`FastProfile`]).
//! - [`fault_proxy`]: a TCP proxy that breaks the path on command.
//! - [`seed_servers`]: the real seed backends of `tests/servers/` (Django + Redis,
//!   Socket.IO, furniture).
//! - [`ports`]: ports that are never released before use ([`ReservedPort`]).
//! - [`dunst`]: the test session's notification daemon; [`tmpfs`]: a small, fillable disk.

pub mod artifacts;
pub mod cli;
pub mod demo;
pub mod dunst;
pub mod engine;
pub mod fault_proxy;
pub mod ports;
pub mod profiles;
pub mod seed_servers;
pub mod tmpfs;

pub use artifacts::{record_issued_tokens, record_tokens, ArtifactDir};
pub use cli::{stop_process, CliEnv, JsonLines};
pub use engine::{DemoRun, EngineRun};
pub use ports::{DriverPorts, ReservedPort};
pub use profiles::{FastProfile, SSE_KEEP_ALIVE};
pub use tmpfs::Tmpfs;

/// For tests that need the desktop session of `scripts/test` (D-Bus, dunst, the keyring,
/// root for tmpfs): outside it they fail at once, saying why. (They are `#[ignore]`d with a
/// reason; the test command runs them with `--include-ignored`.)
pub fn require_session() {
    assert!(
        std::env::var_os("AVISO_SESSION_TESTS").is_some(),
        "this test needs the desktop session of scripts/test (D-Bus, dunst, the keyring): run \
         it with scripts/test"
    );
}
