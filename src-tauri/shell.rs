//! The shell's state: the engine handle, the accounts as the UI sees them, settings, the
//! tray and the toaster. Commands and engine events both go through here.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use aviso_engine::config::{parse_server, AccountConfig, Config};
use aviso_engine::credentials::Credentials;
use aviso_engine::{ConnState, Engine, Notification, Secret, TransportKind};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Runtime, Wry};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::commands::IpcError;
use crate::events::SETTINGS_CHANGED;
use crate::i18n::{self, Lang};
use crate::icon::Look;
use crate::panel;
use crate::settings::Settings;
use crate::toasts::{self, Action};
use crate::tray::Tray;
use crate::urls;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FocusTarget {
    pub account: String,
    pub id: String,
}

/// An account as the UI shows it (docs/ipc.md `AccountView`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountView {
    pub name: String,
    pub server: String,
    pub profile: String,
    pub state: ConnState,
    pub transport: Option<TransportKind>,
    pub detail: String,
    pub last_event_at: Option<String>,
    pub next_retry_at: Option<String>,
    pub unread: u64,
    pub poll_interval_secs: Option<u64>,
}

pub struct Shell {
    pub engine: Engine,
    config_path: PathBuf,
    config: Mutex<Config>,
    views: Mutex<BTreeMap<String, AccountView>>,
    pending_focus: Mutex<Option<FocusTarget>>,
    toasts: OnceLock<Mutex<Sender<Notification>>>,
    tray: OnceLock<Tray<Wry>>,
    pub icon_path: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn view_of(account: &AccountConfig) -> AccountView {
    let poll = aviso_engine::Profile::load(&account.profile)
        .ok()
        .map(|p| p.polling.interval_secs.round() as u64);
    AccountView {
        name: account.name.clone(),
        server: account.server.clone(),
        profile: account.profile.clone(),
        state: ConnState::Connecting,
        transport: None,
        detail: String::new(),
        last_event_at: None,
        next_retry_at: None,
        unread: 0,
        poll_interval_secs: poll,
    }
}

impl Shell {
    pub fn new(
        engine: Engine,
        config_path: PathBuf,
        config: Config,
        icon_path: Option<String>,
    ) -> Shell {
        let views = config
            .accounts
            .iter()
            .map(|a| (a.name.clone(), view_of(a)))
            .collect();
        Shell {
            engine,
            config_path,
            config: Mutex::new(config),
            views: Mutex::new(views),
            pending_focus: Mutex::new(None),
            toasts: OnceLock::new(),
            tray: OnceLock::new(),
            icon_path,
        }
    }

    pub fn set_tray(&self, tray: Tray<Wry>) {
        let _ = self.tray.set(tray);
        self.refresh_tray();
    }

    pub fn set_toaster(&self, tx: Sender<Notification>) {
        let _ = self.toasts.set(Mutex::new(tx));
    }

    pub fn account_configs(&self) -> Vec<AccountConfig> {
        lock(&self.config).accounts.clone()
    }

    pub fn settings(&self) -> Settings {
        Settings::from_table(&lock(&self.config).desktop)
    }

    pub fn lang(&self) -> Lang {
        Lang::resolve(
            &self.settings().language,
            sys_locale::get_locale().as_deref(),
        )
    }

    pub fn toast_context(&self) -> toasts::Context {
        let s = self.settings();
        toasts::Context {
            lang: Lang::resolve(&s.language, sys_locale::get_locale().as_deref()),
            enabled: s.toasts && !s.paused(OffsetDateTime::now_utc()),
            sound: s.sound,
            icon: self.icon_path.clone(),
        }
    }

    fn save_config(&self, config: &Config) -> Result<(), IpcError> {
        config
            .save(&self.config_path)
            .map_err(|e| IpcError::new("storage", e.to_string()))
    }

    pub fn set_settings<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        settings: Settings,
    ) -> Result<Settings, IpcError> {
        settings
            .validate()
            .map_err(|m| IpcError::new("internal", m))?;
        {
            let mut config = lock(&self.config);
            let mut next = config.clone();
            next.desktop = settings.to_table();
            self.save_config(&next)?;
            *config = next;
        }
        crate::autostart::apply(app, settings.autostart);
        let _ = app.emit(SETTINGS_CHANGED, &settings);
        self.refresh_tray();
        Ok(settings)
    }

