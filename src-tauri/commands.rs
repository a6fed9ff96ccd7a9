//! The UI's commands (docs/ipc.md): each validates, calls the shell once, maps the error.

use std::sync::Arc;

use aviso_engine::policy::PolicyConfig;
use aviso_engine::store::{Facets, ListQuery, SearchQuery, Segment, StorageProblem};
use aviso_engine::{EngineError, ErrorCode, Notification, Profile, Secret, StreamChannel};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};

use crate::ipc::IpcError;
use crate::panel::FocusTarget;
use crate::settings::Settings;
use crate::shell::{AccountView, Shell};

type Shared<'a> = State<'a, Arc<Shell>>;

#[derive(Debug, Deserialize)]
pub struct Cursor {
    created_at: String,
    id: String,
    /// The last item's account: where a grouped list goes on from.
    #[serde(default)]
    account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ProfileInfo {
    name: String,
    description: String,
}

#[tauri::command(rename_all = "snake_case")]
pub fn get_accounts(shell: Shared<'_>) -> Vec<AccountView> {
    shell.accounts()
}

#[tauri::command(rename_all = "snake_case")]
#[allow(clippy::too_many_arguments)]
pub fn list_notifications(
    shell: Shared<'_>,
    filter: String,
    before: Option<Cursor>,
    limit: usize,
    account: Option<String>,
    kind: Option<String>,
    group: Option<bool>,
) -> Result<Vec<Notification>, IpcError> {
    let before_account = before.as_ref().and_then(|c| c.account.clone());
    let query = ListQuery {
        account,
        kind,
        unread_only: filter == "unread",
        before: before.map(|c| (c.created_at, c.id)),
        before_account,
        group_by_account: group.unwrap_or(false),
        limit: limit.clamp(1, 500),
    };
    shell.engine.store().list(&query).map_err(IpcError::storage)
}

/// A search hit as the panel renders it: the notification, and its title and body cut into
/// matched and plain pieces (text, never markup).
#[derive(Debug, Serialize)]
pub struct SearchHit {
    notification: Notification,
    highlights: Highlights,
}

#[derive(Debug, Serialize)]
pub struct Highlights {
    title: Vec<Segment>,
    body: Vec<Segment>,
}

/// Full-text search of the store, newest first. Off the main thread: a query runs as the
/// person types.
#[tauri::command(rename_all = "snake_case")]
pub async fn search_notifications(
    shell: Shared<'_>,
    query: String,
    filter: String,
    account: Option<String>,
    kind: Option<String>,
    before: Option<Cursor>,
    limit: usize,
) -> Result<Vec<SearchHit>, IpcError> {
    let store = shell.engine.store().clone();
    let query = SearchQuery {
        text: query,
        account,
        kind,
        unread_only: filter == "unread",
        before: before.map(|c| (c.created_at, c.id)),
        limit: limit.clamp(1, 500),
    };
    let hits = tauri::async_runtime::spawn_blocking(move || store.search(&query))
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::storage)?;
    Ok(hits
        .into_iter()
        .map(|hit| SearchHit {
            highlights: Highlights {
                title: hit.title_segments(),
                body: hit.body_segments(),
            },
            notification: hit.notification,
        })
        .collect())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn mark_read(
    shell: Shared<'_>,
    account: String,
    ids: Vec<String>,
) -> Result<(), IpcError> {
    shell.mark_read(&account, ids).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn mark_all_read(shell: Shared<'_>, account: Option<String>) -> Result<(), IpcError> {
    shell.mark_all_read(account).await;
    Ok(())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn open_notification<R: Runtime>(
    app: AppHandle<R>,
    shell: Shared<'_>,
    account: String,
    id: String,
) -> Result<(), IpcError> {
    shell.open_notification(&app, &account, &id).await
}

#[tauri::command(rename_all = "snake_case")]
pub fn list_profiles() -> Vec<ProfileInfo> {
    Profile::presets()
        .into_iter()
        .map(|(name, description)| ProfileInfo { name, description })
        .collect()
}

#[tauri::command(rename_all = "snake_case")]
pub async fn login<R: Runtime>(
    app: AppHandle<R>,
    shell: Shared<'_>,
    server: String,
    profile: String,
    username: String,
    password: String,
    name: Option<String>,
) -> Result<AccountView, IpcError> {
    shell
        .login(
            &app,
            &server,
            &profile,
            &username,
            Secret::new(password),
            name,
        )
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn logout<R: Runtime>(
    app: AppHandle<R>,
    shell: Shared<'_>,
    account: String,
) -> Result<(), IpcError> {
    shell.logout(&app, &account).await
}

#[tauri::command(rename_all = "snake_case")]
pub fn get_settings(shell: Shared<'_>) -> Settings {
    shell.settings()
}

#[tauri::command(rename_all = "snake_case")]
pub fn set_settings<R: Runtime>(
    app: AppHandle<R>,
    shell: Shared<'_>,
    settings: Settings,
) -> Result<Settings, IpcError> {
    shell.set_settings(&app, settings)
}

/// Live stream channels (seed 002's channels, seed 003's dashboard) with their latest value.
#[tauri::command(rename_all = "snake_case")]
pub fn get_streams(shell: Shared<'_>) -> Vec<StreamChannel> {
    shell.engine.streams()
}

/// The connection health of `account` (every running account when `None`).
#[tauri::command(rename_all = "snake_case")]
pub fn get_health(
    shell: Shared<'_>,
    account: Option<String>,
) -> Result<Vec<aviso_engine::health::Health>, IpcError> {
    let facts = shell.engine.health(account.as_deref());
    match account {
        Some(name) if facts.is_empty() => Err(EngineError::UnknownAccount(name).into()),
        _ => Ok(facts),
    }
}

/// "Reconectar ahora": the account reconnects and catches up now.
#[tauri::command(rename_all = "snake_case")]
pub async fn reconnect(shell: Shared<'_>, account: String) -> Result<(), IpcError> {
    Ok(shell.engine.reconnect(&account).await?)
}

/// "Probar aviso": a test toast through the same path as real ones.
#[tauri::command(rename_all = "snake_case")]
pub fn test_toast<R: Runtime>(app: AppHandle<R>, shell: Shared<'_>, account: Option<String>) {
    shell.test_toast(&app, account.as_deref());
}

/// "Copiar diagnóstico": the health facts as text for a support request.
#[tauri::command(rename_all = "snake_case")]
pub fn get_diagnostics(shell: Shared<'_>) -> String {
    aviso_engine::health::diagnostic(
        &shell.engine.health(None),
        concat!("Aviso ", env!("CARGO_PKG_VERSION")),
    )
}

#[tauri::command(rename_all = "snake_case")]
pub fn get_locale() -> String {
    sys_locale::get_locale().unwrap_or_else(|| "en-US".into())
}

#[tauri::command(rename_all = "snake_case")]
pub fn take_pending_focus(shell: Shared<'_>) -> Option<FocusTarget> {
    shell.take_pending_focus()
}

/// `[policy]` of config.toml: rules, quiet hours, silence alarms (docs/policy.md).
#[tauri::command(rename_all = "snake_case")]
pub fn get_policy(shell: Shared<'_>) -> PolicyConfig {
    shell.policy_config()
}

/// Saves `[policy]` when the engine reads all of it; `bad_policy` with its problems if not.
#[tauri::command(rename_all = "snake_case")]
pub fn set_policy<R: Runtime>(
    app: AppHandle<R>,
    shell: Shared<'_>,
    policy: PolicyConfig,
) -> Result<PolicyConfig, IpcError> {
    shell.set_policy(&app, policy)
}

#[derive(Debug, Serialize)]
pub struct Snoozed {
    until: String,
}

/// Snoozes an unread notification until `when` (`1h`, `mañana 9:00`, `2026-12-08 09:00`).
#[tauri::command(rename_all = "snake_case")]
pub fn snooze<R: Runtime>(
    app: AppHandle<R>,
    shell: Shared<'_>,
    account: String,
    id: String,
    when: String,
) -> Result<Snoozed, IpcError> {
    shell
        .snooze(&app, &account, &id, &when)
        .map(|until| Snoozed { until })
}

/// The filter chips' counts: unread and stored per store, and per kind within `account`.
/// Off the main thread: it reads every stored notification.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_facets(shell: Shared<'_>, account: Option<String>) -> Result<Facets, IpcError> {
    let store = shell.engine.store().clone();
    tauri::async_runtime::spawn_blocking(move || store.facets(account.as_deref()))
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::storage)
}

/// Renames a store: its history, marks and tokens go with it.
#[tauri::command(rename_all = "snake_case")]
pub async fn rename_account<R: Runtime>(
    app: AppHandle<R>,
    shell: Shared<'_>,
    account: String,
    new_name: String,
) -> Result<AccountView, IpcError> {
    shell.rename_account(&app, &account, &new_name).await
}

/// What is wrong with the local database now (the panel's banners).
#[tauri::command(rename_all = "snake_case")]
pub fn get_storage(shell: Shared<'_>) -> Vec<StorageProblem> {
    shell.engine.store().problems()
}

/// The person read the `moved_aside` notice.
#[tauri::command(rename_all = "snake_case")]
pub fn dismiss_storage(shell: Shared<'_>, code: ErrorCode) {
    shell.engine.store().dismiss_problem(code);
}
