//! Benchmark 2, desktop part: the panel during a burst, driven through WebDriver
//! (`tauri-driver` + WebKitWebDriver, as `tests/desktop.rs` does). The app runs tray-resident
//! on a quiet demo server holding `prefill` notifications; WebKitWebDriver's session attaches
//! to the panel's webview when it first opens.
//!
//! - **Open**: `aviso --toggle`, then the time until the panel's list is on screen, read in the
//!   page: the panel puts a `performance.mark("aviso:list-rendered")` in the first animation
//!   frame that shows rows (`ui/src/components/FeedList.svelte`), and
//!   `performance.timeOrigin` + the mark's time is a wall-clock instant comparable with the
//!   bench's. Measured with no burst (a second opening, so the network process is warm, as
//!   it is for the burst) and with a burst of N sent at the same moment as the toggle.
//! - **Scroll**: in the page, `scrollTop` moves one viewport at a time; each step lasts until
//!   the row at the new position is in the DOM and one more frame went by (painted). Quiet,
//!   then with another burst of N sent as the scrolling starts.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use aviso_demo::EmitSpec;
use serde_json::{json, Value};
use tokio::process::Command;

use crate::desktop::until;
use crate::harness;
use crate::measure::{epoch_ns, percentile, process_tree, tree_has};
use crate::report::Row;
use crate::webdriver::{self, Driver, Session};

const BENCH: &str = "2 burst (desktop panel)";

#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Notifications on the server before the app starts (material to scroll through).
    pub prefill: usize,
    /// Viewports scrolled per scroll measurement.
    pub scroll_steps: usize,
}

/// Where the list stands in the page: the mark's wall-clock time (ms since the epoch) once it
/// exists, and how many rows the list shows.
const READ_MARK: &str = r#"
const m = performance.getEntriesByName("aviso:list-rendered")[0];
const fcp = performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint");
return {
  mark: m ? performance.timeOrigin + m.startTime : null,
  fcp: fcp ? performance.timeOrigin + fcp.startTime : null,
  origin: performance.timeOrigin,
  rows: document.querySelectorAll(".notification").length,
};
"#;

/// Scrolls the list `arguments[0]` viewports down; see the module doc.
const SCROLL: &str = r#"
const steps = arguments[0];
const done = arguments[arguments.length - 1];
const viewport = document.querySelector(".viewport");
const first = document.querySelector("[data-index]");
if (!viewport || !first) { done({ error: "no list on screen" }); return; }
const rowHeight = first.getBoundingClientRect().height || 76;
const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
(async () => {
  const times = [];
  const start = performance.now();
  const top0 = viewport.scrollTop;
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    viewport.scrollTop = viewport.scrollTop + viewport.clientHeight;
    const want = Math.floor(viewport.scrollTop / rowHeight);
    for (let f = 0; f < 600; f++) {
      await frame();
      if (document.querySelector(`[data-index="${want}"] .notification`)) break;
    }
    await frame();
    times.push(performance.now() - t);
  }
  done({
    times,
    total: performance.now() - start,
    rows_scrolled: Math.round((viewport.scrollTop - top0) / rowHeight),
  });
})();
"#;

fn epoch_ms() -> f64 {
    epoch_ns() as f64 / 1e6
}

/// The app's pid among the processes tauri-driver started.
fn app_pid(driver: u32, app: &Path) -> Option<u32> {
    let app = std::fs::canonicalize(app).ok()?;
    process_tree(driver)
        .into_iter()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app))
}

