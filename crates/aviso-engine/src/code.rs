//! The engine's error codes: one closed list, so a consumer matches on a variant instead of
//! comparing strings, and adding a code makes every exhaustive `match` on it say where it
//! must be handled. On the wire (the CLI's JSON lines, the app's events) each is its
//! snake_case name, as before this type existed.

use std::fmt;

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $name:ident = $text:literal,)*) => {
        /// Why something failed, as machines read it (people read the message beside it).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $name,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];

            /// The wire name (`"needs_login"`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $text,)*
                }
            }
        }
    };
}

codes! {
    // Frames and profiles.
    /// A frame that is not what the profile describes (not JSON, no type, …).
    BadFrame = "bad_frame",
    /// A frame over the size limit: skipped unread.
    FrameTooLarge = "frame_too_large",
    /// A notification frame whose notification cannot be built (no id, …).
    BadNotification = "bad_notification",
    /// The profile asks for something it cannot do (a template that does not render, …).
    BadProfile = "bad_profile",
    /// The `[policy]` of the config does not hold (the CLI says it as an error line).
    BadPolicy = "bad_policy",
    // The server.
    /// The server refuses the catch-up's list: notifications may be lost.
    CatchUpFailed = "catch_up_failed",
    /// The server refuses this user even with a fresh token.
    Forbidden = "forbidden",
    /// The server answered with an error (5xx, an unexpected answer, a refused mark).
    ServerError = "server_error",
    /// The TLS configuration or the server's certificate is not usable.
    Tls = "tls",
    /// The server cannot be reached.
    Unreachable = "unreachable",
    /// The server does not answer as the profile expects (another protocol, or none).
    Protocol = "protocol",
    // Sign-in.
    /// User name or password refused.
    WrongCredentials = "wrong_credentials",
    /// No usable session: sign in again.
    NeedsLogin = "needs_login",
    /// The account's profile has no way to sign in, and none was given.
    AuthRequired = "auth_required",
    // The keyring.
    /// No Secret Service (Linux) to keep tokens in.
    NoSecretService = "no_secret_service",
    /// The keyring is locked.
    KeyringLocked = "keyring_locked",
    /// Any other keyring failure.
    Keyring = "keyring",
    // The local database.
    /// The disk is full: new notifications are kept in memory.
    DiskFull = "disk_full",
    /// The data directory cannot be written.
    ReadOnly = "read_only",
    /// The database is damaged.
    CorruptDatabase = "corrupt_database",
    /// A damaged database was moved aside and a new one started.
    MovedAside = "moved_aside",
    /// Any other database failure.
    Storage = "storage",
    // Accounts and the config file.
    /// The config file cannot be read or written.
    Config = "config",
    /// A server address that is not an http(s) URL.
    InvalidUrl = "invalid_url",
    /// A profile name no preset or file has.
    UnknownProfile = "unknown_profile",
    /// No account of that name.
    UnknownAccount = "unknown_account",
    /// An account name that cannot be one (empty, control characters, …).
    InvalidName = "invalid_name",
    /// Another account has that name.
    NameTaken = "name_taken",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not a code of [`ErrorCode`]: the text given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code {0:?}")]
pub struct UnknownCode(pub String);

impl std::str::FromStr for ErrorCode {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_has_its_own_snake_case_name_and_reads_back() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            // The wire form is the bare name, as the strings before this type were.
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<ErrorCode>(&format!("\"{name}\"")).unwrap(),
                code
            );
            assert_eq!(name.parse::<ErrorCode>().unwrap(), code);
        }
        let err = serde_json::from_str::<ErrorCode>("\"no_such_code\"").unwrap_err();
        assert!(err.to_string().contains("no_such_code"), "{err}");
    }
}
