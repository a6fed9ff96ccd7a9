//! The notification daemon of the test session (`scripts/test` starts dunst): what it
//! received, and its context menu.

use std::path::PathBuf;

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
