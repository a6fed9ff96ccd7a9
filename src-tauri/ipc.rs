//! What the shell and the panel say to each other besides the commands' own types: the
//! names of the events the shell emits (mirrored by `ui/src/lib/events.ts`), and what a
//! rejected command carries: a code from one closed list (mirrored by `ERROR_CODES` in
//! `ui/src/lib/types.ts`) and a message. Tests here keep both lists equal to the UI's.
//! A leaf: it names no other module of the shell, so every module can use it.

use aviso_engine::accounts::{AccountError, RenameError};
use aviso_engine::auth::AuthError;
use aviso_engine::{EngineError, ErrorCode};
use serde::Serialize;

pub const NOTIFICATION_RECEIVED: &str = "notifications://received";
/// Several notifications of one round, in arrival order (`Notification[]`).
pub const NOTIFICATIONS_RECEIVED_BATCH: &str = "notifications://received-batch";
pub const NOTIFICATIONS_READ: &str = "notifications://read";
pub const UNREAD_CHANGED: &str = "notifications://unread-changed";
pub const CONNECTION_STATE_CHANGED: &str = "connection://state-changed";
pub const PANEL_FOCUS_ITEM: &str = "panel://focus-item";
pub const STREAMS_UPDATED: &str = "streams://updated";
pub const SETTINGS_CHANGED: &str = "settings://changed";
/// What is wrong with the local database now (`StorageProblem[]`; empty when nothing is).
pub const STORAGE_CHANGED: &str = "storage://changed";
/// A notification was snoozed (`{account, id, until}`): it leaves the unread list.
pub const NOTIFICATION_SNOOZED: &str = "notifications://snoozed";
/// A snoozed notification is due (`Notification`): back in the unread list.
pub const NOTIFICATION_RELEASED: &str = "notifications://released";

/// Why a command was refused; the UI switches on it and shows its own translated words.
/// On the wire: the snake_case name (`"wrong_credentials"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpcCode {
    WrongCredentials,
    Unreachable,
    NoSecretService,
    KeyringLocked,
    InvalidUrl,
    UnknownProfile,
    UnknownAccount,
    NotFound,
    Storage,
    BadPolicy,
    BadWhen,
    BadShortcut,
    NameTaken,
    InvalidName,
    Internal,
}

impl IpcCode {
    /// Every code, in the order of `ERROR_CODES` in `ui/src/lib/types.ts`.
    #[cfg(test)]
    pub const ALL: [IpcCode; 15] = [
        IpcCode::WrongCredentials,
        IpcCode::Unreachable,
        IpcCode::NoSecretService,
        IpcCode::KeyringLocked,
        IpcCode::InvalidUrl,
        IpcCode::UnknownProfile,
        IpcCode::UnknownAccount,
        IpcCode::NotFound,
        IpcCode::Storage,
        IpcCode::BadPolicy,
        IpcCode::BadWhen,
        IpcCode::BadShortcut,
        IpcCode::NameTaken,
        IpcCode::InvalidName,
        IpcCode::Internal,
    ];

    /// The engine's code (`AuthError::code`, `CredentialError::code`, …) as the panel knows
    /// it; what the panel has no words of its own for is `internal` (its message is shown).
    /// Exhaustive: a new engine code must be placed here.
    pub fn of_engine(code: ErrorCode) -> IpcCode {
        use ErrorCode as E;
        match code {
            E::WrongCredentials => IpcCode::WrongCredentials,
            E::Unreachable | E::ServerError => IpcCode::Unreachable,
            E::NoSecretService => IpcCode::NoSecretService,
            E::KeyringLocked => IpcCode::KeyringLocked,
            E::InvalidUrl => IpcCode::InvalidUrl,
            E::UnknownProfile => IpcCode::UnknownProfile,
            E::UnknownAccount => IpcCode::UnknownAccount,
            E::Storage | E::Config => IpcCode::Storage,
            E::NameTaken => IpcCode::NameTaken,
            E::InvalidName => IpcCode::InvalidName,
            // The disk's state has its own banner (`storage://changed`); a policy's
            // problems come with `IpcError::policy`.
            E::DiskFull
            | E::ReadOnly
            | E::CorruptDatabase
            | E::MovedAside
            | E::BadPolicy
            | E::BadFrame
            | E::FrameTooLarge
            | E::BadNotification
            | E::BadProfile
            | E::CatchUpFailed
            | E::Forbidden
            | E::Tls
            | E::Protocol
            | E::NeedsLogin
            | E::AuthRequired
            | E::Keyring => IpcCode::Internal,
        }
    }
}

/// A rejected command: the UI switches on `code` and shows a translated message.
#[derive(Debug, Clone, Serialize)]
pub struct IpcError {
    pub code: IpcCode,
    pub message: String,
    /// `bad_policy`: each problem of the policy, with the engine's code and sentences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<PolicyProblem>,
}

