//! Just enough of the W3C WebDriver protocol to drive the desktop app's panel through
//! `tauri-driver` (which runs WebKitWebDriver): a session with the app, scripts, window
//! handles. Plain JSON over `reqwest`, as `tests/desktop.rs` does with fantoccini.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use aviso_testkit::DriverPorts;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// `tauri-driver` on ports of its own (`aviso_testkit::DriverPorts`), in a process group of
/// its own so that everything it starts (WebKitWebDriver, the app) can be stopped with it.
pub struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    _ports: DriverPorts,
}

/// Whether `tauri-driver` and WebKitWebDriver are installed (`scripts/setup --test`).
pub fn available() -> bool {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    on_path("tauri-driver") && on_path("WebKitWebDriver")
}

/// The port `tauri-driver` (process `pid`) listens on, once it does. Read from `/proc`:
/// Linux only, as is WebKitWebDriver ([`available`] is false elsewhere).
#[cfg(target_os = "linux")]
async fn listening_port(pid: u32) -> Result<u16> {
    tokio::task::spawn_blocking(move || DriverPorts::wait_listening(pid, Duration::from_secs(20)))
        .await?
        .context("tauri-driver did not listen")
}

#[cfg(not(target_os = "linux"))]
async fn listening_port(_pid: u32) -> Result<u16> {
    bail!("the desktop benchmarks drive WebKitWebDriver, on Linux only")
}

impl Driver {
    /// Starts `tauri-driver` with `env` (inherited by the app it launches) and waits until it
    /// accepts connections.
    pub async fn start(env: &[(&str, &std::ffi::OsStr)]) -> Result<Driver> {
        let ports = DriverPorts::new();
        let mut cmd = Command::new("tauri-driver");
        cmd.args(ports.args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        // Its own process group, so stopping it also stops the WebKitWebDriver it started.
        #[cfg(unix)]
        cmd.process_group(0);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().context("starting tauri-driver")?;
        let pid = child.id().context("tauri-driver's pid")?;
        let port = listening_port(pid).await?;
        Ok(Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            _ports: ports,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// A session with `app` started with `args`. WebKitWebDriver answers once the app's first
    /// webview exists, so for a tray app this returns when its panel first opens.
    pub async fn session(&self, app: &Path, args: &[&str], wait: Duration) -> Result<Session> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": app, "args": args},
        }}});
        let v = call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}/session", self.base),
            Some(caps),
            wait,
        )
        .await
        .context("no WebDriver session with the app")?;
        let id = v["sessionId"]
            .as_str()
            .context("no sessionId in the answer")?
            .to_owned();
        let session = Session {
            http: self.http.clone(),
            url: format!("{}/session/{id}", self.base),
        };
        session
            .post("/timeouts", json!({"script": 300_000}))
            .await?;
        Ok(session)
    }

    /// Stops tauri-driver and everything in its process group (WebKitWebDriver, the app).
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .status()
                .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        let _ = self.child.kill().await;
    }
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
    timeout: Duration,
) -> Result<Value> {
    let mut req = http.request(method, url).timeout(timeout);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.with_context(|| url.to_owned())?;
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{url}: HTTP {status}: {}", v["value"]);
    }
    Ok(v["value"].clone())
}

pub struct Session {
    http: reqwest::Client,
    url: String,
}

impl Session {
    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}{path}", self.url),
            Some(body),
            Duration::from_secs(310),
        )
        .await
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its value.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Runs `script`, which calls its last argument with the result.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/async", json!({"script": script, "args": args}))
            .await
    }

    pub async fn window_handles(&self) -> Result<Vec<String>> {
        let v = call(
            &self.http,
            reqwest::Method::GET,
            &format!("{}/window/handles", self.url),
            None,
            Duration::from_secs(30),
        )
        .await?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h.as_str().map(str::to_owned))
            .collect())
    }

    pub async fn switch_to(&self, handle: &str) -> Result<()> {
        self.post("/window", json!({"handle": handle})).await?;
        Ok(())
    }
}
