//! The tray icon: the unread count drawn into it, a look per connection state, and the menu
//! (open panel, mark all read, pause 1 h, a status line, a line per store with its unread
//! count and connection, quit).
//!
//! Linux trays (StatusNotifierItem / AppIndicator) show neither tooltips nor click events:
//! there the menu's first item opens the panel. Windows and macOS get a left-click toggle.

use std::sync::{Arc, Mutex};

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Runtime};

use crate::i18n::{self, Lang};
use crate::icon::{self, Look};

/// Drawn at 64 px: trays scale it down, and HiDPI panels show it at 32–48 px.
pub const ICON_SIZE: u32 = 64;

pub struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    menu: Menu<R>,
    /// One line per store (account), after the status line: its name and item.
    stores: Mutex<Vec<(String, MenuItem<R>)>>,
    open: MenuItem<R>,
    mark_all: MenuItem<R>,
    pause: CheckMenuItem<R>,
    status: MenuItem<R>,
    quit: MenuItem<R>,
    shown: Mutex<Option<(u64, Look, String, Lang)>>,
}

/// What the shell asks of the tray, whichever runtime draws it (the app's, or the mock
/// runtime of the start-up smoke test).
pub trait TrayView: Send + Sync {
    /// Redraws what changed: the badge, the status line, the language, the pause.
    fn show(&self, count: u64, look: Look, status: String, lang: Lang, paused: bool);
    /// The stores' lines (`(account, line)`, in order).
    fn show_stores(&self, lines: &[(String, String)]);
}

impl<R: Runtime> TrayView for Tray<R> {
    fn show(&self, count: u64, look: Look, status: String, lang: Lang, paused: bool) {
        Tray::show(self, count, look, status, lang, paused);
    }

    fn show_stores(&self, lines: &[(String, String)]) {
        Tray::show_stores(self, lines);
    }
}

/// What a click on the tray asks for. The tray only reports it: whoever built the tray
/// does it (the shell, as it does what a toast's button asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayAction {
    /// "Abrir panel", or a store's line (the panel has its card and rows).
    OpenPanel,
    /// A left click on the icon (Windows, macOS; Linux trays report none).
    TogglePanel,
    MarkAllRead,
    TogglePause,
    Quit,
}

impl TrayAction {
    fn of_menu(id: &str) -> Option<TrayAction> {
        Some(match id {
            "open" => TrayAction::OpenPanel,
            id if id.starts_with("store:") => TrayAction::OpenPanel,
            "mark_all" => TrayAction::MarkAllRead,
            "pause" => TrayAction::TogglePause,
            "quit" => TrayAction::Quit,
            _ => return None,
        })
    }
}

fn image(count: u64, look: Look) -> Image<'static> {
    Image::new_owned(icon::render(ICON_SIZE, count, look), ICON_SIZE, ICON_SIZE)
}

impl<R: Runtime> Tray<R> {
    /// The tray, its clicks reported to `on_action`.
    pub fn build(
        app: &AppHandle<R>,
        lang: Lang,
        on_action: impl Fn(&AppHandle<R>, TrayAction) + Send + Sync + 'static,
    ) -> tauri::Result<Tray<R>> {
        let on_action = Arc::new(on_action);
        let on_click = on_action.clone();
        let t = i18n::texts(lang);
        let open = MenuItem::with_id(app, "open", t.open_panel, true, None::<&str>)?;
        let mark_all = MenuItem::with_id(app, "mark_all", t.mark_all_read, true, None::<&str>)?;
        let pause = CheckMenuItem::with_id(app, "pause", t.pause_1h, true, false, None::<&str>)?;
        let status = MenuItem::with_id(app, "status", "…", false, None::<&str>)?;
        let quit = MenuItem::with_id(app, "quit", t.quit, true, None::<&str>)?;
        let menu = Menu::with_items(
            app,
            &[
                &open,
                &mark_all,
                &pause,
                &PredefinedMenuItem::separator(app)?,
                &status,
                &PredefinedMenuItem::separator(app)?,
                &quit,
            ],
        )?;
        let icon = TrayIconBuilder::with_id("aviso")
            .icon(image(0, Look::Offline))
            .tooltip("Aviso")
            .menu(&menu)
            .show_menu_on_left_click(false)
            .on_menu_event(move |app, event| {
                if let Some(action) = TrayAction::of_menu(event.id().as_ref()) {
                    on_action(app, action);
                }
            })
            .on_tray_icon_event(move |tray, event| {
                if let TrayIconEvent::Click {
                    button: MouseButton::Left,
                    button_state: MouseButtonState::Up,
                    ..
                } = event
                {
                    on_click(tray.app_handle(), TrayAction::TogglePanel);
                }
            })
            .build(app)?;
        Ok(Tray {
            icon,
            menu,
            stores: Mutex::new(Vec::new()),
            open,
            mark_all,
            pause,
            status,
            quit,
            shown: Mutex::new(None),
        })
    }

    /// The stores' lines (`(account, line)`, in order), after the status line: items are
    /// added and removed as accounts come and go, and their text changed in place.
    pub fn show_stores(&self, lines: &[(String, String)]) {
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
        if stores
            .iter()
            .map(|(n, _)| n.as_str())
            .ne(names.iter().copied())
        {
            for (_, item) in stores.drain(..) {
                let _ = self.menu.remove(&item);
            }
            // After open, mark all, pause, a separator and the status line.
            let app = self.icon.app_handle();
            for (i, (name, line)) in lines.iter().enumerate() {
                match MenuItem::with_id(app, format!("store:{name}"), line, true, None::<&str>) {
                    Ok(item) => {
                        let _ = self.menu.insert(&item, 5 + i);
                        stores.push((name.clone(), item));
                    }
                    Err(e) => tracing::warn!("cannot add a store to the tray menu: {e}"),
                }
            }
            return;
        }
        for ((_, item), (_, line)) in stores.iter().zip(lines) {
            if item.text().ok().as_deref() != Some(line.as_str()) {
                let _ = item.set_text(line);
            }
        }
    }

    /// Redraws what changed.
    pub fn show(&self, count: u64, look: Look, status: String, lang: Lang, paused: bool) {
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        let before = shown.clone();
        if before.as_ref().map(|(c, l, _, _)| (*c, *l)) != Some((count, look)) {
            if let Err(e) = self.icon.set_icon(Some(image(count, look))) {
                tracing::warn!("cannot update the tray icon: {e}");
            }
        }
        if before.as_ref().map(|(_, _, s, _)| s.as_str()) != Some(status.as_str()) {
            let _ = self.status.set_text(&status);
            let _ = self.icon.set_tooltip(Some(format!("Aviso — {status}")));
        }
        if before.as_ref().map(|(_, _, _, l)| *l) != Some(lang) {
            let t = i18n::texts(lang);
            let _ = self.open.set_text(t.open_panel);
            let _ = self.mark_all.set_text(t.mark_all_read);
            let _ = self.pause.set_text(t.pause_1h);
            let _ = self.quit.set_text(t.quit);
        }
        let _ = self.pause.set_checked(paused);
        *shown = Some((count, look, status, lang));
    }
}
