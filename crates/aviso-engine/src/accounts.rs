//! Account names and renaming: one implementation for the app's settings and `aviso-cli
//! rename`. A rename keeps the store's history: the account's notifications, marks,
//! cursors, queued mark-reads and snoozes, and its tokens in the keyring, move to the new
//! name; `config.toml` is changed last.

use std::path::Path;
use std::sync::Arc;

use crate::config::{AccountConfig, Config, ConfigError};
use crate::credentials::{CredentialError, Credentials};
use crate::store::{Store, StoreError};

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
    pub fn code(&self) -> &'static str {
        match self {
            RenameError::InvalidName(..) => "invalid_name",
            RenameError::UnknownAccount(_) => "unknown_account",
            RenameError::NameTaken(_) => "name_taken",
            RenameError::Config(_) => "config",
            RenameError::Store(_) => "storage",
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
    fn names_are_trimmed_and_checked() {
        assert_eq!(check_name("  Tienda Centro ").unwrap(), "Tienda Centro");
        for bad in ["", "   ", "a\nb", &"x".repeat(65)] {
            let e = check_name(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_name", "{bad:?}");
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
        assert_eq!(e.code(), "name_taken");
        let e = rename(&path, &store, &creds, "sur", "oeste").unwrap_err();
        assert_eq!(e.code(), "unknown_account");
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
