//! Where the CLI keeps things: `AVISO_CONFIG_DIR`/`AVISO_DATA_DIR`, else the XDG dirs.
//! The engine never looks directories up itself; this module does it for the CLI.

use std::path::PathBuf;

fn xdg(var: &str, fallback: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| ".".into());
            home.join(fallback)
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

pub fn config_file() -> PathBuf {
    config_dir().join("config.toml")
}

/// Logs go to stderr (stdout is the JSON-lines interface); `AVISO_LOG` sets the filter.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AVISO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
