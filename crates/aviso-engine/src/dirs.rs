//! Where embedders keep Aviso's files, by each platform's conventions. The engine's own
//! code never calls this (it is handed paths); the CLI and the desktop shell both do, so
//! they share one set of accounts and one store.
//!
//! - Linux: `$XDG_CONFIG_HOME/aviso` (else `~/.config/aviso`) and `$XDG_DATA_HOME/aviso`
//!   (else `~/.local/share/aviso`).
//! - Windows: settings roam with the user (`%APPDATA%\Aviso`), the store and logs stay on
//!   the machine (`%LOCALAPPDATA%\Aviso`), as Microsoft's guidance for desktop apps says.
//! - macOS: both under `~/Library/Application Support/Aviso` (Apple's File System
//!   Programming Guide: app-created support files; `Preferences` is for plists only).
//!
//! `AVISO_CONFIG_DIR` and `AVISO_DATA_DIR` override either on every platform (tests, and
//! users who keep several setups apart).

use std::ffi::OsString;
use std::path::PathBuf;

/// The folder name used where a platform's convention is a product name.
const PRODUCT: &str = "Aviso";

/// Which platform's conventions to follow. Passed in so every platform's rules are
/// unit-tested on any machine; [`Platform::CURRENT`] is the one this build runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Linux,
    Windows,
    MacOs,
}

impl Platform {
    #[cfg(target_os = "windows")]
    pub const CURRENT: Platform = Platform::Windows;
    #[cfg(target_os = "macos")]
    pub const CURRENT: Platform = Platform::MacOs;
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    pub const CURRENT: Platform = Platform::Linux;
}

/// The two folders Aviso uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// `config.toml` (accounts, settings, rules).
    pub config: PathBuf,
    /// The store (`aviso.db`) and files the app writes for the OS (the toast icon).
    pub data: PathBuf,
}

impl Dirs {
    /// The folders for this platform and this process's environment.
    pub fn from_env() -> Dirs {
        resolve(Platform::CURRENT, |name| std::env::var_os(name))
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }
}

/// The folders for `platform`, reading variables through `env`.
pub fn resolve(platform: Platform, env: impl Fn(&str) -> Option<OsString>) -> Dirs {
    let var = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let home = || var("HOME").unwrap_or_else(|| ".".into());
    let (config, data) = match platform {
        Platform::Linux => (
            var("XDG_CONFIG_HOME")
                .unwrap_or_else(|| home().join(".config"))
                .join("aviso"),
            var("XDG_DATA_HOME")
                .unwrap_or_else(|| home().join(".local/share"))
                .join("aviso"),
        ),
        Platform::Windows => {
            // Both are always set in a user's session; the profile folder is the
            // documented parent of each when a service or a test strips the environment.
            let profile = || var("USERPROFILE").unwrap_or_else(|| ".".into());
            (
                var("APPDATA")
                    .unwrap_or_else(|| profile().join("AppData").join("Roaming"))
                    .join(PRODUCT),
                var("LOCALAPPDATA")
                    .unwrap_or_else(|| profile().join("AppData").join("Local"))
                    .join(PRODUCT),
            )
        }
        Platform::MacOs => {
            let support = home().join("Library/Application Support").join(PRODUCT);
            (support.clone(), support)
        }
    };
    Dirs {
        config: var("AVISO_CONFIG_DIR").unwrap_or(config),
        data: var("AVISO_DATA_DIR").unwrap_or(data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn linux_follows_xdg_and_falls_back_to_home() {
        let d = resolve(Platform::Linux, env(&[("HOME", "/home/ana")]));
        assert_eq!(d.config, PathBuf::from("/home/ana/.config/aviso"));
        assert_eq!(d.data, PathBuf::from("/home/ana/.local/share/aviso"));
        let d = resolve(
            Platform::Linux,
            env(&[
                ("HOME", "/home/ana"),
                ("XDG_CONFIG_HOME", "/c"),
                ("XDG_DATA_HOME", ""),
            ]),
        );
        assert_eq!(d.config, PathBuf::from("/c/aviso"));
        // An empty variable counts as unset (the XDG spec says so).
        assert_eq!(d.data, PathBuf::from("/home/ana/.local/share/aviso"));
    }

    #[test]
    fn windows_roams_settings_and_keeps_the_store_local() {
        let d = resolve(
            Platform::Windows,
            env(&[
                ("APPDATA", r"C:\Users\ana\AppData\Roaming"),
                ("LOCALAPPDATA", r"C:\Users\ana\AppData\Local"),
                ("HOME", "/ignored"),
            ]),
        );
        assert_eq!(
            d.config,
            PathBuf::from(r"C:\Users\ana\AppData\Roaming").join("Aviso")
        );
        assert_eq!(
            d.data,
            PathBuf::from(r"C:\Users\ana\AppData\Local").join("Aviso")
        );
        let d = resolve(Platform::Windows, env(&[("USERPROFILE", "P")]));
        assert_eq!(d.data, PathBuf::from("P/AppData/Local/Aviso"));
    }

    #[test]
    fn macos_uses_application_support() {
        let d = resolve(Platform::MacOs, env(&[("HOME", "/Users/ana")]));
        assert_eq!(
            d.config,
            PathBuf::from("/Users/ana/Library/Application Support/Aviso")
        );
        assert_eq!(d.data, d.config);
    }

    #[test]
    fn overrides_win_everywhere() {
        for p in [Platform::Linux, Platform::Windows, Platform::MacOs] {
            let d = resolve(
                p,
                env(&[("AVISO_CONFIG_DIR", "/cfg"), ("AVISO_DATA_DIR", "/data")]),
            );
            assert_eq!(
                d,
                Dirs {
                    config: "/cfg".into(),
                    data: "/data".into()
                }
            );
            assert_eq!(d.config_file(), PathBuf::from("/cfg/config.toml"));
        }
    }
}
