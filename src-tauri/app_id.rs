//! The AppUserModelID that Aviso's toasts carry on Windows, and its registration for the
//! current user, so Windows shows "Aviso" and its icon on them (not "PowerShell" or an
//! unknown app) whether or not the installer made the Start-menu shortcut.
//!
//! Microsoft documents two ways for an unpackaged desktop app to own its toasts: a
//! Start-menu shortcut carrying `System.AppUserModel.ID` (our installer writes one), or the
//! per-user registration under `HKCU\Software\Classes\AppUserModelId\<AUMID>` with
//! `DisplayName` and `IconUri` (what the Windows App SDK writes for unpackaged apps). The app
//! writes the second at every start, so a copied or moved `aviso.exe` still toasts as Aviso.

/// Also the bundle identifier in `tauri.conf.json`, and the id the installer gives its
/// shortcut (`scripts/windows/installer.nsi`).
pub const APP_USER_MODEL_ID: &str = "app.aviso.desktop";

/// The registry key of the per-user registration.
#[cfg_attr(
    not(any(target_os = "windows", test)),
    expect(dead_code, reason = "Windows only")
)]
fn registration_key() -> String {
    format!(r"Software\Classes\AppUserModelId\{APP_USER_MODEL_ID}")
}

/// Writes the registration (Windows); nothing elsewhere. A failure costs only the name and
/// icon on toasts, so it is logged, never fatal.
pub fn register(icon: Option<&str>) {
    #[cfg(target_os = "windows")]
    {
        let result = windows_registry::CURRENT_USER
            .create(registration_key())
            .and_then(|key| {
                key.set_string("DisplayName", "Aviso")?;
                if let Some(icon) = icon {
                    key.set_string("IconUri", icon)?;
                }
                Ok(())
            });
        if let Err(e) = result {
            tracing::warn!("cannot register Aviso's toasts with Windows: {e}");
        }
    }
    #[cfg(not(target_os = "windows"))]
    let _ = icon;
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_id_is_the_bundle_identifier() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        assert_eq!(conf["identifier"], super::APP_USER_MODEL_ID);
        assert_eq!(
            super::registration_key(),
            r"Software\Classes\AppUserModelId\app.aviso.desktop"
        );
    }
}
