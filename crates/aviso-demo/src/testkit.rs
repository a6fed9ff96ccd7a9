//! Support for tests that use the demo: where they keep their files, and the ledger of
//! issued tokens that the suite's final leak scan looks for.
//!
//! `scripts/test` sets `AVISO_TEST_ARTIFACTS` (a folder whose every file is scanned after
//! the suite) and `AVISO_TOKEN_LEDGER` (a file outside it, listing every token the demo
//! servers issued). Without them (a plain `cargo test`), files go to temporary folders that
//! are removed, and nothing is recorded.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::DemoControl;

/// The engine's `smartsales` preset with test-sized timers (heartbeat 0.5 s, dead after
/// 2 s, polls every 0.5 s, probes every 1 s, safety poll every 2 s, fast backoff), so
/// tests of reconnects and fallbacks take seconds, not minutes.
pub const FAST_SMARTSALES_PROFILE: &str = r#"extends = "smartsales"
[heartbeat]
interval_secs = 0.5
timeout_secs = 2.0
[polling]
interval_secs = 0.5
probe_interval_secs = 1.0
safety_interval_secs = 2.0
[reconnect]
min_ms = 20
initial_ms = 100
max_ms = 400
stable_secs = 1.0
fallback_after = 4
connect_timeout_secs = 3.0
"#;

/// `smartsales-sse` with the same short timings. The stream carries no pings of ours, so a
/// demo serving it needs a `ping_interval` (its keep-alive comments) well under the 2 s
/// timeout: see [`SSE_KEEP_ALIVE`].
pub const FAST_SMARTSALES_SSE_PROFILE: &str = r#"extends = "smartsales-sse"
[heartbeat]
timeout_secs = 2.0
[polling]
interval_secs = 0.5
probe_interval_secs = 1.0
safety_interval_secs = 2.0
[reconnect]
min_ms = 20
initial_ms = 100
max_ms = 400
stable_secs = 1.0
fallback_after = 4
connect_timeout_secs = 3.0
"#;

/// The demo's keep-alive period for [`FAST_SMARTSALES_SSE_PROFILE`].
pub const SSE_KEEP_ALIVE: std::time::Duration = std::time::Duration::from_millis(300);

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

impl ArtifactDir {
    pub fn new(name: &str) -> ArtifactDir {
        let unique = format!(
            "{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
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

/// Emits one notification of `kind` titled `title`, its message naming `total`, with
/// `datos.total` (none when `total` is empty); returns its id. The policy evenings' sales
/// (crates/aviso-cli/tests/policy.rs, tests/desktop/evening.rs).
pub fn emit_sale(control: &DemoControl, kind: &str, title: &str, total: &str) -> String {
    control.emit(
        1,
        &crate::EmitSpec {
            tipo: Some(kind.into()),
            titulo: Some(title.into()),
            mensaje: Some(format!("{title}: total {total}")),
            datos: Some(if total.is_empty() {
                serde_json::json!({})
            } else {
                serde_json::json!({ "total": total })
            }),
            ..Default::default()
        },
    )[0]
    .to_string()
}

/// Total notifications the dunst of this session received (waiting + displayed + history).
pub fn dunst_total() -> u64 {
    let out = std::process::Command::new("dunstctl")
        .arg("count")
        .output()
        .expect("dunstctl");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.rsplit(':').next()?.trim().parse::<u64>().ok())
        .sum()
}

/// Closes every dunst notification, then returns the summaries in its history.
pub fn dunst_summaries() -> Vec<String> {
    dunst_history()
        .into_iter()
        .map(|(summary, _)| summary)
        .collect()
}

/// Closes every dunst notification, then returns (summary, body) of each in its history,
/// newest first; the body as the daemon received it (markup included).
pub fn dunst_history() -> Vec<(String, String)> {
    let _ = std::process::Command::new("dunstctl")
        .arg("close-all")
        .status();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = std::process::Command::new("dunstctl")
        .arg("history")
        .output()
        .expect("dunstctl history");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let text = |i: &serde_json::Value, k: &str| i[k]["data"].as_str().unwrap_or("").to_string();
    v["data"][0]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| (text(i, "summary"), text(i, "body")))
                .collect()
        })
        .unwrap_or_default()
}

/// Asks a CLI process to stop the way a supervisor does, and waits for it to end. Unix:
/// SIGTERM, and the exit status is returned (`watch` closes its sockets and exits 0).
/// Windows has no SIGTERM, and a test cannot send a console Ctrl-C to one child of its own:
/// the process is ended as Task Manager's "End task" ends it, and `None` says there is no
/// clean exit to check (what it wrote and stored before is what the test reads).
pub fn stop_process(child: &mut std::process::Child) -> Option<std::process::ExitStatus> {
    #[cfg(unix)]
    {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        Some(child.wait().expect("wait for the process"))
    }
    #[cfg(not(unix))]
    {
        let _ = child.kill();
        let _ = child.wait();
        None
    }
}

/// The toasts dunst shows now that have buttons, as its context menu offers them (one
/// line per button: `#Label (Summary) [id,key]`), and, when `pick` is not empty, invokes
/// the first line containing it, as a person picking that button from the menu would
/// (`dunstctl action` only gives a toast's default action). Needs the session of
/// scripts/test, whose dunst uses scripts/lib/dunst-menu as its menu; without it (or with
/// no toast to offer) the list is empty and nothing is picked.
pub fn dunst_menu(pick: &str) -> Vec<String> {
    let Some(choice) = std::env::var_os("AVISO_DUNST_MENU_CHOICE") else {
        return Vec::new();
    };
    let choice = PathBuf::from(choice);
    let seen = PathBuf::from(format!("{}.seen", choice.display()));
    let _ = std::fs::remove_file(&seen);
    if std::fs::write(&choice, pick).is_err() {
        return Vec::new();
    }
    let _ = std::process::Command::new("dunstctl")
        .arg("context")
        .status();
    // dunst runs the menu on a thread of its own; it does not run it with nothing to offer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(&seen) {
            return text.lines().map(str::to_string).collect();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = std::fs::remove_file(&choice);
    Vec::new()
}

/// A tmpfs of a given size mounted on a directory (root is needed: `scripts/test` and CI
/// run as root), for the tests of a full or read-only disk. Dropped, it keeps a copy of what
/// the tests wrote on it (beside it, `<dir>-kept`: the token scan reads it) and unmounts.
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts it on `dir` (created when missing); fails the test when it cannot.
    pub fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "cannot mount a tmpfs on {} (root is needed): run this test with scripts/test",
            dir.display()
        );
        Tmpfs {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `ro` or `rw`, as a file system remounted after an error.
    pub fn remount(&self, mode: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.dir)
            .status()
            .unwrap();
        assert!(status.success(), "remount {mode}");
    }

    /// Fills it until it refuses another byte; returns the filler file (delete it to free
    /// the space). Not kept when the tmpfs is dropped.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.dir.join(FILLER);
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        while f.write_all(&[0]).is_ok() {}
        path
    }
}

const FILLER: &str = "filler";

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let mut kept = self.dir.as_os_str().to_owned();
        kept.push("-kept");
        copy_tree(&self.dir, Path::new(&kept));
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
    }
}

/// Copies what `from` holds into `to`, but the filler.
fn copy_tree(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    let _ = std::fs::create_dir_all(to);
    for entry in entries.flatten() {
        let (path, name) = (entry.path(), entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else if name != FILLER {
            let _ = std::fs::copy(&path, to.join(&name));
        }
    }
}
