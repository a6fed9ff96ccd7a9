//! Aviso's engine: everything but the GUI. It keeps one live link per account to a
//! backend that pushes notifications, never loses one, and tells its embedder (the CLI or
//! the desktop shell) what happens as `EngineEvent` values.
//!
//! # Layout
//!
//! - [`model`]: the notification and the events the engine emits.
//! - [`profile`]: how to talk to a kind of backend (TOML; built-in presets).
//! - [`template`]: `{path}` templates used by profiles.
//! - [`frame`]: frames and REST items → notifications.
//! - [`session`]: the pure connection state machine; [`backoff`] its delays.
//! - [`link`]: drives one account's session: performs its actions, stores, emits.
//! - [`transport`]: the streaming transports (WebSocket).
//! - [`rest`]: the REST side (list after cursor, mark read, unread count).
//! - [`catchup`]: REST catch-up after the persisted cursor.
//! - [`outbox`]: queued mark-reads, retried until the server confirms.
//! - [`store`]: SQLite: notifications, read state, cursors, outbox.
//! - [`auth`]: token obtain/refresh and expiry; [`credentials`]: the keyring.
//! - [`secret`]: the redacted `Secret` wrapper and URL redaction.
//! - [`tls`]: rustls client configuration; [`config`]: the accounts file.
//! - [`engine`]: the handle embedders hold.

pub mod auth;
pub mod backoff;
pub mod catchup;
pub mod config;
pub mod credentials;
pub mod engine;
pub mod frame;
pub mod link;
pub mod model;
pub mod outbox;
pub mod profile;
pub mod rest;
pub mod secret;
pub mod session;
pub mod store;
pub mod template;
pub mod tls;
pub mod transport;

pub use engine::{Engine, EngineError, EngineOptions};
pub use link::AccountSpec;
pub use model::{ConnState, EngineEvent, Notification, TransportKind};
pub use profile::Profile;
pub use secret::Secret;
