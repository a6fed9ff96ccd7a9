//! One harness for `aviso-cli` processes: their own config and data folders and logs (kept
//! in the artifacts, which the token scan reads), their credentials and language, runs to
//! completion, and long-running commands whose JSON lines are read as they come.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::ArtifactDir;

/// Where a test's CLI processes keep their files, and how they are started. Each command
/// gets `AVISO_CONFIG_DIR` and `AVISO_DATA_DIR` under the folder, its stderr in
/// `stderr-N.log` there, `AVISO_LOG` (`debug` unless set), the tokens when given (none
/// inherited), and `LANG` when set (with `LC_ALL` and `LC_MESSAGES` unset).
pub struct CliEnv {
    bin: PathBuf,
    dir: ArtifactDir,
    pub tokens: Option<(String, String)>,
    pub lang: Option<&'static str>,
    pub log: &'static str,
    vars: Vec<(String, String)>,
    runs: AtomicUsize,
}

impl CliEnv {
    /// `bin`: the CLI (`env!("CARGO_BIN_EXE_aviso-cli")`); `name`: the artifact folder's.
    pub fn new(bin: &str, name: &str) -> CliEnv {
        CliEnv {
            bin: PathBuf::from(bin),
            dir: ArtifactDir::new(name),
            tokens: None,
            lang: None,
            log: "debug",
            vars: Vec::new(),
            runs: AtomicUsize::new(0),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `name` in the folder; returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir().join(name);
        std::fs::write(&path, text).expect("write a test file");
        path.display().to_string()
    }

    /// One more environment variable for every command.
    pub fn var(&mut self, name: &str, value: impl Into<String>) {
        self.vars.push((name.to_string(), value.into()));
    }

    /// The number of the last command started (its `stderr-N.log`).
    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    /// `aviso-cli ARGS`, ready to spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let n = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .env("AVISO_CONFIG_DIR", self.dir().join("config"))
            .env("AVISO_DATA_DIR", self.dir().join("data"))
            // Logs kept in the artifacts: the leak scan reads them.
            .env("AVISO_LOG", self.log)
            .env_remove("AVISO_TOKEN")
            .env_remove("AVISO_REFRESH_TOKEN")
            .stdin(Stdio::null())
            .stderr(
                std::fs::File::create(self.dir().join(format!("stderr-{n}.log")))
                    .expect("a stderr file"),
            );
        if let Some((access, refresh)) = &self.tokens {
            cmd.env("AVISO_TOKEN", access)
                .env("AVISO_REFRESH_TOKEN", refresh);
        }
        if let Some(lang) = self.lang {
            cmd.env("LANG", lang)
                .env_remove("LC_ALL")
                .env_remove("LC_MESSAGES");
        }
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs to completion (killed after a minute: a CLI that hangs is a bug), with `stdin`
    /// written to it; returns (success, stdout). Stdout is kept as `stdout-N.log`.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> (bool, String) {
        let mut cmd = self.command(args);
        let n = self.runs();
        cmd.stdout(Stdio::piped()).stdin(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn aviso-cli");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
        drop(child.stdin.take());
        let mut stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
            text
        });
        let status = exit_within(&mut child, 60);
        let stdout = reader.join().expect("the stdout reader");
        std::fs::write(self.dir().join(format!("stdout-{n}.log")), &stdout).expect("log");
        (status.success(), stdout)
    }

    pub fn stderr_of_last_run(&self) -> String {
        std::fs::read_to_string(self.dir().join(format!("stderr-{}.log", self.runs())))
            .unwrap_or_default()
    }

    /// The last run's error line (`aviso-cli: …`; the rest of its stderr is logs).
    pub fn error_of_last_run(&self) -> String {
        let stderr = self.stderr_of_last_run();
        let line = stderr.lines().rev().find(|l| l.starts_with("aviso-cli: "));
        line.unwrap_or_else(|| panic!("no error line in: {stderr}"))
            .to_string()
    }

    /// `aviso-cli watch ARGS`, its JSON lines read as they come.
    pub fn watch(&self, args: &[&str]) -> JsonLines {
        let mut full = vec!["watch"];
        full.extend_from_slice(args);
        self.spawn_json(&full)
    }

    /// Any command whose stdout is JSON lines, read as they come (and kept as
    /// `stdout-N.log`).
    pub fn spawn_json(&self, args: &[&str]) -> JsonLines {
        let mut cmd = self.command(args);
        let log = self.dir().join(format!("stdout-{}.log", self.runs()));
        let child = cmd.stdout(Stdio::piped()).spawn().expect("spawn aviso-cli");
        JsonLines::read(child, log)
    }
}

