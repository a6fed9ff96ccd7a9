//! Accounts as both front ends add, name, rename and remove them: one implementation for
//! the app (its login form and settings) and `aviso-cli` (`login`, `logout`, `rename`,
//! `watch --demo`).
//!
//! - A login's account is checked before any request ([`new_account`]: the server URL, the
//!   profile and the parameters it needs, the name, which defaults to the server's host
//!   and port, [`default_name`]); once the server gave tokens, it goes into `config.toml`
//!   (`Config::update`: the file as it is then, what another process wrote meanwhile kept).
//! - [`logout`]: the tokens leave the keyring, the history the store ([`forget`]), the
//!   entry the file.
//! - A rename keeps the store's history: the account's notifications, marks, cursors,
//!   queued mark-reads and snoozes, and its tokens in the keyring, move to the new name;
//!   `config.toml` is changed last.
//! - [`demo`]: the account `--demo` runs, logged in to the embedded demo backend.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::account_spec::AccountSpec;
use crate::auth::AuthError;
use crate::config::{parse_server, AccountConfig, Config, ConfigError};
use crate::credentials::{CredentialError, Credentials, Tokens};
use crate::secret::Secret;
use crate::store::{Store, StoreError};

/// The account `--demo` runs (the app's and `aviso-cli watch --demo`).
pub const DEMO_ACCOUNT: &str = "demo";
/// The embedded demo backend's administrator (aviso-demo's `auth::USERS`).
const DEMO_USER: &str = "admin";
const DEMO_PASSWORD: &str = "admin";

/// Why an account could not be added or removed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Name(#[from] RenameError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the local database: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
}

impl AccountError {
    /// The code the panel and the CLI's JSON carry.
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            AccountError::Config(e) => e.code(),
            AccountError::Name(e) => e.code(),
            AccountError::Auth(e) => e.code(),
            AccountError::Store(_) => crate::ErrorCode::Storage,
            AccountError::Credentials(e) => e.code(),
        }
    }
}

