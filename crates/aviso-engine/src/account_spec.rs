//! `AccountSpec`: one account as the engine runs it (its name, server, profile and
//! parameters). Built from the accounts file (`config`) or by an embedder, read by the link,
//! the catch-up and the outbox; it depends on nothing but the profile, so none of those
//! modules needs another to name an account.

use std::collections::BTreeMap;
use std::sync::Arc;

use url::Url;

use crate::profile::Profile;

/// An account as the engine runs it.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    pub name: String,
    pub server: Url,
    pub profile: Arc<Profile>,
    pub params: BTreeMap<String, String>,
}

impl AccountSpec {
    /// The profile's `[params]` overlaid with the account's: what templates (URLs, alert
    /// thresholds) are rendered with.
    pub fn all_params(&self) -> BTreeMap<String, String> {
        let mut params = self.profile.params.clone();
        params.extend(self.params.clone());
        params
    }
}
