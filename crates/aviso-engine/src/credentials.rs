//! Credentials: access and refresh tokens in the OS keyring, never anywhere else.
//!
//! Linux uses the Secret Service (gnome-keyring, KWallet…) through `keyring-core` and the
//! zbus store. `AVISO_TOKEN` / `AVISO_REFRESH_TOKEN` override the keyring for headless use;
//! such tokens (and their refreshed successors) live in memory only. There is no plaintext
//! fallback: without a Secret Service the error says what to install or unlock.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The keyring "service" under which every account's tokens are stored.
const SERVICE: &str = "aviso";

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: Secret,
    pub refresh: Option<Secret>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error(
        "no D-Bus session bus, so no Secret Service: run Aviso inside a desktop session (or \
         `dbus-run-session`), or set AVISO_TOKEN for headless use"
    )]
    NoSessionBus,
    #[error(
        "no Secret Service on the session bus: install and start gnome-keyring (or KeePassXC \
         with Secret Service integration), or set AVISO_TOKEN for headless use"
    )]
    NoSecretService,
    #[error("the keyring is locked: unlock it (e.g. log in to the desktop) and try again")]
    Locked,
    #[error("keyring error: {0}")]
    Other(String),
}

impl CredentialError {
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            CredentialError::NoSessionBus | CredentialError::NoSecretService => {
                crate::ErrorCode::NoSecretService
            }
            CredentialError::Locked => crate::ErrorCode::KeyringLocked,
            CredentialError::Other(_) => crate::ErrorCode::Keyring,
        }
    }
}

/// Maps keyring errors onto what a user can act on. The platform error texts are the only
/// way to tell "no bus" from "no service" (both arrive as `PlatformFailure`).
fn classify(err: keyring_core::Error) -> CredentialError {
    use keyring_core::Error as E;
    let text = err.to_string();
    match err {
        E::NoStorageAccess(_) => CredentialError::Locked,
        E::NoDefaultStore => CredentialError::NoSessionBus,
        _ if text.contains("org.freedesktop.secrets") || text.contains("ServiceUnknown") => {
            CredentialError::NoSecretService
        }
        _ if text.contains("DBUS_SESSION_BUS_ADDRESS")
            || text.contains("NotFound")
            || text.contains("No such file") =>
        {
            CredentialError::NoSessionBus
        }
        _ => CredentialError::Other(text),
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    access: String,
    refresh: Option<String>,
}

/// Where tokens come from: the environment override or the OS keyring.
#[derive(Debug, Clone)]
pub struct Credentials {
    env: Option<Tokens>,
}

impl Credentials {
    /// Uses `AVISO_TOKEN` / `AVISO_REFRESH_TOKEN` when set, the keyring otherwise.
    pub fn from_env() -> Credentials {
        let var = |k: &str| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.is_empty())
                .map(Secret::new)
        };
        let env = var("AVISO_TOKEN").map(|access| Tokens {
            access,
            refresh: var("AVISO_REFRESH_TOKEN"),
        });
        Credentials { env }
    }

    /// Fixed tokens held in memory only, like the environment override (for embedders
    /// that get tokens elsewhere, and tests).
    pub fn in_memory(tokens: Tokens) -> Credentials {
        Credentials { env: Some(tokens) }
    }

    /// Keyring only (ignores the environment).
    pub fn keyring() -> Credentials {
        Credentials { env: None }
    }

    pub fn uses_env(&self) -> bool {
        self.env.is_some()
    }

    /// Blocking (D-Bus round trips): call from `spawn_blocking` in async code.
    pub fn load(&self, account: &str) -> Result<Option<Tokens>, CredentialError> {
        if let Some(t) = &self.env {
            return Ok(Some(t.clone()));
        }
        match entry(account)?.get_password() {
            Ok(json) => {
                let s: Stored = serde_json::from_str(&json)
                    .map_err(|_| CredentialError::Other("stored tokens are unreadable".into()))?;
                Ok(Some(Tokens {
                    access: Secret::new(s.access),
                    refresh: s.refresh.map(Secret::new),
                }))
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    /// Stores tokens in the keyring; with the environment override, does nothing (those
    /// tokens are never written anywhere).
    pub fn save(&self, account: &str, tokens: &Tokens) -> Result<(), CredentialError> {
        if self.env.is_some() {
            return Ok(());
        }
        let stored = Stored {
            access: tokens.access.expose().to_string(),
            refresh: tokens.refresh.as_ref().map(|r| r.expose().to_string()),
        };
        let json =
            serde_json::to_string(&stored).map_err(|e| CredentialError::Other(e.to_string()))?;
        entry(account)?.set_password(&json).map_err(classify)
    }

    pub fn delete(&self, account: &str) -> Result<(), CredentialError> {
        if self.env.is_some() {
            return Ok(());
        }
        match entry(account)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}

fn entry(account: &str) -> Result<keyring_core::Entry, CredentialError> {
    default_store()?;
    keyring_core::Entry::new(SERVICE, account).map_err(classify)
}

/// Installs the platform's store once per process. A failure is not remembered: the user
/// may start gnome-keyring and retry without restarting Aviso.
fn default_store() -> Result<(), CredentialError> {
    static READY: Mutex<bool> = Mutex::new(false);
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    if *ready {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    {
        let store = zbus_secret_service_keyring_store::Store::new().map_err(classify)?;
        keyring_core::set_default_store(store);
        *ready = true;
        Ok(())
    }
    // Windows: the Credential Manager. macOS: the login keychain (the `keychain` module is
    // the one for apps that are not provisioned with iCloud entitlements).
    #[cfg(target_os = "windows")]
    {
        let store = windows_native_keyring_store::store::Store::new().map_err(classify)?;
        keyring_core::set_default_store(store);
        *ready = true;
        Ok(())
    }
    #[cfg(target_os = "macos")]
    {
        let store = apple_native_keyring_store::keychain::Store::new().map_err(classify)?;
        keyring_core::set_default_store(store);
        *ready = true;
        Ok(())
    }
    #[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
    {
        Err(CredentialError::Other(
            "no keyring store for this platform".into(),
        ))
    }
}
