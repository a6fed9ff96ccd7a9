//! Build script: makes sure the panel UI is built (Tauri embeds `ui/dist`), then declares
//! the app's commands so capabilities can grant exactly those (tauri-build generates an
//! `allow-<command>` permission per command).

use std::path::Path;
use std::process::Command;

const COMMANDS: &[&str] = &[
    "get_accounts",
    "list_notifications",
    "search_notifications",
    "mark_read",
    "mark_all_read",
    "open_notification",
    "list_profiles",
    "login",
    "logout",
    "get_settings",
    "set_settings",
    "get_streams",
    "get_locale",
    "take_pending_focus",
    "get_policy",
    "set_policy",
    "snooze",
    "get_health",
    "reconnect",
    "test_toast",
    "get_diagnostics",
    "get_facets",
    "rename_account",
    "get_storage",
    "dismiss_storage",
];

fn npm(args: &[&str]) {
    let status = Command::new("npm")
        .args(["--prefix", "ui"])
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("the panel UI must be built with npm, which failed to start ({e}); run scripts/setup"));
    assert!(
        status.success(),
        "`npm --prefix ui {}` failed",
        args.join(" ")
    );
}

fn main() {
    // The UI is rebuilt when its sources change; `npm ci` only when it was never installed.
    for path in [
        "ui/src",
        "ui/index.html",
        "ui/package.json",
        "ui/vite.config.ts",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
    if !Path::new("ui/node_modules").exists() {
        npm(&["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    npm(&["run", "--silent", "build"]);
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build");
}
