//! The shell's own words (tray menu, status line, toasts) in Spanish and English. The panel
//! has its own dictionaries in `ui/src/lib/i18n/`.

use aviso_engine::{ConnState, TransportKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    /// The language for a setting (`auto`, `es`, `en`) and the OS locale.
    pub fn resolve(setting: &str, os_locale: Option<&str>) -> Lang {
        match setting {
            "es" => Lang::Es,
            "en" => Lang::En,
            _ => match os_locale {
                Some(l) if l.to_ascii_lowercase().starts_with("es") => Lang::Es,
                _ => Lang::En,
            },
        }
    }
}

pub struct Texts {
    pub open_panel: &'static str,
    pub mark_all_read: &'static str,
    pub pause_1h: &'static str,
    pub quit: &'static str,
    pub mark_read_action: &'static str,
    pub open_action: &'static str,
    pub snooze_hour_action: &'static str,
    pub snooze_tomorrow_action: &'static str,
}

pub fn texts(lang: Lang) -> Texts {
    match lang {
        Lang::Es => Texts {
            open_panel: "Abrir panel",
            mark_all_read: "Marcar todas como leídas",
            pause_1h: "Pausar notificaciones 1 h",
            quit: "Salir",
            mark_read_action: "Marcar como leída",
            open_action: "Abrir",
            snooze_hour_action: "Recordar en 1 h",
            snooze_tomorrow_action: "Mañana a las 9:00",
        },
        Lang::En => Texts {
            open_panel: "Open panel",
            mark_all_read: "Mark all as read",
            pause_1h: "Pause notifications for 1 h",
            quit: "Quit",
            mark_read_action: "Mark as read",
            open_action: "Open",
            snooze_hour_action: "Remind me in 1 h",
            snooze_tomorrow_action: "Tomorrow at 9:00",
        },
    }
}

/// The tray's status line for the overall state.
pub fn status_line(
    lang: Lang,
    state: Option<ConnState>,
    transport: Option<TransportKind>,
    poll_secs: u64,
) -> String {
    use ConnState::*;
    match (lang, state) {
        (Lang::Es, None) => "Sin cuentas: inicia sesión".into(),
        (Lang::En, None) => "No account: log in".into(),
        (Lang::Es, Some(Live)) => format!("Conectado ({})", transport_name(transport)),
        (Lang::En, Some(Live)) => format!("Connected ({})", transport_name(transport)),
        (Lang::Es, Some(Polling)) => format!("Sin WebSocket: sondeo cada {poll_secs} s"),
        (Lang::En, Some(Polling)) => format!("No WebSocket: polling every {poll_secs} s"),
        (Lang::Es, Some(NeedsLogin)) => "Inicia sesión".into(),
        (Lang::En, Some(NeedsLogin)) => "Log in again".into(),
        (Lang::Es, Some(Connecting)) => "Conectando…".into(),
        (Lang::En, Some(Connecting)) => "Connecting…".into(),
        (Lang::Es, Some(Backoff)) => "Sin conexión: reintentando".into(),
        (Lang::En, Some(Backoff)) => "Offline: retrying".into(),
        (Lang::Es, Some(Stopped)) => "Detenido".into(),
        (Lang::En, Some(Stopped)) => "Stopped".into(),
    }
}

fn transport_name(t: Option<TransportKind>) -> &'static str {
    match t {
        Some(TransportKind::Socketio) => "Socket.IO",
        Some(TransportKind::Sse) => "SSE",
        Some(TransportKind::Polling) => "REST",
        _ => "WebSocket",
    }
}

/// A store's line in the tray menu: its unread count and its connection in a word.
pub fn store_line(lang: Lang, account: &str, unread: u64, state: ConnState) -> String {
    use ConnState::*;
    let word = match (lang, state) {
        (Lang::Es, Live) => "conectada",
        (Lang::Es, Polling) => "por sondeo",
        (Lang::Es, Connecting) => "conectando",
        (Lang::Es, Backoff | Stopped) => "sin conexión",
        (Lang::Es, NeedsLogin) => "inicia sesión",
        (Lang::En, Live) => "connected",
        (Lang::En, Polling) => "polling",
        (Lang::En, Connecting) => "connecting",
        (Lang::En, Backoff | Stopped) => "offline",
        (Lang::En, NeedsLogin) => "log in",
    };
    match lang {
        Lang::Es => format!("{account}: {unread} sin leer · {word}"),
        Lang::En => format!("{account}: {unread} unread · {word}"),
    }
}

/// The tray's status line while silence alarms are fired: the first one, and how many more.
pub fn silence_line(lang: Lang, account: &str, alarm: &str, more: usize) -> String {
    match (lang, more) {
        (Lang::Es, 0) => format!("Alarma de silencio: {alarm} ({account})"),
        (Lang::Es, n) => format!("Alarma de silencio: {alarm} ({account}) y {n} más"),
        (Lang::En, 0) => format!("Silence alarm: {alarm} ({account})"),
        (Lang::En, n) => format!("Silence alarm: {alarm} ({account}) and {n} more"),
    }
}

/// The policy's language for the shell's.
pub fn policy_lang(lang: Lang) -> aviso_engine::policy::Lang {
    match lang {
        Lang::Es => aviso_engine::policy::Lang::Es,
        Lang::En => aviso_engine::policy::Lang::En,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_the_setting_then_the_os() {
        assert_eq!(Lang::resolve("auto", Some("es-BO")), Lang::Es);
        assert_eq!(Lang::resolve("auto", Some("en-US")), Lang::En);
        assert_eq!(Lang::resolve("auto", None), Lang::En);
        assert_eq!(Lang::resolve("es", Some("en-US")), Lang::Es);
        assert_eq!(Lang::resolve("en", Some("es-ES")), Lang::En);
    }

    #[test]
    fn status_lines_read_as_the_brief_says() {
        let live = status_line(
            Lang::Es,
            Some(ConnState::Live),
            Some(TransportKind::Websocket),
            15,
        );
        assert_eq!(live, "Conectado (WebSocket)");
        let poll = status_line(
            Lang::Es,
            Some(ConnState::Polling),
            Some(TransportKind::Polling),
            15,
        );
        assert_eq!(poll, "Sin WebSocket: sondeo cada 15 s");
        assert_eq!(
            status_line(Lang::Es, Some(ConnState::NeedsLogin), None, 15),
            "Inicia sesión"
        );
        assert_eq!(
            store_line(Lang::Es, "tienda", 3, ConnState::Live),
            "tienda: 3 sin leer · conectada"
        );
        assert_eq!(
            store_line(Lang::En, "sucursal", 0, ConnState::Backoff),
            "sucursal: 0 unread · offline"
        );
        assert_eq!(
            silence_line(Lang::Es, "tienda", "ventas", 0),
            "Alarma de silencio: ventas (tienda)"
        );
        assert_eq!(
            silence_line(Lang::En, "tienda", "ventas", 2),
            "Silence alarm: ventas (tienda) and 2 more"
        );
    }
}
