//! Where the app keeps things. The same rules as `aviso-cli` (`AVISO_CONFIG_DIR`,
//! `AVISO_DATA_DIR`, else the XDG dirs), so both share the accounts and the store.

use std::path::PathBuf;

fn xdg(var: &str, fallback: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| ".".into())
                .join(fallback)
        })
}

pub fn config_dir() -> PathBuf {
    std::env::var_os("AVISO_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| xdg("XDG_CONFIG_HOME", ".config").join("aviso"))
}

pub fn data_dir() -> PathBuf {
    std::env::var_os("AVISO_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| xdg("XDG_DATA_HOME", ".local/share").join("aviso"))
}
