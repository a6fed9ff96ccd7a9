//! Where tests keep their files, and the ledger of issued tokens that the suite's final leak
//! scan looks for.
//!
//! `scripts/test` sets `AVISO_TEST_ARTIFACTS` (a folder whose every file is scanned after
//! the suite) and `AVISO_TOKEN_LEDGER` (a file outside it, listing every token the demo
//! servers issued). Without them (a plain `cargo test`), files go to temporary folders that
//! are removed, and nothing is recorded.

use std::io::Write;
use std::path::{Path, PathBuf};

use aviso_demo::DemoControl;

/// A test's folder: under `AVISO_TEST_ARTIFACTS` (kept for the scan) or a temporary one.
pub struct ArtifactDir {
    path: PathBuf,
    _temp: Option<TempGuard>,
}

struct TempGuard(PathBuf);

impl Drop for TempGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `name` made unique to this process and moment: `name-PID-NANOS`.
pub fn unique_name(name: &str) -> String {
    format!(
        "{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}

impl ArtifactDir {
    pub fn new(name: &str) -> ArtifactDir {
        let unique = unique_name(name);
        match std::env::var_os("AVISO_TEST_ARTIFACTS") {
            Some(root) => {
                let path = PathBuf::from(root).join(unique);
                std::fs::create_dir_all(&path).expect("create the artifact folder");
                ArtifactDir { path, _temp: None }
            }
            None => {
                let path = std::env::temp_dir().join(format!("aviso-test-{unique}"));
                std::fs::create_dir_all(&path).expect("create a temporary folder");
                ArtifactDir {
                    path: path.clone(),
                    _temp: Some(TempGuard(path)),
                }
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Appends every token this demo issued to the ledger (when the suite keeps one).
pub fn record_issued_tokens(control: &DemoControl) {
    record_tokens(control.stats().tokens_issued);
}

/// Appends `tokens` to the ledger (when the suite keeps one): the final scan looks for them
/// in every file the suite wrote.
pub fn record_tokens<T: std::fmt::Display>(tokens: impl IntoIterator<Item = T>) {
    let Some(ledger) = std::env::var_os("AVISO_TOKEN_LEDGER") else {
        return;
    };
    let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(ledger)
    else {
        panic!("cannot open the token ledger");
    };
    for t in tokens {
        writeln!(file, "{t}").expect("write the token ledger");
    }
}
