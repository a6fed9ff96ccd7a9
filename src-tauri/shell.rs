//! The shell's state: the engine handle, the accounts as the UI sees them, settings, the
//! notification policy's feed, the tray and the toaster. Commands, engine events and the
//! policy's decisions all go through here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use aviso_engine::config::{parse_server, AccountConfig, Config};
use aviso_engine::credentials::Credentials;
use aviso_engine::policy::{Clock, Decision, Feed, PolicyConfig, Timestamp, Toast};
use aviso_engine::{
    ConnState, Engine, ErrorCode, Notification, Secret, StateDetail, TransportKind,
};
use serde::Serialize;
use serde_json::json;
use tauri::{AppHandle, Emitter, Runtime};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::i18n::{self, Lang};
use crate::icon::Look;
use crate::ipc::{
    IpcCode, IpcError, NOTIFICATION_RELEASED, NOTIFICATION_SNOOZED, SETTINGS_CHANGED,
    UNREAD_CHANGED,
};
use crate::panel::{self, FocusTarget};
use crate::policy;
use crate::settings::Settings;
use crate::toasts::{self, Action};
use crate::tray::{TrayAction, TrayView};
use crate::urls;

/// An account as the UI shows it (docs/ipc.md `AccountView`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountView {
    pub name: String,
    pub server: String,
    pub profile: String,
    pub state: ConnState,
    pub transport: Option<TransportKind>,
    pub detail: StateDetail,
    pub last_event_at: Option<String>,
    pub next_retry_at: Option<String>,
    pub unread: u64,
    pub poll_interval_secs: Option<u64>,
    /// What the tray's badge counts of `unread`: the policy leaves out what a `no_badge`
    /// rule matches (the panel still lists and counts those as unread).
    #[serde(skip)]
    pub badge: u64,
}

pub struct Shell {
    pub engine: Engine,
    config_path: PathBuf,
    config: Mutex<Config>,
    views: Mutex<BTreeMap<String, AccountView>>,
    pending_focus: Mutex<Option<FocusTarget>>,
    /// The engine's policy, fed by the engine's events, the tray, the panel and the clock.
    feed: Mutex<Feed>,
    /// The policy's clock: the real one, or the compressed one of `AVISO_CLOCK_*` (tests).
    clock: Clock,
    /// The desktop's do-not-disturb as last read, given again to a rebuilt policy.
    dnd: Mutex<bool>,
    /// Wakes `policy::drive` when the policy's next deadline may have moved (a
    /// notification, a snooze, new settings, a pause).
    policy_changed: tokio::sync::Notify,
    /// Fired silence alarms, (account, alarm): the tray's status line says so.
    silences: Mutex<BTreeSet<(String, String)>>,
    toasts: OnceLock<Mutex<Sender<Toast>>>,
    tray: OnceLock<Box<dyn TrayView>>,
    pub icon_path: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The app's language for a config (its `[desktop]` setting, else the OS's).
fn lang_of(config: &Config) -> Lang {
    Lang::resolve(
        &Settings::from_table(&config.desktop).language,
        sys_locale::get_locale().as_deref(),
    )
}

