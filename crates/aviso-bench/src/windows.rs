//! The Windows build, measured from this Linux machine: the size of what we ship
//! (`aviso.exe`, `aviso-cli.exe`, the setup) and `aviso-cli.exe`'s start-up under Wine 8,
//! from a new process to its `live` line on the demo server, against Wine starting one of
//! its own builtin programs (`hostname.exe`: the floor any .exe pays under Wine). Wine's
//! figures say nothing exact about Windows; every row says it is Wine's.
//!
//! Needs `scripts/windows build installer` first (it reads `target-win/`); without that the
//! rows say "skipped".

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::harness;
use crate::measure::{median, ms};
use crate::report::Row;

const BENCH: &str = "W Windows (Wine 8)";

/// Where `scripts/windows` leaves the release build and the setup.
pub struct Build {
    pub release: PathBuf,
    pub dist: PathBuf,
    pub runner: PathBuf,
}

impl Build {
    /// The build under `target_dir` (`target-win`), if `scripts/windows build` made one (both
    /// exes: the test step alone leaves `aviso-cli.exe`).
    pub fn find(target_dir: &Path, runner: &Path) -> Option<Build> {
        let release = target_dir.join("x86_64-pc-windows-gnu/release");
        let built = ["aviso.exe", "aviso-cli.exe"]
            .iter()
            .all(|exe| release.join(exe).is_file());
        built.then(|| Build {
            release,
            dist: target_dir.join("dist"),
            runner: runner.to_path_buf(),
        })
    }
}

fn mib(path: &Path) -> Result<f64> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    Ok(len as f64 / (1024.0 * 1024.0))
}

fn setup_exe(dist: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dist)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("-setup.exe"))
}

pub async fn run(repeats: usize, build: Option<&Build>) -> Result<Vec<Row>> {
    let Some(build) = build else {
        return Ok(vec![Row::new(
            BENCH,
            "skipped",
            "no Windows build (run scripts/windows build installer first)".into(),
        )]);
    };
    let mut rows = Vec::new();
    for name in ["aviso.exe", "aviso-cli.exe"] {
        let size = mib(&build.release.join(name))?;
        rows.push(Row::new(
            BENCH,
            &format!("{name} size (MiB, release)"),
            format!("{size:.1}"),
        ));
    }
    if let Some(setup) = setup_exe(&build.dist) {
        let size = mib(&setup)?;
        rows.push(Row::new(
            BENCH,
            "setup .exe size (MiB, NSIS lzma)",
            format!("{size:.1}"),
        ));
    }

    let demo = harness::demo().await?;
    let url = demo.http_url();
    let tokens = harness::tokens(&url).await?;
    let token = tokens.access.expose().to_owned();
    let cli = build.release.join("aviso-cli.exe");
    let (mut cli_ms, mut floor_ms) = (Vec::new(), Vec::new());
    // One untimed start: the first start of a prefix loads Wine's own DLLs from disk.
    let _ = std::process::Command::new(&build.runner)
        .arg("hostname")
        .output();
    for _ in 0..repeats {
        let t = Instant::now();
        let out = std::process::Command::new(&build.runner)
            .arg("hostname")
            .output()
            .context("starting Wine")?;
        anyhow::ensure!(out.status.success(), "Wine's hostname.exe failed");
        floor_ms.push(ms(t.elapsed()));

        let dir = harness::scratch("bench-windows");
        let t = Instant::now();
        let (mut child, _lines) =
            crate::latency::spawn_cli_via(Some(&build.runner), &cli, &url, &token, dir.path())
                .await?;
        cli_ms.push(ms(t.elapsed()));
        let _ = child.kill().await;
    }
    drop(demo);
    let (cli, floor) = (median(&cli_ms), median(&floor_ms));
    rows.push(
        Row::new(
            BENCH,
            &format!("aviso-cli.exe start-up to live under Wine (ms, median of {repeats})"),
            format!("{cli:.0}"),
        )
        .baseline(
            format!("{floor:.0} (Wine starting hostname.exe)"),
            format!("{:+.0} ms", cli - floor),
        ),
    );
    Ok(rows)
}