/// A problem of `[policy]` as the panel shows it: the engine's code (`bad_schedule`, …)
/// and its sentence naming the item and key, in both languages the panel speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyProblem {
    pub code: &'static str,
    pub message_es: String,
    pub message_en: String,
}

impl IpcError {
    pub fn new(code: IpcCode, message: impl Into<String>) -> IpcError {
        IpcError {
            code,
            message: message.into(),
            problems: Vec::new(),
        }
    }

    /// `storage`: the local database or config.toml could not be read or written.
    pub fn storage(e: impl std::fmt::Display) -> IpcError {
        IpcError::new(IpcCode::Storage, e.to_string())
    }

    /// `internal`: a failure the panel has no words of its own for (its message says it).
    pub fn internal(e: impl std::fmt::Display) -> IpcError {
        IpcError::new(IpcCode::Internal, e.to_string())
    }
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        let code = match &e {
            EngineError::UnknownAccount(_) => IpcCode::UnknownAccount,
            EngineError::Store(_) | EngineError::DataDir { .. } => IpcCode::Storage,
            _ => IpcCode::Internal,
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<RenameError> for IpcError {
    fn from(e: RenameError) -> Self {
        IpcError::new(IpcCode::of_engine(e.code()), e.to_string())
    }
}

impl From<AccountError> for IpcError {
    fn from(e: AccountError) -> Self {
        IpcError::new(IpcCode::of_engine(e.code()), e.to_string())
    }
}

impl From<AuthError> for IpcError {
    fn from(e: AuthError) -> Self {
        IpcError::new(IpcCode::of_engine(e.code()), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails to compile when a code is added without a place in [`IpcCode::ALL`]'s list.
    fn listed(code: IpcCode) -> bool {
        match code {
            IpcCode::WrongCredentials
            | IpcCode::Unreachable
            | IpcCode::NoSecretService
            | IpcCode::KeyringLocked
            | IpcCode::InvalidUrl
            | IpcCode::UnknownProfile
            | IpcCode::UnknownAccount
            | IpcCode::NotFound
            | IpcCode::Storage
            | IpcCode::BadPolicy
            | IpcCode::BadWhen
            | IpcCode::BadShortcut
            | IpcCode::NameTaken
            | IpcCode::InvalidName
            | IpcCode::Internal => IpcCode::ALL.contains(&code),
        }
    }

    #[test]
    fn the_codes_are_the_uis_codes_in_its_order() {
        assert!(IpcCode::ALL.iter().all(|c| listed(*c)));
        let wire: Vec<String> = IpcCode::ALL
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let types = include_str!("../ui/src/lib/types.ts");
        let list = types
            .split("export const ERROR_CODES = [")
            .nth(1)
            .and_then(|rest| rest.split("] as const").next())
            .expect("ERROR_CODES in ui/src/lib/types.ts");
        let ui: Vec<String> = list
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(
            wire, ui,
            "src-tauri/ipc.rs and ui/src/lib/types.ts list the same codes"
        );
    }

    #[test]
    fn the_event_names_are_the_uis() {
        let ours = [
            NOTIFICATION_RECEIVED,
            NOTIFICATIONS_RECEIVED_BATCH,
            NOTIFICATIONS_READ,
            UNREAD_CHANGED,
            CONNECTION_STATE_CHANGED,
            PANEL_FOCUS_ITEM,
            STREAMS_UPDATED,
            SETTINGS_CHANGED,
            STORAGE_CHANGED,
            NOTIFICATION_SNOOZED,
            NOTIFICATION_RELEASED,
        ];
        let events = include_str!("../ui/src/lib/events.ts");
        let mut theirs: Vec<&str> = events
            .lines()
            .filter_map(|l| l.strip_prefix("export const "))
            .filter_map(|l| l.split_once(" = \""))
            .map(|(_, v)| v.trim_end_matches("\";"))
            .collect();
        let mut ours = ours.to_vec();
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(
            ours, theirs,
            "src-tauri/ipc.rs and ui/src/lib/events.ts name the same events"
        );
    }

    #[test]
    fn engine_codes_reach_the_panel_as_its_own() {
        assert_eq!(
            IpcCode::of_engine(ErrorCode::ServerError),
            IpcCode::Unreachable
        );
        assert_eq!(IpcCode::of_engine(ErrorCode::Config), IpcCode::Storage);
        assert_eq!(IpcCode::of_engine(ErrorCode::Tls), IpcCode::Internal);
        // Each engine code the panel has words for keeps its name on the wire.
        for &code in ErrorCode::ALL {
            let ipc = IpcCode::of_engine(code);
            if ipc != IpcCode::Internal && ipc != IpcCode::Unreachable && ipc != IpcCode::Storage {
                assert_eq!(
                    serde_json::to_value(ipc).unwrap(),
                    serde_json::to_value(code).unwrap()
                );
            }
        }
        let e = IpcError::from(RenameError::NameTaken("norte".into()));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "name_taken");
        assert!(json.get("problems").is_none());
    }
}