    pub fn toggle_pause<R: Runtime>(&self, app: &AppHandle<R>) {
        let mut s = self.settings();
        s.paused_until = if s.paused(OffsetDateTime::now_utc()) {
            None
        } else {
            (OffsetDateTime::now_utc() + time::Duration::hours(1))
                .format(&Rfc3339)
                .ok()
        };
        if let Err(e) = self.set_settings(app, s) {
            tracing::warn!("cannot save the pause: {}", e.message);
        }
    }

    pub fn accounts(&self) -> Vec<AccountView> {
        lock(&self.views).values().cloned().collect()
    }

    /// Records that an event arrived now; returns the view when its (second-precise) time
    /// changed, so a burst updates the UI once per second, not once per item.
    pub fn touch(&self, account: &str) -> Option<AccountView> {
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .ok()?
            .format(&Rfc3339)
            .ok()?;
        let mut views = lock(&self.views);
        let v = views.get_mut(account)?;
        if v.last_event_at.as_deref() == Some(now.as_str()) {
            return None;
        }
        v.last_event_at = Some(now);
        Some(v.clone())
    }

    /// Records an account's unread count; returns the total over all accounts.
    pub fn set_unread(&self, account: &str, count: u64) -> u64 {
        let mut views = lock(&self.views);
        if let Some(v) = views.get_mut(account) {
            v.unread = count;
        }
        views.values().map(|v| v.unread).sum()
    }

    pub fn set_state(
        &self,
        account: &str,
        state: ConnState,
        transport: Option<TransportKind>,
        detail: String,
        next_retry_at: Option<String>,
    ) -> Option<AccountView> {
        let mut views = lock(&self.views);
        let v = views.get_mut(account)?;
        v.state = state;
        v.transport = transport;
        v.detail = detail;
        v.next_retry_at = next_retry_at;
        Some(v.clone())
    }

    /// The tray's look: the worst state over all accounts.
    fn overall(&self) -> (u64, Look, Option<ConnState>, Option<TransportKind>, u64) {
        let views = lock(&self.views);
        let total = views.values().map(|v| v.unread).sum();
        let states: Vec<&AccountView> = views.values().collect();
        let worst = |s: ConnState| states.iter().any(|v| v.state == s);
        let (look, state) = if states.is_empty() {
            (Look::Offline, None)
        } else if worst(ConnState::NeedsLogin) {
            (Look::NeedsLogin, Some(ConnState::NeedsLogin))
        } else if worst(ConnState::Backoff) || worst(ConnState::Stopped) {
            (Look::Offline, Some(ConnState::Backoff))
        } else if worst(ConnState::Connecting) {
            (Look::Offline, Some(ConnState::Connecting))
        } else if worst(ConnState::Polling) {
            (Look::Polling, Some(ConnState::Polling))
        } else {
            (Look::Live, Some(ConnState::Live))
        };
        let transport = states
            .iter()
            .find(|v| Some(v.state) == state)
            .and_then(|v| v.transport);
        let poll = states
            .iter()
            .find(|v| v.state == ConnState::Polling)
            .and_then(|v| v.poll_interval_secs)
            .unwrap_or(15);
        (total, look, state, transport, poll)
    }

    pub fn refresh_tray(&self) {
        let Some(tray) = self.tray.get() else { return };
        let (count, look, state, transport, poll) = self.overall();
        let lang = self.lang();
        let paused = self.settings().paused(OffsetDateTime::now_utc());
        tray.show(
            count,
            look,
            i18n::status_line(lang, state, transport, poll),
            lang,
            paused,
        );
    }

    pub fn toast(&self, n: Notification) {
        if let Some(tx) = self.toasts.get() {
            let _ = lock(tx).send(n);
        }
    }

    pub fn take_pending_focus(&self) -> Option<FocusTarget> {
        lock(&self.pending_focus).take()
    }

    pub async fn mark_read(&self, account: &str, ids: Vec<String>) -> Result<(), IpcError> {
        self.engine
            .mark_read(account, ids)
            .await
            .map_err(IpcError::from)
    }

    pub async fn mark_all_read(&self, account: Option<String>) {
        let accounts = match account {
            Some(a) => vec![a],
            None => self.engine.accounts(),
        };
        for a in accounts {
            if let Err(e) = self.engine.mark_all_read(&a).await {
                tracing::warn!("mark all read on {a}: {e}");
            }
        }
    }

