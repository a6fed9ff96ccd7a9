//! The desktop app's settings, kept in the `[desktop]` table of the shared `config.toml`
//! (the CLI keeps that table as it is).

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `auto` (the OS locale), `es` or `en`.
    pub language: String,
    pub toasts: bool,
    pub sound: bool,
    pub autostart: bool,
    /// Toasts are held back until then (RFC 3339); the panel and badge still update.
    pub paused_until: Option<String>,
    /// The global shortcut that opens and closes the panel (`shortcut.rs`); "" for none.
    pub shortcut: String,
    /// The stores the tray's badge counts; `None` for all of them.
    pub badge_accounts: Option<Vec<String>>,
    /// The panel's filter chips and grouping, as the person last left them.
    pub view: View,
}

/// What the panel shows: one store or all, one kind or all, grouped by store or not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct View {
    pub account: Option<String>,
    pub kind: Option<String>,
    pub group: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: "auto".into(),
            toasts: true,
            sound: false,
            autostart: false,
            paused_until: None,
            shortcut: crate::shortcut::DEFAULT.into(),
            badge_accounts: None,
            view: View::default(),
        }
    }
}

impl Settings {
    pub fn from_table(table: &toml::Table) -> Settings {
        toml::Value::Table(table.clone())
            .try_into()
            .unwrap_or_default()
    }

    pub fn to_table(&self) -> toml::Table {
        match toml::Value::try_from(self) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if !matches!(self.language.as_str(), "auto" | "es" | "en") {
            return Err(format!("unknown language `{}`", self.language));
        }
        if let Some(t) = &self.paused_until {
            OffsetDateTime::parse(t, &Rfc3339)
                .map_err(|_| format!("paused_until `{t}` is not RFC 3339"))?;
        }
        Ok(())
    }

    /// Whether toasts are paused at `now`.
    pub fn paused(&self, now: OffsetDateTime) -> bool {
        self.paused_until
            .as_deref()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .is_some_and(|until| until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_desktop_table_and_pauses() {
        let s = Settings {
            language: "es".into(),
            paused_until: Some("2030-01-01T00:00:00Z".into()),
            badge_accounts: Some(vec!["Tienda Centro".into()]),
            view: View {
                account: Some("Tienda Centro".into()),
                kind: None,
                group: true,
            },
            ..Settings::default()
        };
        let back = Settings::from_table(&s.to_table());
        assert_eq!(back, s);
        assert!(back.paused(OffsetDateTime::now_utc()));
        assert!(!Settings::default().paused(OffsetDateTime::now_utc()));
        assert!(Settings {
            language: "fr".into(),
            ..Settings::default()
        }
        .validate()
        .is_err());
    }
}
