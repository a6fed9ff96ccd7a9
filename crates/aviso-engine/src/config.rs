//! The accounts file (`config.toml`): which servers to watch, with which profile and
//! parameters. The embedder decides where it lives; the engine only reads and writes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::account_spec::AccountSpec;
use crate::policy::PolicyConfig;
use crate::profile::{Profile, ProfileError};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
    #[error("invalid server URL `{0}`: use http(s)://host[:port]")]
    BadServer(String),
    #[error("no account named `{0}` (see `aviso-cli login`)")]
    UnknownAccount(String),
    #[error(transparent)]
    Profile(#[from] ProfileError),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// A PEM file with extra CA certificates trusted for every account.
    pub extra_ca: Option<PathBuf>,
    pub accounts: Vec<AccountConfig>,
    /// Settings of the desktop app, kept as they are by the CLI.
    pub desktop: toml::Table,
    /// Rules, quiet hours, bursts and silence alarms (see `policy`); shared by the app and
    /// `aviso-cli watch --toasts`.
    #[serde(skip_serializing_if = "PolicyConfig::is_default")]
    pub policy: PolicyConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountConfig {
    pub name: String,
    pub server: String,
    pub profile: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

impl Config {
    /// Reads the file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })
            }
        };
        toml::from_str(&text).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Writes the file atomically (a temporary file renamed over it), so a crash or a full
    /// disk never leaves half a config.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let err = |e: std::io::Error| ConfigError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let text = toml::to_string_pretty(self).map_err(|e| ConfigError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }

    /// Applies `change` to the file as it is now (read again, so what another process wrote
    /// meanwhile, such as an account `aviso-cli login` added while the app runs, is kept),
    /// writes it, and returns it. A file that cannot be read is not overwritten: the error
    /// says why.
    pub fn update(path: &Path, change: impl FnOnce(&mut Config)) -> Result<Config, ConfigError> {
        let mut config = Config::load(path)?;
        change(&mut config);
        config.save(path)?;
        Ok(config)
    }

    pub fn account(&self, name: &str) -> Result<&AccountConfig, ConfigError> {
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| ConfigError::UnknownAccount(name.to_string()))
    }

    /// Removes the account named `name`, if there is one.
    pub fn remove(&mut self, name: &str) {
        self.accounts.retain(|a| a.name != name);
    }

    /// Adds or replaces an account (by name).
    pub fn upsert(&mut self, account: AccountConfig) {
        match self.accounts.iter_mut().find(|a| a.name == account.name) {
            Some(existing) => *existing = account,
            None => self.accounts.push(account),
        }
    }
}

/// Parses and checks a server URL (`http(s)://host[:port][/prefix]`). `ws://` and `wss://`
/// are taken as `http://` and `https://` (seed 004 is configured as `WEBSOCKET_URL`).
pub fn parse_server(server: &str) -> Result<Url, ConfigError> {
    let trimmed = server.trim();
    let normalized = if let Some(rest) = trimmed.strip_prefix("ws://") {
        format!("http://{rest}")
    } else if let Some(rest) = trimmed.strip_prefix("wss://") {
        format!("https://{rest}")
    } else {
        trimmed.to_string()
    };
    let url = Url::parse(&normalized).map_err(|_| ConfigError::BadServer(server.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::BadServer(server.to_string()));
    }
    Ok(url)
}

impl ConfigError {
    /// The code the panel and the CLI's JSON carry: `config` when the file itself cannot be
    /// read or written.
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            ConfigError::Read { .. } | ConfigError::Write { .. } => crate::ErrorCode::Config,
            ConfigError::BadServer(_) => crate::ErrorCode::InvalidUrl,
            ConfigError::UnknownAccount(_) => crate::ErrorCode::UnknownAccount,
            ConfigError::Profile(_) => crate::ErrorCode::UnknownProfile,
        }
    }
}

impl AccountConfig {
    /// The account as the engine runs it; a parameter the profile needs and nobody gives
    /// is an error naming it.
    pub fn spec(&self) -> Result<AccountSpec, ConfigError> {
        let profile = Profile::load(&self.profile)?;
        profile.check_params(&self.params)?;
        Ok(AccountSpec {
            name: self.name.clone(),
            server: parse_server(&self.server)?,
            profile: Arc::new(profile),
            params: self.params.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_desktop_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso/config.toml");
        assert!(Config::load(&path).unwrap().accounts.is_empty());
        let mut c = Config::default();
        c.desktop.insert("language".into(), "es".into());
        c.upsert(AccountConfig {
            name: "tienda".into(),
            server: "http://127.0.0.1:8000".into(),
            profile: "smartsales".into(),
            username: Some("admin".into()),
            params: BTreeMap::new(),
        });
        c.save(&path).unwrap();
        let back = Config::load(&path).unwrap();
        assert_eq!(back.accounts, c.accounts);
        assert_eq!(back.desktop["language"].as_str(), Some("es"));
        assert!(back.account("tienda").unwrap().spec().is_ok());
        assert!(back.account("otra").is_err());
    }

    #[test]
    fn an_update_keeps_what_another_process_wrote_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let account = |name: &str| AccountConfig {
            name: name.into(),
            server: "http://127.0.0.1:8000".into(),
            profile: "smartsales".into(),
            username: None,
            params: BTreeMap::new(),
        };
        // This process read the file with one account...
        let mut mine = Config::default();
        mine.upsert(account("tienda"));
        mine.save(&path).unwrap();
        // ... another one adds an account ...
        Config::update(&path, |c| c.upsert(account("otra"))).unwrap();
        // ... and this one changes a setting: both accounts stay.
        let after = Config::update(&path, |c| {
            c.desktop.insert("language".into(), "en".into());
        })
        .unwrap();
        let names: Vec<&str> = after.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["tienda", "otra"]);
        assert_eq!(Config::load(&path).unwrap().accounts, after.accounts);
        // A file that cannot be read is left as it is.
        std::fs::write(&path, "[[accounts]\nbroken").unwrap();
        assert!(Config::update(&path, |c| c.accounts.clear()).is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[[accounts]\nbroken"
        );
    }

    #[test]
    fn server_urls_are_checked() {
        assert!(parse_server("ftp://x").is_err());
        assert!(parse_server("no url").is_err());
        assert!(parse_server("https://tienda.example").is_ok());
        assert_eq!(
            parse_server("ws://localhost:8765").unwrap().as_str(),
            "http://localhost:8765/"
        );
    }

    #[test]
    fn a_missing_profile_parameter_is_named() {
        let account = AccountConfig {
            name: "w".into(),
            server: "http://127.0.0.1:8000".into(),
            profile: "wearable".into(),
            username: None,
            params: BTreeMap::new(),
        };
        let err = account.spec().unwrap_err().to_string();
        assert!(
            err.contains("consumidor_id") && err.contains("--param"),
            "{err}"
        );
        let mut ok = account.clone();
        ok.params.insert("consumidor_id".into(), "22".into());
        assert!(ok.spec().is_ok());
    }
}