/// The name an account gets when a login gives none: the server's host, and its port when
/// the URL has one (`127.0.0.1:8000`, `tienda.example.com`).
pub fn default_name(server: &url::Url) -> String {
    let host = server.host_str().unwrap_or("server");
    match server.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// A login's account, checked before anything is sent: the server URL, the profile and
/// the parameters it needs, and the name (trimmed; the server's host when empty or not
/// given). Returns the entry for `config.toml` and the account as the engine runs it.
pub fn new_account(
    server: &str,
    profile: &str,
    username: &str,
    name: Option<&str>,
    params: BTreeMap<String, String>,
) -> Result<(AccountConfig, AccountSpec), AccountError> {
    let server_url = parse_server(server)?;
    let name = match name.filter(|n| !n.trim().is_empty()) {
        Some(n) => check_name(n)?,
        None => default_name(&server_url),
    };
    let account = AccountConfig {
        name,
        server: server.trim().to_string(),
        profile: profile.to_string(),
        username: Some(username.to_string()),
        params,
    };
    let spec = account.spec()?;
    Ok((account, spec))
}

/// Logs an account out (one that is not running): [`forget`], then its entry leaves
/// `config.toml` (read again first, so what another process wrote meanwhile is kept).
/// Returns the file as written.
pub async fn logout(
    config_path: &Path,
    store: &Store,
    creds: &Arc<Credentials>,
    name: &str,
) -> Result<Config, AccountError> {
    forget(store, creds, name).await?;
    Ok(Config::update(config_path, |c| c.remove(name))?)
}

/// What a logout takes away besides the account's entry: its tokens leave the keyring, its
/// notifications and marks the store. (The app then removes the entry under its own lock
/// on the config, as it makes every config write.)
pub async fn forget(
    store: &Store,
    creds: &Arc<Credentials>,
    name: &str,
) -> Result<(), AccountError> {
    let (creds, owned) = (creds.clone(), name.to_string());
    tokio::task::spawn_blocking(move || creds.delete(&owned))
        .await
        .map_err(|e| CredentialError::Other(e.to_string()))??;
    store.forget_account(name)?;
    Ok(())
}

/// The demo account on the embedded demo backend at `server` (its `http_url`), logged in as
/// the demo's administrator: its entry, as the engine runs it, and its tokens (kept in
/// memory by the caller; nothing of the demo reaches the keyring). `profile`: `smartsales`
/// or `smartsales-sse`.
pub async fn demo(
    http: &reqwest::Client,
    server: &str,
    profile: &str,
) -> Result<(AccountConfig, AccountSpec, Tokens), AccountError> {
    let (account, spec) = new_account(
        server,
        profile,
        DEMO_USER,
        Some(DEMO_ACCOUNT),
        BTreeMap::new(),
    )?;
    let tokens = crate::auth::obtain(
        http,
        &spec.server,
        &spec.profile.auth,
        DEMO_USER,
        &Secret::new(DEMO_PASSWORD),
    )
    .await?;
    Ok((account, spec, tokens))
}

/// The longest account name (it is shown on a tray menu line).
pub const MAX_NAME_CHARS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum RenameError {
    #[error("`{0}` cannot be an account name: {1}")]
    InvalidName(String, &'static str),
    #[error("there is no account named `{0}`")]
    UnknownAccount(String),
    #[error("an account named `{0}` exists already")]
    NameTaken(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the local database: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
}

impl RenameError {
    /// The code the panel and the CLI's JSON carry.
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            RenameError::InvalidName(..) => crate::ErrorCode::InvalidName,
            RenameError::UnknownAccount(_) => crate::ErrorCode::UnknownAccount,
            RenameError::NameTaken(_) => crate::ErrorCode::NameTaken,
            RenameError::Config(e) => e.code(),
            RenameError::Store(_) => crate::ErrorCode::Storage,
            RenameError::Credentials(e) => e.code(),
        }
    }
}

/// The name as it will be kept (trimmed), or why it cannot be one.
pub fn check_name(name: &str) -> Result<String, RenameError> {
    let trimmed = name.trim();
    let invalid = |why| Err(RenameError::InvalidName(name.to_string(), why));
    if trimmed.is_empty() {
        return invalid("it is empty");
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return invalid("it is longer than 64 characters");
    }
    if trimmed.chars().any(char::is_control) {
        return invalid("it has control characters");
    }
    Ok(trimmed.to_string())
}

/// Renames an account that is not running: checks both names against `config.toml`, moves
/// its tokens, its rows in the store, then its entry in the file. A step that fails undoes
/// the ones before it. Returns the account as the file now has it.
pub fn rename(
    config_path: &Path,
    store: &Store,
    creds: &Arc<Credentials>,
    from: &str,
    to: &str,
) -> Result<AccountConfig, RenameError> {
    let to = check_name(to)?;
    let config = Config::load(config_path)?;
    let mut account = config
        .accounts
        .iter()
        .find(|a| a.name == from)
        .cloned()
        .ok_or_else(|| RenameError::UnknownAccount(from.to_string()))?;
    if to == from {
        return Ok(account);
    }
    if config.accounts.iter().any(|a| a.name == to) {
        return Err(RenameError::NameTaken(to));
    }
    let tokens = creds.load(from)?;
    if let Some(tokens) = &tokens {
        creds.save(&to, tokens)?;
    }
    let undo_tokens = || {
        if tokens.is_some() {
            let _ = creds.delete(&to);
        }
    };
    if let Err(e) = store.rename_account(from, &to) {
        undo_tokens();
        return Err(e.into());
    }
    let mut taken = false;
    let written = Config::update(config_path, |c| {
        if c.accounts.iter().any(|a| a.name == to) {
            taken = true;
            return;
        }
        if let Some(a) = c.accounts.iter_mut().find(|a| a.name == from) {
            a.name = to.clone();
        }
    });
    if written.is_err() || taken {
        let _ = store.rename_account(&to, from);
        undo_tokens();
        written?;
        return Err(RenameError::NameTaken(to));
    }
    if tokens.is_some() {
        if let Err(e) = creds.delete(from) {
            tracing::warn!("the tokens under the old name `{from}` stay in the keyring: {e}");
        }
    }
    account.name = to;
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Notification;
    use crate::secret::Secret;
    use crate::store::ListQuery;

    fn note(account: &str, id: &str) -> Notification {
        Notification {
            account: account.into(),
            id: id.into(),
            kind: "nueva_compra".into(),
            title: format!("Compra {id}"),
            body: "Pérez".into(),
            url: None,
            created_at: format!("2026-12-0{id}T10:00:00Z"),
            read: false,
            data: serde_json::json!({}),
        }
    }

    fn account(name: &str) -> AccountConfig {
        AccountConfig {
            name: name.into(),
            server: "http://127.0.0.1:9".into(),
            profile: "demo".into(),
            username: Some("admin".into()),
            params: Default::default(),
        }
    }

    #[test]
    fn a_new_account_is_checked_and_named_after_its_server() {
        let (a, spec) = new_account(
            " http://127.0.0.1:8000 ",
            "smartsales",
            "admin",
            None,
            BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(a.name, "127.0.0.1:8000");
        assert_eq!(a.server, "http://127.0.0.1:8000");
        assert_eq!(spec.name, a.name);
        let (a, _) = new_account(
            "https://tienda.example.com",
            "smartsales",
            "admin",
            Some("   "),
            BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(a.name, "tienda.example.com");
        let (a, _) = new_account(
            "https://tienda.example.com",
            "smartsales",
            "admin",
            Some(" Centro "),
            BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(a.name, "Centro");
        let code = |server: &str, profile: &str, name: Option<&str>| {
            new_account(server, profile, "admin", name, BTreeMap::new())
                .unwrap_err()
                .code()
                .as_str()
        };
        assert_eq!(code("ftp://x", "smartsales", None), "invalid_url");
        assert_eq!(code("http://x", "no-such-profile", None), "unknown_profile");
        assert_eq!(code("http://x", "smartsales", Some("a\nb")), "invalid_name");
    }

    #[tokio::test]
    async fn a_logout_removes_the_tokens_the_history_and_the_entry_only_of_that_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mut config = Config::default();
        config.upsert(account("centro"));
        config.upsert(account("norte"));
        config.save(&path).unwrap();
        let store = Store::open(&dir.path().join("aviso.db")).unwrap();
        store
            .ingest(&[note("centro", "1"), note("norte", "2")])
            .unwrap();
        // In memory: the tokens leaving the keyring is proven through gnome-keyring by the
        // CLI's `login_keeps_tokens_in_the_keyring_only_and_logout_removes_them`.
        let creds = Arc::new(Credentials::in_memory(Tokens {
            access: Secret::new("tok"),
            refresh: None,
        }));

        let left = logout(&path, &store, &creds, "centro").await.unwrap();
        let names: Vec<_> = left.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["norte"]);
        assert_eq!(Config::load(&path).unwrap().accounts, left.accounts);
        assert_eq!(store.total_count(Some("centro")).unwrap(), 0);
        assert_eq!(store.total_count(Some("norte")).unwrap(), 1);
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(check_name("  Tienda Centro ").unwrap(), "Tienda Centro");
        for bad in ["", "   ", "a\nb", &"x".repeat(65)] {
            let e = check_name(bad).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidName, "{bad:?}");
        }
    }

    #[test]
    fn a_rename_keeps_the_history_the_marks_and_the_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mut config = Config::default();
        config.upsert(account("centro"));
        config.upsert(account("norte"));
        config.save(&path).unwrap();
        let store = Store::open(&dir.path().join("aviso.db")).unwrap();
        store
            .ingest(&[note("centro", "1"), note("centro", "2"), note("norte", "3")])
            .unwrap();
        store.mark_read("centro", &["1".into()], true).unwrap();
        // Tokens in memory (the keyring's move is proven by the desktop test, which logs in
        // through gnome-keyring and stays connected after a rename).
        let creds = Arc::new(Credentials::in_memory(crate::credentials::Tokens {
            access: Secret::new("tok-centro"),
            refresh: None,
        }));

        // Taken and unknown names are refused and change nothing.
        let e = rename(&path, &store, &creds, "centro", "norte").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::NameTaken);
        let e = rename(&path, &store, &creds, "sur", "oeste").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::UnknownAccount);
        assert_eq!(store.total_count(Some("centro")).unwrap(), 2);

        let renamed = rename(&path, &store, &creds, "centro", " Tienda Centro ").unwrap();
        assert_eq!(renamed.name, "Tienda Centro");
        assert_eq!(renamed.server, "http://127.0.0.1:9");
        let names: Vec<String> = Config::load(&path)
            .unwrap()
            .accounts
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["Tienda Centro", "norte"]);
        let listed = store
            .list(&ListQuery {
                account: Some("Tienda Centro".into()),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        let ids: Vec<(&str, bool)> = listed.iter().map(|n| (n.id.as_str(), n.read)).collect();
        assert_eq!(
            ids,
            [("2", false), ("1", true)],
            "history and read state kept"
        );
        assert_eq!(store.total_count(Some("centro")).unwrap(), 0);
        assert_eq!(store.unread_count(Some("Tienda Centro")).unwrap(), 1);
        assert_eq!(
            store.outbox("Tienda Centro").unwrap().len(),
            1,
            "queued mark"
        );
        assert!(store.outbox("centro").unwrap().is_empty());
        // Notifications of the new name arriving later are the same account's.
        store.ingest(&[note("Tienda Centro", "4")]).unwrap();
        assert_eq!(store.total_count(Some("Tienda Centro")).unwrap(), 3);
    }
}
