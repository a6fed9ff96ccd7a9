//! Measuring tools: percentiles, and what Linux tells about a process tree in `/proc`
//! (PSS/RSS from `smaps_rollup`, CPU time, context switches, peak RSS).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Wall-clock nanoseconds since the epoch: the one clock every process of the bench shares,
/// so a send timestamp written by the server can be compared with a receive time in a child.
pub fn epoch_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// p50 / p99 / max of a sample (nearest rank).
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub n: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

pub fn summarize(mut xs: Vec<f64>) -> Summary {
    if xs.is_empty() {
        return Summary::default();
    }
    xs.sort_by(f64::total_cmp);
    let rank = |p: f64| xs[((p * xs.len() as f64).ceil() as usize).clamp(1, xs.len()) - 1];
    Summary {
        n: xs.len(),
        p50: rank(0.50),
        p99: rank(0.99),
        max: xs[xs.len() - 1],
    }
}

pub fn percentile(xs: &[f64], p: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
}

pub fn median(xs: &[f64]) -> f64 {
    percentile(xs, 0.5)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// This process's descendants, one `pid (seconds running) command line` each, for saying
/// where a benchmark hung.
pub fn still_running() -> String {
    let me = std::process::id();
    let ticks = clock_ticks();
    let uptime = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|u| u.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    let list: Vec<String> = process_tree(me)
        .into_iter()
        .filter(|&pid| pid != me)
        .map(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .trim()
                        .to_owned()
                })
                .unwrap_or_default();
            // Field 22 of /proc/PID/stat (index 19 after the command): start time, in ticks.
            let age = stat_fields(pid)
                .and_then(|f| f.get(19).and_then(|s| s.parse::<f64>().ok()))
                .map_or(String::from("?"), |start| {
                    format!("{:.0}", uptime - start / ticks)
                });
            format!(
                "{pid} ({age} s) {}",
                cmd.chars().take(160).collect::<String>()
            )
        })
        .collect();
    if list.is_empty() {
        "none (it was waiting on a socket or a timer)".into()
    } else {
        list.join("; ")
    }
}

/// `pid` and all its descendants (from the `ppid` field of every `/proc/*/stat`).
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1).and_then(|s| s.parse().ok()))
            {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree
}

/// The fields of `/proc/PID/stat` after the command name: index 0 is the state, 1 the
/// ppid, 11 utime and 12 stime (fields 3, 4, 14 and 15 of proc(5)).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn kb_field(text: &str, key: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// PSS and RSS of a process tree, in KiB.
pub fn memory_kib(root: u32) -> (u64, u64) {
    let mut pss = 0;
    let mut rss = 0;
    for pid in process_tree(root) {
        if let Ok(t) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
            pss += kb_field(&t, "Pss:");
            rss += kb_field(&t, "Rss:");
        }
    }
    (pss, rss)
}

/// Clock ticks per second for `/proc/PID/stat` times (`getconf CLK_TCK`; 100 on Linux).
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// What a process tree has done so far, thread by thread: CPU time and context switches. Two
/// of them make a window ([`Activity::until`]).
pub struct Activity {
    /// ((pid, tid), seconds on a CPU, voluntary + involuntary context switches)
    threads: Vec<((u32, u32), f64, u64)>,
}

/// A thread's CPU time in seconds: `schedstat` (nanoseconds) where the kernel has it, else
/// utime + stime from its `stat` (clock ticks, 10 ms).
fn thread_cpu(task: &std::path::Path, ticks: f64) -> f64 {
    if let Some(ns) = std::fs::read_to_string(task.join("schedstat"))
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<u64>().ok())
    {
        return ns as f64 / 1e9;
    }
    let Ok(text) = std::fs::read_to_string(task.join("stat")) else {
        return 0.0;
    };
    let Some(rest) = text.rfind(')').map(|i| &text[i + 1..]) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / ticks
}

/// The CPU time and context switches of every thread of the tree now.
pub fn activity(root: u32, ticks: f64) -> Activity {
    let mut threads = Vec::new();
    for pid in process_tree(root) {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
                continue;
            };
            let switches = kb_field(&status, "voluntary_ctxt_switches:")
                + kb_field(&status, "nonvoluntary_ctxt_switches:");
            threads.push(((pid, tid), thread_cpu(&task.path(), ticks), switches));
        }
    }
    Activity { threads }
}

impl Activity {
    /// CPU (% of one core) and wake-ups (context switches per second) between `self` and
    /// `later`, `secs` apart, summed thread by thread: a thread that started in between counts
    /// whole (all it did falls inside the window); one that ended in between is missing from
    /// `later` and not counted, so the figures can only undercount.
    pub fn until(&self, later: &Activity, secs: f64) -> (f64, f64) {
        let mut cpu = 0.0;
        let mut switches = 0;
        for (id, c, n) in &later.threads {
            let (c0, n0) = self
                .threads
                .iter()
                .find(|(i, _, _)| i == id)
                .map_or((0.0, 0), |x| (x.1, x.2));
            cpu += (c - c0).max(0.0);
            switches += n.saturating_sub(n0);
        }
        (cpu / secs * 100.0, switches as f64 / secs)
    }
}

/// This process's peak RSS so far (`VmHWM`), KiB.
pub fn self_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status").map_or(0, |t| kb_field(&t, "VmHWM:"))
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Whether a process of the tree has a command name starting with `prefix` (e.g. the
/// `WebKitWebProcess` a shown panel carries).
pub fn tree_has(root: u32, prefix: &str) -> bool {
    process_tree(root).into_iter().any(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.starts_with(prefix))
    })
}

/// PSS of one process (not its tree) split as `smaps_rollup` does: anonymous (heap, stacks,
/// pages written after a copy-on-write, e.g. relocated library data), file-backed (code and
/// read-only data of the binary and its libraries, reclaimable) and shared memory. KiB.
pub fn pss_split_kib(pid: u32) -> (u64, u64, u64) {
    let t = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    (
        kb_field(&t, "Pss_Anon:"),
        kb_field(&t, "Pss_File:"),
        kb_field(&t, "Pss_Shmem:"),
    )
}

/// The `n` mappings of one process with the most PSS, by file name (`[heap]`, `[anon]` for
/// unnamed ones), summed over their segments. KiB.
pub fn top_mappings_kib(pid: u32, n: usize) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut sums: Vec<(String, u64)> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let first = parts.next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            // "start-end perms offset dev inode [path]"
            let path = parts.nth(4).unwrap_or("[anon]");
            current = path.rsplit('/').next().unwrap_or(path).to_owned();
        } else if first == "Pss:" {
            let kib: u64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            match sums.iter_mut().find(|(name, _)| *name == current) {
                Some(entry) => entry.1 += kib,
                None => sums.push((current.clone(), kib)),
            }
        }
    }
    sums.sort_by_key(|s| std::cmp::Reverse(s.1));
    sums.truncate(n);
    sums
}

/// The processes of a tree with their command names and PSS (KiB), root first.
pub fn pss_by_process(root: u32) -> Vec<(String, u64)> {
    process_tree(root)
        .into_iter()
        .filter_map(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
            Some((comm.trim().to_owned(), kb_field(&rollup, "Pss:")))
        })
        .collect()
}