/// A running command's JSON lines. Killed when dropped (a test that failed before stopping
/// it leaves nothing running).
pub struct JsonLines {
    child: Option<Child>,
    rx: mpsc::Receiver<Value>,
    /// Every line received so far, in order.
    pub lines: Vec<Value>,
}

impl JsonLines {
    /// Reads `child`'s piped stdout on a thread, each line kept in `log` and parsed (a line
    /// that is not JSON fails the test).
    pub fn read(mut child: Child, log: PathBuf) -> JsonLines {
        let stdout = child.stdout.take().expect("a piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut file = std::fs::File::create(log).expect("the stdout log");
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                writeln!(file, "{line}").expect("the stdout log");
                let value: Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        JsonLines {
            child: Some(child),
            rx,
            lines: Vec::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// The next line matching `pred` (lines received before this call do not count).
    pub fn wait_for(&mut self, secs: u64, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) => {
                    self.lines.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(_) => panic!("no {what} within {secs} s; lines: {:#?}", self.lines),
            }
        }
    }

    /// The first line matching `pred`, received before or still to come.
    pub fn seen_or_wait_for(
        &mut self,
        secs: u64,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        if let Some(v) = self.lines.iter().find(|l| pred(l)) {
            return v.clone();
        }
        self.wait_for(secs, what, pred)
    }

    pub fn count(&self, pred: impl Fn(&Value) -> bool) -> usize {
        self.lines.iter().filter(|l| pred(l)).count()
    }

    /// Waits until `n` lines received match.
    pub fn wait_count(&mut self, secs: u64, n: usize, what: &str, pred: impl Fn(&Value) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.count(&pred) < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) => self.lines.push(v),
                Err(_) => panic!("not {n} {what} within {secs} s; lines: {:#?}", self.lines),
            }
        }
    }

    /// The notification lines' ids, in order.
    pub fn notification_ids(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| l["type"] == "notification")
            .map(|l| l["id"].as_str().expect("an id").to_string())
            .collect()
    }

    /// Waits (each at most `secs`) until a notification line of each id in `want` came.
    pub fn wait_ids(&mut self, secs: u64, want: &[u64]) {
        for id in want {
            let id = id.to_string();
            if !self.notification_ids().contains(&id) {
                self.wait_for(secs, &format!("notification {id}"), |l| {
                    l["type"] == "notification" && l["id"] == id.as_str()
                });
            }
        }
    }

    /// Stopped as a supervisor would (see [`stop_process`]; a clean exit is required where
    /// there is one), then the rest of its output; returns every line.
    pub fn stop(mut self) -> Vec<Value> {
        let mut child = self.child.take().expect("running");
        if let Some(status) = stop_process(&mut child) {
            assert!(status.success(), "the command exited with {status}");
        }
        while let Ok(v) = self.rx.recv_timeout(Duration::from_secs(2)) {
            self.lines.push(v);
        }
        std::mem::take(&mut self.lines)
    }
}

impl Drop for JsonLines {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The process's exit status, which must come within `secs` (else it is killed and the test
/// fails).
pub fn exit_within(child: &mut Child, secs: u64) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
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
