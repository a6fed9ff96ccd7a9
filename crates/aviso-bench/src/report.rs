//! The result table: one row per measurement, printed to the terminal and written into
//! `BENCHMARKS.md` with the machine and the date.

use std::fmt::Write as _;
use std::process::Command;

/// One measurement. `aviso` and `baseline` are already formatted with their unit; `delta`
/// is the comparison of the two (a ratio or a difference) when there is a baseline.
#[derive(Debug, Clone)]
pub struct Row {
    pub bench: String,
    pub metric: String,
    pub aviso: String,
    pub baseline: String,
    pub delta: String,
    pub target: String,
    /// `None`: no target for this row.
    pub met: Option<bool>,
}

impl Row {
    pub fn new(bench: &str, metric: &str, aviso: String) -> Row {
        Row {
            bench: bench.into(),
            metric: metric.into(),
            aviso,
            baseline: "—".into(),
            delta: "—".into(),
            target: "—".into(),
            met: None,
        }
    }

    pub fn baseline(mut self, baseline: String, delta: String) -> Row {
        self.baseline = baseline;
        self.delta = delta;
        self
    }

    pub fn target(mut self, target: &str, met: bool) -> Row {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

fn met_text(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "**NO**",
        None => "—",
    }
}

const HEADER: [&str; 7] = [
    "benchmark",
    "metric",
    "aviso",
    "baseline",
    "delta / ratio",
    "target",
    "met?",
];

fn cells(r: &Row) -> [String; 7] {
    [
        r.bench.clone(),
        r.metric.clone(),
        r.aviso.clone(),
        r.baseline.clone(),
        r.delta.clone(),
        r.target.clone(),
        met_text(r.met).into(),
    ]
}

/// A Markdown table (also what the terminal shows: it reads well as plain text).
pub fn table(rows: &[Row]) -> String {
    let mut widths = HEADER.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(cells(r)) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: [String; 7]| {
        let mut s = String::from("|");
        for (c, w) in cols.iter().zip(widths) {
            let pad = w - c.chars().count();
            let _ = write!(s, " {c}{} |", " ".repeat(pad));
        }
        s.push('\n');
        s
    };
    let mut out = line(HEADER.map(String::from));
    out.push_str(&line(widths.map(|w| "-".repeat(w))));
    for r in rows {
        out.push_str(&line(cells(r)));
    }
    out
}

fn first_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

fn proc_field(file: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

/// The machine, as Markdown list items.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = proc_field("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".into());
    let mem = proc_field("/proc/meminfo", "MemTotal")
        .and_then(|v| v.trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or("unknown".into(), |kb| {
            format!("{:.1} GiB", kb / 1024.0 / 1024.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown".into(), |s| s.trim().to_owned());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME=").map(str::to_owned))
        })
        .unwrap_or_else(|| "unknown".into())
        .trim_matches('"')
        .to_owned();
    format!(
        "- CPUs: {cpus} × {model}\n- memory: {mem}\n- OS: {os}, kernel {kernel}\n- {}\n",
        first_line("rustc", &["--version"])
    )
}

pub fn now_utc() -> String {
    first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
}
