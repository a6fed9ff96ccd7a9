//! Aviso's engine: everything but the GUI. It keeps one live link per account to a
//! backend that pushes notifications, never loses one, and tells its embedder (the CLI or
//! the desktop shell) what happens as `EngineEvent` values.
//!
//! # Layout
//!
//! - [`account_spec`]: one account as the engine runs it ([`AccountSpec`]).
//! - [`accounts`]: account names and renaming (history kept).
//! - [`model`]: the notification and the events the engine emits.
//! - [`profile`]: how to talk to a kind of backend (TOML; built-in presets).
//! - [`template`]: `{path}` templates used by profiles.
//! - [`frame`]: frames and REST items → notifications and stream values.
//! - [`stream`]: the latest value and state of each stream channel (the live view).
//! - [`alert`]: profile rules that turn a stream condition into a notification.
//! - [`session`]: the pure connection state machine; [`backoff`] its delays.
//! - [`link`]: drives one account's session (one per channel where a profile has
//!   several sockets): performs its actions, stores, emits.
//! - [`transport`]: the streaming transports (WebSocket, Socket.IO).
//! - [`rest`]: the REST side (list after cursor, mark read, unread count).
//! - [`catchup`]: REST catch-up after the persisted cursor, and reads made on another device.
//! - [`outbox`]: queued mark-reads, sent over REST or the socket and retried until the server
//!   confirms.
//! - [`store`]: SQLite: notifications, read state, cursors, outbox, snoozes, and full-text
//!   search over them ([`store::search`]).
//! - [`policy`]: the pure attention policy (rules, quiet hours, bursts, digests, snooze,
//!   silence alarms) whose decisions the shell and the CLI render as toasts.
//! - [`auth`]: token obtain/refresh and expiry; [`credentials`]: the keyring.
//! - [`health`]: the connection health facts per account (the health view,
//!   `aviso-cli status`).
//! - [`markup`]: escaping text for notification daemons.
//! - [`clock`]: RFC 3339 timestamps and sleep detection.
//! - [`dnd`]: the desktop's own do-not-disturb, where it can be read.
//! - [`secret`]: the redacted `Secret` wrapper and URL redaction.
//! - [`tls`]: rustls client configuration; [`config`]: the accounts file; [`dirs`]: where
//!   embedders keep the config and the store on each platform.
//! - [`engine`]: the handle embedders hold.

pub mod account_spec;
pub mod accounts;
pub mod alert;
pub mod auth;
pub mod backoff;
pub mod catchup;
pub mod clock;
pub mod code;
pub mod config;
pub mod credentials;
pub mod dirs;
pub mod dnd;
pub mod engine;
pub mod frame;
pub mod health;
pub mod link;
pub mod markup;
pub mod model;
pub mod outbox;
pub mod policy;
pub mod profile;
pub mod readable;
pub mod rest;
pub mod resume;
pub mod secret;
pub mod session;
pub mod store;
pub mod stream;
pub mod template;
pub mod tls;
pub mod transport;
pub mod twins;

pub use engine::{Engine, EngineError, EngineOptions};

/// An error's text followed by its causes (`a: b: c`). Library errors often say only
/// "error sending request" at the top; the cause is what a user can act on. Callers pass
/// errors whose texts carry no URL, so no token can leak through this.
pub(crate) fn error_chain(head: String, e: &dyn std::error::Error) -> String {
    let mut text = head;
    let mut source = e.source();
    while let Some(s) = source {
        // A cause its wrapper already says (`Handshake not finished: Handshake not
        // finished`) is said once.
        let cause = s.to_string();
        if !text.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = s.source();
    }
    text
}
pub use account_spec::AccountSpec;
pub use code::ErrorCode;
pub use model::{
    ConnState, EngineEvent, Notification, StateDetail, StreamChannel, StreamState, TransportKind,
};
pub use profile::Profile;
pub use secret::Secret;

/// Log filter directives every front end adds after `AVISO_LOG`'s, whatever it asks for:
/// libraries whose logs would carry a token at some level are held below it. tungstenite
/// logs the whole handshake request at `trace`, and profiles put the token in its URL
/// (`?token=`); its `debug` lines carry none. (The suite's token scan reads a CLI pass at
/// `AVISO_LOG=trace`.)
pub const LOG_CAPS: &[&str] = &["tungstenite::handshake::client=debug"];