/// The end of the settings' pause while it lasts (real time).
fn pause_of(settings: &Settings) -> Option<Timestamp> {
    settings
        .paused_until
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok())
        .filter(|until| *until > Timestamp::now())
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
        detail: StateDetail::None,
        last_event_at: None,
        next_retry_at: None,
        unread: 0,
        poll_interval_secs: poll,
        badge: 0,
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
        let clock = Clock::from_env().unwrap_or_else(|e| {
            tracing::warn!("ignoring the test clock: {e}");
            Clock::real()
        });
        let lang = lang_of(&config);
        let (mut feed, errors) = policy::feed(&config, lang, clock, engine.store().clone());
        for e in &errors {
            tracing::warn!("config.toml: {e}");
        }
        if let Some(until) = pause_of(&Settings::from_table(&config.desktop)) {
            feed.policy_mut().pause(clock.at(until));
        }
        Shell {
            engine,
            config_path,
            config: Mutex::new(config),
            views: Mutex::new(views),
            pending_focus: Mutex::new(None),
            feed: Mutex::new(feed),
            clock,
            dnd: Mutex::new(false),
            policy_changed: tokio::sync::Notify::new(),
            silences: Mutex::new(BTreeSet::new()),
            toasts: OnceLock::new(),
            tray: OnceLock::new(),
            icon_path,
        }
    }

    pub fn set_tray(&self, tray: impl TrayView + 'static) {
        let _ = self.tray.set(Box::new(tray));
        self.refresh_tray();
    }

    pub fn set_toaster(&self, tx: Sender<Toast>) {
        let _ = self.toasts.set(Mutex::new(tx));
    }

    pub fn account_configs(&self) -> Vec<AccountConfig> {
        lock(&self.config).accounts.clone()
    }

    pub fn settings(&self) -> Settings {
        Settings::from_table(&lock(&self.config).desktop)
    }

    pub fn lang(&self) -> Lang {
        lang_of(&lock(&self.config))
    }

    pub fn toast_context(&self) -> toasts::Context {
        let s = self.settings();
        toasts::Context {
            lang: Lang::resolve(&s.language, sys_locale::get_locale().as_deref()),
            // A pause holds toasts in the policy (and its digest follows it); this is the
            // "show pop-ups" switch only.
            enabled: s.toasts,
            sound: s.sound,
            icon: self.icon_path.clone(),
        }
    }

    /// A notification from the engine, given to the policy.
    pub fn notification_arrived<R: Runtime>(&self, app: &AppHandle<R>, n: &Notification) {
        let decisions = lock(&self.feed).notification(n);
        self.policy_changed.notify_one();
        self.apply(app, decisions);
    }

    /// An engine error: a toast if it means notifications are being lost.
    pub fn engine_problem<R: Runtime>(&self, app: &AppHandle<R>, account: &str, code: ErrorCode) {
        let decisions = lock(&self.feed).problem(account, code);
        self.apply(app, decisions);
    }

    /// "Probar aviso": a test toast through the policy and the toaster, as real ones go.
    pub fn test_toast<R: Runtime>(&self, app: &AppHandle<R>, account: Option<&str>) {
        let decisions = lock(&self.feed).test_toast(account);
        self.apply(app, decisions);
    }

    /// Lets the policy's time pass (`policy::drive` calls it when the policy says).
    pub fn policy_tick<R: Runtime>(&self, app: &AppHandle<R>) {
        let decisions = lock(&self.feed).tick();
        self.apply(app, decisions);
    }

    /// How long `policy::drive` may sleep before the next tick (at most `cap`).
    pub fn policy_wait(&self, cap: std::time::Duration) -> std::time::Duration {
        lock(&self.feed).wait(cap)
    }

    /// Resolves when the policy's next deadline may have moved since the last call.
    pub async fn policy_changed(&self) {
        self.policy_changed.notified().await
    }

    /// The desktop's do-not-disturb changed.
    pub fn set_do_not_disturb<R: Runtime>(&self, app: &AppHandle<R>, on: bool) {
        *lock(&self.dnd) = on;
        let decisions = lock(&self.feed).set_do_not_disturb(on);
        self.apply(app, decisions);
    }

    /// Gives the policy the pause of the settings (the tray's and the panel's "pause 1 h"),
    /// or ends it: the digest of what it held follows.
    fn sync_pause<R: Runtime>(&self, app: &AppHandle<R>) {
        let decisions = {
            let mut feed = lock(&self.feed);
            match pause_of(&self.settings()) {
                Some(until) => {
                    feed.policy_mut().pause(self.clock.at(until));
                    Vec::new()
                }
                None => {
                    let now = feed.now();
                    feed.policy_mut().resume(now)
                }
            }
        };
        self.policy_changed.notify_one();
        self.apply(app, decisions);
    }

    /// Snoozes a notification until `when` (the engine's words: `1h`, `mañana 9:00`,
    /// `2026-12-08 09:00`, in the account's time zone); the same store row as `aviso-cli
    /// snooze`. Returns the time it comes back (RFC 3339).
    pub fn snooze<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        account: &str,
        id: &str,
        when: &str,
    ) -> Result<String, IpcError> {
        let decision = {
            let mut feed = lock(&self.feed);
            let tz = feed.policy().time_zone(account).clone();
            let until = aviso_engine::policy::schedule::parse_when(when, feed.now(), &tz)
                .ok_or_else(|| {
                    IpcError::new(
                        IpcCode::BadWhen,
                        format!("`{when}` is not a time in the future"),
                    )
                })?;
            feed.snooze(account, id, until)
                .map_err(IpcError::storage)?
                .ok_or_else(|| {
                    IpcError::new(
                        IpcCode::NotFound,
                        format!("no unread notification {id} in {account}"),
                    )
                })?
        };
        let until = match &decision {
            Decision::Snoozed { until, .. } => until.clone(),
            _ => String::new(),
        };
        self.policy_changed.notify_one();
        self.apply(app, vec![decision]);
        Ok(until)
    }

    /// Renders the policy's decisions: toasts to the toaster, snoozes and releases to the
    /// panel and the count, silence alarms to the tray. The rest (held, muted, the digest's
    /// data) only explains what the toasts say, and is logged.
    fn apply<R: Runtime>(&self, app: &AppHandle<R>, decisions: Vec<Decision>) {
        let mut tray = false;
        for d in decisions {
            match d {
                Decision::Toast(t) => {
                    if let Some(tx) = self.toasts.get() {
                        let _ = lock(tx).send(t);
                    }
                }
                Decision::Snoozed { account, id, until } => {
                    let payload = json!({"account": account, "id": id, "until": until});
                    let _ = app.emit(NOTIFICATION_SNOOZED, payload);
                    self.recount(app, &account);
                }
                Decision::Released { account, id } => {
                    match self.engine.store().get(&account, &id) {
                        Ok(Some(n)) => {
                            let _ = app.emit(NOTIFICATION_RELEASED, n);
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!("cannot read a released notification: {e}"),
                    }
                    self.recount(app, &account);
                }
                Decision::Silence { account, alarm, .. } => {
                    lock(&self.silences).insert((account, alarm));
                    tray = true;
                }
                Decision::SilenceCleared { account, alarm } => {
                    lock(&self.silences).remove(&(account, alarm));
                    tray = true;
                }
                other => tracing::info!(decision = ?other, "policy"),
            }
        }
        if tray {
            self.refresh_tray();
        }
    }

    /// An account's unread count changed outside the engine (a snooze began or ended).
    fn recount<R: Runtime>(&self, app: &AppHandle<R>, account: &str) {
        match self.engine.store().unread_count(Some(account)) {
            Ok(count) => {
                let total = self.set_unread(account, count);
                let payload = json!({"account": account, "count": count, "total": total});
                let _ = app.emit(UNREAD_CHANGED, payload);
                self.count_badge(account, Some(count));
                self.refresh_tray();
            }
            Err(e) => tracing::warn!("cannot count unread notifications: {e}"),
        }
    }

    /// Counts what the tray's badge shows of an account's unread notifications (the
    /// engine's policy leaves out what a `no_badge` rule matches), given its unread count
    /// when it is known. The caller redraws the tray.
    pub fn count_badge(&self, account: &str, unread: Option<u64>) {
        let badge = {
            let feed = lock(&self.feed);
            match unread {
                Some(unread) => feed.badge_of(account, unread),
                None => feed.badge_count(account),
            }
        };
        match badge {
            Ok(badge) => {
                if let Some(v) = lock(&self.views).get_mut(account) {
                    v.badge = badge;
                }
            }
            Err(e) => tracing::warn!("cannot count the badge: {e}"),
        }
    }

    /// Compiles the policy anew (its settings, the accounts or the language changed). What
    /// the old one held, gathered or was bursting goes on in the new one; the pause and
    /// do-not-disturb are given again, and the badge is counted with the new rules.
    fn rebuild_policy<R: Runtime>(&self, app: &AppHandle<R>) {
        let (policy, errors) = {
            let config = lock(&self.config);
            policy::compile(&config.policy, &config, lang_of(&config), self.clock)
        };
        for e in &errors {
            tracing::warn!("config.toml: {e}");
        }
        let (decisions, silent) = {
            let mut feed = lock(&self.feed);
            feed.replace_policy(policy);
            let decisions = feed.set_do_not_disturb(*lock(&self.dnd));
            (decisions, feed.policy().silent_alarms())
        };
        *lock(&self.silences) = silent.into_iter().collect();
        self.apply(app, decisions);
        self.sync_pause(app);
        let accounts: Vec<String> = lock(&self.views).keys().cloned().collect();
        for account in accounts {
            self.count_badge(&account, None);
        }
        self.refresh_tray();
    }

    pub fn policy_config(&self) -> PolicyConfig {
        lock(&self.config).policy.clone()
    }

    /// Checks `[policy]` as the engine reads it and saves it when nothing is wrong; the
    /// problems otherwise (code `bad_policy`), each in Spanish and English.
    pub fn set_policy<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        next_policy: PolicyConfig,
    ) -> Result<PolicyConfig, IpcError> {
        {
            let mut config = lock(&self.config);
            let lang = lang_of(&config);
            let (_, errors) = policy::compile(&next_policy, &config, lang, self.clock);
            if !errors.is_empty() {
                let message = errors
                    .iter()
                    .map(|e| e.message(i18n::policy_lang(lang)))
                    .collect::<Vec<_>>()
                    .join("\n");
                let mut error = IpcError::new(IpcCode::BadPolicy, message);
                error.problems = policy::problems(&errors);
                return Err(error);
            }
            self.update_config(&mut config, |c| c.policy = next_policy.clone())?;
        }
        self.rebuild_policy(app);
        Ok(next_policy)
    }

    /// Applies `change` to config.toml as it is on disk now (what `aviso-cli login` or an
    /// editor wrote while the app ran is kept) and takes the result as the app's config.
    /// Called with the config's lock held, so the app's own writes never interleave.
    fn update_config(
        &self,
        config: &mut Config,
        change: impl FnOnce(&mut Config),
    ) -> Result<(), IpcError> {
        *config = Config::update(&self.config_path, change).map_err(IpcError::storage)?;
        Ok(())
    }

    pub fn set_settings<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        settings: Settings,
    ) -> Result<Settings, IpcError> {
        settings.validate().map_err(IpcError::internal)?;
        crate::shortcut::parse(&settings.shortcut)
            .map_err(|m| IpcError::new(IpcCode::BadShortcut, m))?;
        let old_shortcut = self.settings().shortcut;
        if settings.shortcut.trim() != old_shortcut.trim() {
            // Taken before it is saved: a shortcut another program holds is refused and
            // the old one kept.
            if let Err(e) = crate::shortcut::apply(app, &settings.shortcut) {
                let _ = crate::shortcut::apply(app, &old_shortcut);
                return Err(IpcError::new(IpcCode::BadShortcut, e));
            }
        }
        let before = {
            let mut config = lock(&self.config);
            let before = Settings::from_table(&config.desktop);
            self.update_config(&mut config, |c| c.desktop = settings.to_table())?;
            before
        };
        crate::autostart::apply(app, settings.autostart);
        let _ = app.emit(SETTINGS_CHANGED, &settings);
        if before.language != settings.language {
            // The policy speaks the app's language (toasts, digests, alarms).
            self.rebuild_policy(app);
        } else if before.paused_until != settings.paused_until {
            self.sync_pause(app);
        }
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
        detail: StateDetail,
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
        let counted = self.settings().badge_accounts;
        let views = lock(&self.views);
        let total = aviso_engine::policy::badge_total(
            views.values().map(|v| (v.name.as_str(), v.badge)),
            counted.as_deref(),
        );
        let states: Vec<&AccountView> = views.values().collect();
        // The engine's fold, the one that makes an account's line of its channels: the
        // most urgent state stands for all of them.
        let state = aviso_engine::link::board::fold(states.iter().map(|v| v.state));
        let look = match state {
            Some(ConnState::NeedsLogin) => Look::NeedsLogin,
            Some(ConnState::Polling) => Look::Polling,
            Some(ConnState::Live) => Look::Live,
            Some(ConnState::Backoff | ConnState::Connecting | ConnState::Stopped) | None => {
                Look::Offline
            }
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
        // A problem that loses notifications (the words of its toast, while the account's
        // detail says it lasts), then a fired silence alarm ("no sale for 2 h"), are what
        // the person must see first.
        let problem = {
            let views = lock(&self.views);
            views.values().find_map(|v| {
                let code = v.detail.problem()?;
                aviso_engine::policy::problem_words(i18n::policy_lang(lang), &v.name, code)
            })
        };
        let status = {
            let silences = lock(&self.silences);
            match (problem, silences.iter().next()) {
                (Some((title, _)), _) => title,
                (None, Some((account, alarm))) => {
                    i18n::silence_line(lang, account, alarm, silences.len() - 1)
                }
                (None, None) => i18n::status_line(lang, state, transport, poll),
            }
        };
        tray.show(count, look, status, lang, paused);
        let stores: Vec<(String, String)> = lock(&self.views)
            .values()
            .map(|v| {
                (
                    v.name.clone(),
                    i18n::store_line(lang, &v.name, v.unread, v.state),
                )
            })
            .collect();
        tray.show_stores(&stores);
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
            .map_err(IpcError::storage)?
            .ok_or_else(|| {
                IpcError::new(
                    IpcCode::NotFound,
                    format!("no notification {id} in {account}"),
                )
            })?;
        self.mark_read(account, vec![id.to_string()]).await?;
        let Some(raw) = item.url.filter(|u| !u.trim().is_empty()) else {
            return Ok(());
        };
        let server = {
            let config = lock(&self.config);
            let a = config
                .account(account)
                .map_err(|e| IpcError::new(IpcCode::UnknownAccount, e.to_string()))?;
            parse_server(&a.server)
                .map_err(|e| IpcError::new(IpcCode::InvalidUrl, e.to_string()))?
        };
        match urls::safe_target(&server, &raw) {
            Ok(url) => {
                use tauri_plugin_opener::OpenerExt;
                app.opener()
                    .open_url(url.as_str(), None::<&str>)
                    .map_err(|e| {
                        IpcError::new(IpcCode::Internal, format!("cannot open the browser: {e}"))
                    })
            }
            Err(why) => {
                // Logged, not opened; the item was still shown and marked read.
                tracing::warn!(account, id, "refused to open a notification URL: {why}");
                Ok(())
            }
        }
    }

    /// Does what a click on the tray asks for.
    pub fn on_tray_action<R: Runtime>(self: &Arc<Self>, app: &AppHandle<R>, action: TrayAction) {
        match action {
            TrayAction::OpenPanel => {
                if let Err(e) = panel::show(app) {
                    tracing::warn!("cannot show the panel: {e}");
                }
            }
            TrayAction::TogglePanel => {
                if let Err(e) = panel::toggle(app) {
                    tracing::warn!("cannot toggle the panel: {e}");
                }
            }
            TrayAction::MarkAllRead => {
                let shell = self.clone();
                tauri::async_runtime::spawn(async move { shell.mark_all_read(None).await });
            }
            TrayAction::TogglePause => {
                // Off the menu's event handler: the pause redraws this very menu.
                let (shell, app) = (self.clone(), app.clone());
                tauri::async_runtime::spawn(async move { shell.toggle_pause(&app) });
            }
            TrayAction::Quit => {
                // `aviso-cli status` says at once that this Aviso stopped, with what it knew.
                let _ = self.engine.store().retire_health();
                app.exit(0)
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
            Action::Snooze { account, id, when } => {
                if let Err(e) = self.snooze(app, &account, &id, when) {
                    tracing::warn!("toast snooze: {}", e.message);
                }
            }
            Action::OpenPanel => {
                if let Err(e) = panel::show(app) {
                    tracing::warn!("cannot show the panel: {e}");
                }
            }
        }
    }

    pub async fn login<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        server: &str,
        profile: &str,
        username: &str,
        password: Secret,
        name: Option<String>,
    ) -> Result<AccountView, IpcError> {
        let (account, spec) = aviso_engine::accounts::new_account(
            server,
            profile,
            username,
            name.as_deref(),
            BTreeMap::new(),
        )?;
        let name = account.name.clone();
        self.engine
            .login(spec, username, password)
            .await
            .map_err(IpcError::from)?;
        {
            let mut config = lock(&self.config);
            self.update_config(&mut config, |c| c.upsert(account.clone()))?;
        }
        let view = view_of(&account);
        lock(&self.views).insert(name, view.clone());
        // The policy knows accounts by their profiles (payload paths, words per kind).
        self.rebuild_policy(app);
        Ok(view)
    }

    /// Renames a store (`Engine::rename_account`): its history, marks and tokens keep
    /// going under the new name; the badge setting and the panel's remembered filter follow.
    pub async fn rename_account<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        account: &str,
        new_name: &str,
    ) -> Result<AccountView, IpcError> {
        let renamed = self
            .engine
            .rename_account(&self.config_path, account, new_name)
            .await?;
        let to = renamed.name.clone();
        {
            let mut config = lock(&self.config);
            self.update_config(&mut config, |c| {
                let mut settings = Settings::from_table(&c.desktop);
                let rename = |n: &mut String| {
                    if n == account {
                        *n = to.clone();
                    }
                };
                settings
                    .badge_accounts
                    .iter_mut()
                    .flatten()
                    .for_each(rename);
                settings.view.account.iter_mut().for_each(rename);
                c.desktop = settings.to_table();
            })?;
        }
        let view = {
            let mut views = lock(&self.views);
            let mut view = views.remove(account).unwrap_or_else(|| view_of(&renamed));
            view.name = to.clone();
            // The link started again under the new name: its state so far.
            if let Some(h) = self.engine.health(Some(&to)).into_iter().next() {
                view.state = h.state;
                view.transport = h.transport;
                view.detail = h.detail;
                view.next_retry_at = h.next_retry_at;
            }
            views.insert(to.clone(), view.clone());
            view
        };
        let _ = app.emit(SETTINGS_CHANGED, self.settings());
        self.rebuild_policy(app);
        Ok(view)
    }

    pub async fn logout<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        account: &str,
    ) -> Result<(), IpcError> {
        self.engine.remove(account).await;
        aviso_engine::accounts::forget(
            self.engine.store(),
            &Arc::new(Credentials::keyring()),
            account,
        )
        .await?;
        {
            // Under the config's lock, as every write of the app's: none interleave.
            let mut config = lock(&self.config);
            self.update_config(&mut config, |c| c.remove(account))?;
        }
        lock(&self.views).remove(account);
        self.rebuild_policy(app);
        Ok(())
    }
}

/// Moves the policy's time and reads the desktop's do-not-disturb, for as long as the app
/// runs. It sleeps until the policy's next deadline (`Feed::wait`), or until a
/// notification, a snooze or new settings may have moved it.
pub async fn drive_policy<R: Runtime>(app: AppHandle<R>, shell: Arc<Shell>) {
    let mut dnd = aviso_engine::dnd::Poll::connect().await;
    loop {
        let mut wait = shell.policy_wait(policy::MAX_SLEEP);
        if let Some(due) = dnd.due_in() {
            wait = wait.min(due);
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shell.policy_changed() => continue,
        }
        if let Some(on) = dnd.poll().await {
            shell.set_do_not_disturb(&app, on);
        }
        shell.policy_tick(&app);
    }
}
