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
        },
        Lang::En => Texts {
            open_panel: "Open panel",
            mark_all_read: "Mark all as read",
            pause_1h: "Pause notifications for 1 h",
            quit: "Quit",
            mark_read_action: "Mark as read",
            open_action: "Open",
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

/// The summary toast for a burst: "5 compras nuevas" when all are purchases, else
/// "5 notificaciones nuevas".
pub fn burst_summary(lang: Lang, count: usize, all_purchases: bool) -> String {
    match (lang, all_purchases) {
        (Lang::Es, true) => format!("{count} compras nuevas"),
        (Lang::Es, false) => format!("{count} notificaciones nuevas"),
        (Lang::En, true) => format!("{count} new purchases"),
        (Lang::En, false) => format!("{count} new notifications"),
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
        assert_eq!(burst_summary(Lang::Es, 5, true), "5 compras nuevas");
        assert_eq!(burst_summary(Lang::En, 20, false), "20 new notifications");
    }
}