/// Waits for the list-rendered mark of the page the session is on; its wall-clock time.
async fn list_rendered(session: &Session) -> Result<(f64, Option<f64>)> {
    for _ in 0..600 {
        let v = session.execute(READ_MARK, vec![]).await?;
        if let Some(mark) = v["mark"].as_f64() {
            return Ok((mark, v["fcp"].as_f64()));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    anyhow::bail!("the panel's list did not render within 15 s")
}

/// Switches the session to the panel's new webview (after a toggle reopened it).
async fn attach_new_panel(session: &Session) -> Result<()> {
    for _ in 0..400 {
        if let Some(h) = session.window_handles().await?.into_iter().last() {
            if session.switch_to(&h).await.is_ok() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    anyhow::bail!("the reopened panel did not appear to WebDriver")
}

/// Closes the panel, runs `before`, reopens it: toggle → (list on screen, first contentful
/// paint), ms.
async fn reopen(
    session: &Session,
    pid: u32,
    toggle: &dyn Fn() -> Command,
    before: impl FnOnce(),
) -> Result<(f64, Option<f64>)> {
    crate::desktop::toggle(toggle()).await?;
    until(15, "the panel to close", || {
        !tree_has(pid, "WebKitWebProces")
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    before();
    let t0 = epoch_ms();
    crate::desktop::toggle(toggle()).await?;
    attach_new_panel(session).await?;
    let (mark, fcp) = list_rendered(session).await?;
    Ok((mark - t0, fcp.map(|f| f - t0)))
}

struct Scroll {
    times: Vec<f64>,
    total: f64,
    rows: u64,
}

async fn scroll(session: &Session, steps: usize) -> Result<Scroll> {
    let v: Value = session.execute_async(SCROLL, vec![json!(steps)]).await?;
    anyhow::ensure!(v.get("error").is_none(), "scroll: {}", v["error"]);
    Ok(Scroll {
        times: v["times"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_f64)
            .collect(),
        total: v["total"].as_f64().unwrap_or(f64::NAN),
        rows: v["rows_scrolled"].as_u64().unwrap_or(0),
    })
}

pub async fn run(app: &Path, dir: &Path, burst: usize, sizes: Sizes) -> Result<Vec<Row>> {
    if !webdriver::available() {
        return Ok(vec![Row::new(
            BENCH,
            "panel open / scroll during a burst",
            "skipped: no tauri-driver / WebKitWebDriver (scripts/setup --test)".into(),
        )]);
    }
    let demo = harness::demo().await?;
    let control = demo.control();
    control.emit(sizes.prefill, &EmitSpec::default());
    let url = demo.http_url();
    let token = harness::tokens(&url).await?.access.expose().to_owned();
    let root = dir.join("panel");
    let config = root.join("config");
    let (data, home) = (root.join("data"), root.join("home"));
    for d in [&config, &data, &home] {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[[accounts]]\nname = \"bench\"\nserver = \"{url}\"\nprofile = \"smartsales\"\nusername = \"admin\"\n"
        ),
    )?;
    let env: [(&str, &std::ffi::OsStr); 5] = [
        ("AVISO_CONFIG_DIR", config.as_os_str()),
        ("AVISO_DATA_DIR", data.as_os_str()),
        ("HOME", home.as_os_str()),
        ("AVISO_TOKEN", token.as_ref()),
        ("AVISO_LOG", "warn".as_ref()),
    ];
    let toggle = || {
        let mut c = Command::new(app);
        c.arg("--toggle")
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };

    let driver = Driver::start(&env).await?;
    let result = async {
        let driver_pid = driver.pid().context("tauri-driver exited")?;
        // The session request returns once the panel first opens; the app starts now.
        let (session, ()) =
            tokio::join!(driver.session(app, &[], Duration::from_secs(120)), async {
                // Live (the catch-up done, the socket open), then the first opening.
                let _ = until(60, "the app's WebSocket", || {
                    control.stats().open_sockets > 0
                })
                .await;
                tokio::time::sleep(Duration::from_secs(2)).await;
                let _ = crate::desktop::toggle(toggle()).await;
            });
        let session = session?;
        let pid = app_pid(driver_pid, app).context("the app is not running")?;
        list_rendered(&session).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let quiet_scroll = scroll(&session, sizes.scroll_steps).await?;

        let quiet_open = reopen(&session, pid, &toggle, || {}).await?;
        let burst_open = reopen(&session, pid, &toggle, || {
            control.emit(burst, &EmitSpec::default());
        })
        .await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        control.emit(burst, &EmitSpec::default());
        let burst_scroll = scroll(&session, sizes.scroll_steps).await?;
        anyhow::Ok((quiet_open, burst_open, quiet_scroll, burst_scroll))
    }
    .await;
    driver.stop().await;
    drop(demo);
    let (quiet_open, burst_open, quiet_scroll, burst_scroll) = result?;

    let open_ms = |(list, _): (f64, Option<f64>)| format!("{list:.0}");
    let fcp_ms = |(_, fcp): (f64, Option<f64>)| fcp.map_or("—".into(), |f| format!("{f:.0}"));
    let steps = sizes.scroll_steps;
    let scroll_cells = |s: &Scroll| {
        format!(
            "{:.0} / {:.0} / {:.0} ({} rows)",
            s.total,
            percentile(&s.times, 0.5),
            percentile(&s.times, 1.0),
            s.rows
        )
    };
    Ok(vec![
        Row::new(
            BENCH,
            &format!(
                "panel: `aviso --toggle` → list on screen (ms), burst of {burst} sent with the toggle"
            ),
            open_ms(burst_open),
        )
        .baseline(
            format!("{} (no burst)", open_ms(quiet_open)),
            format!("{:+.0} ms", burst_open.0 - quiet_open.0),
        ),
        Row::new(
            BENCH,
            "panel: `aviso --toggle` → first contentful paint (ms), same",
            fcp_ms(burst_open),
        )
        .baseline(format!("{} (no burst)", fcp_ms(quiet_open)), "—".into()),
        Row::new(
            BENCH,
            &format!(
                "panel: scroll {steps} viewports, total / per viewport p50 / max (ms), burst of {burst} sent as it starts"
            ),
            scroll_cells(&burst_scroll),
        )
        .baseline(
            format!("{} (no burst)", scroll_cells(&quiet_scroll)),
            format!("×{:.2} total", burst_scroll.total / quiet_scroll.total),
        ),
    ])
}