    /// A click on a notification: show it, mark it read, open its URL when it is safe.
    pub async fn open_notification<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        account: &str,
        id: &str,
    ) -> Result<(), IpcError> {
        let item = self
            .engine
            .store()
            .get(account, id)
            .map_err(|e| IpcError::new("storage", e.to_string()))?
            .ok_or_else(|| {
                IpcError::new("not_found", format!("no notification {id} in {account}"))
            })?;
        self.mark_read(account, vec![id.to_string()]).await?;
        let Some(raw) = item.url.filter(|u| !u.trim().is_empty()) else {
            return Ok(());
        };
        let server = {
            let config = lock(&self.config);
            let a = config
                .account(account)
                .map_err(|e| IpcError::new("unknown_account", e.to_string()))?;
            parse_server(&a.server).map_err(|e| IpcError::new("invalid_url", e.to_string()))?
        };
        match urls::safe_target(&server, &raw) {
            Ok(url) => {
                use tauri_plugin_opener::OpenerExt;
                app.opener()
                    .open_url(url.as_str(), None::<&str>)
                    .map_err(|e| IpcError::new("internal", format!("cannot open the browser: {e}")))
            }
            Err(why) => {
                // Logged, not opened; the item was still shown and marked read.
                tracing::warn!(account, id, "refused to open a notification URL: {why}");
                Ok(())
            }
        }
    }

    pub fn on_toast_action<R: Runtime>(self: &Arc<Self>, app: &AppHandle<R>, action: Action) {
        tracing::info!(?action, "toast clicked");
        match action {
            Action::Open { account, id } => {
                panel::focus_item(
                    app,
                    FocusTarget {
                        account: account.clone(),
                        id: id.clone(),
                    },
                    &self.pending_focus,
                );
                let (shell, app) = (self.clone(), app.clone());
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = shell.open_notification(&app, &account, &id).await {
                        tracing::warn!("toast click: {}", e.message);
                    }
                });
            }
            Action::MarkRead { account, id } => {
                let shell = self.clone();
                tauri::async_runtime::spawn(async move {
                    let _ = shell.mark_read(&account, vec![id]).await;
                });
            }
            Action::OpenPanel => {
                if let Err(e) = panel::show(app) {
                    tracing::warn!("cannot show the panel: {e}");
                }
            }
        }
    }

    pub async fn login(
        &self,
        server: &str,
        profile: &str,
        username: &str,
        password: Secret,
        name: Option<String>,
    ) -> Result<AccountView, IpcError> {
        let server_url =
            parse_server(server).map_err(|e| IpcError::new("invalid_url", e.to_string()))?;
        aviso_engine::Profile::load(profile)
            .map_err(|e| IpcError::new("unknown_profile", e.to_string()))?;
        let name =
            name.filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| match server_url.port() {
                    Some(p) => format!("{}:{p}", server_url.host_str().unwrap_or("server")),
                    None => server_url.host_str().unwrap_or("server").to_string(),
                });
        let account = AccountConfig {
            name: name.clone(),
            server: server.trim().to_string(),
            profile: profile.to_string(),
            username: Some(username.to_string()),
            params: BTreeMap::new(),
        };
        let spec = account
            .spec()
            .map_err(|e| IpcError::new("unknown_profile", e.to_string()))?;
        self.engine
            .login(spec, username, password)
            .await
            .map_err(IpcError::from)?;
        {
            let mut config = lock(&self.config);
            let mut next = config.clone();
            next.upsert(account.clone());
            self.save_config(&next)?;
            *config = next;
        }
        let view = view_of(&account);
        lock(&self.views).insert(name, view.clone());
        self.refresh_tray();
        Ok(view)
    }

    pub async fn logout(&self, account: &str) -> Result<(), IpcError> {
        self.engine.remove(account).await;
        let name = account.to_string();
        tokio::task::spawn_blocking(move || Credentials::keyring().delete(&name))
            .await
            .map_err(|e| IpcError::new("internal", e.to_string()))?
            .map_err(|e| IpcError::new(e.code(), e.to_string()))?;
        self.engine
            .store()
            .forget_account(account)
            .map_err(|e| IpcError::new("storage", e.to_string()))?;
        {
            let mut config = lock(&self.config);
            let mut next = config.clone();
            next.accounts.retain(|a| a.name != account);
            self.save_config(&next)?;
            *config = next;
        }
        lock(&self.views).remove(account);
        self.refresh_tray();
        Ok(())
    }
}
