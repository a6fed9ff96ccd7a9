//! Aviso's desktop shell (Tauri). Until the desktop issue lands it only explains itself:
//! the engine and the headless `aviso-cli` are what works today.

/// The message the not-yet-built desktop binary prints.
pub const NOT_YET: &str = "The Aviso desktop app is not built yet. Use `aviso-cli watch --toasts` \
                           (see README.md) for notifications today.";
