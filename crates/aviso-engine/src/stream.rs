//! Stream channels: live values that are not notifications (seed 002's five channels, seed
//! 003's `dashboard:update`, a server's health). The engine keeps the latest value and the
//! state of each channel in memory, for the embedder's live view ([`crate::Engine::streams`]).
//!
//! Memory, not the store: a live value is worth showing only while it is live; after a
//! restart the server sends current values again on connect (or the first poll reads them).
//! The map sits behind a `std::sync::Mutex` for the store's reason: each critical section is
//! a short map operation that never crosses an `.await`.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use crate::model::{StreamChannel, StreamState};

#[derive(Default)]
pub struct Streams {
    channels: Mutex<BTreeMap<(String, String), StreamChannel>>,
}

impl Streams {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<(String, String), StreamChannel>> {
        // A panic mid-update leaves at worst one stale value: keep serving.
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn entry<'a>(
        map: &'a mut BTreeMap<(String, String), StreamChannel>,
        account: &str,
        channel: &str,
    ) -> &'a mut StreamChannel {
        map.entry((account.to_string(), channel.to_string()))
            .or_insert_with(|| StreamChannel {
                account: account.to_string(),
                channel: channel.to_string(),
                state: StreamState::Closed,
                last_update: None,
                event: None,
                data: Value::Null,
            })
    }

    /// Makes a channel known (closed, no value yet) so the live view lists it at once.
    pub fn declare(&self, account: &str, channel: &str) {
        Streams::entry(&mut self.lock(), account, channel);
    }

    /// Records a value received at `now` (RFC 3339). Returns false when it equals the
    /// latest one (a `request_data` answer repeating it): nothing to tell anyone.
    pub fn update(
        &self,
        account: &str,
        channel: &str,
        event: &str,
        data: &Value,
        now: &str,
    ) -> bool {
        let mut map = self.lock();
        let entry = Streams::entry(&mut map, account, channel);
        entry.last_update = Some(now.to_string());
        if entry.event.as_deref() == Some(event) && entry.data == *data {
            return false;
        }
        entry.event = Some(event.to_string());
        entry.data = data.clone();
        true
    }

    /// Sets a channel's state; returns the channel when the state changed.
    pub fn set_state(
        &self,
        account: &str,
        channel: &str,
        state: StreamState,
    ) -> Option<StreamChannel> {
        let mut map = self.lock();
        let entry = Streams::entry(&mut map, account, channel);
        if entry.state == state {
            return None;
        }
        entry.state = state;
        Some(entry.clone())
    }

    /// Every channel, by account then channel name.
    pub fn list(&self) -> Vec<StreamChannel> {
        self.lock().values().cloned().collect()
    }

    /// Forgets an account's channels (the account was removed).
    pub fn forget(&self, account: &str) {
        self.lock().retain(|(a, _), _| a != account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_latest_value_and_reports_only_changes() {
        let s = Streams::default();
        s.declare("a", "heart_rate_today");
        assert_eq!(s.list()[0].state, StreamState::Closed);
        assert!(s.update(
            "a",
            "heart_rate_today",
            "heart_rate_update",
            &json!({"actual": 80}),
            "t1"
        ));
        assert!(!s.update(
            "a",
            "heart_rate_today",
            "heart_rate_update",
            &json!({"actual": 80}),
            "t2"
        ));
        assert!(s.update(
            "a",
            "heart_rate_today",
            "heart_rate_update",
            &json!({"actual": 90}),
            "t3"
        ));
        let c = &s.list()[0];
        assert_eq!(c.data["actual"], 90);
        assert_eq!(c.last_update.as_deref(), Some("t3"));
        assert!(s
            .set_state("a", "heart_rate_today", StreamState::Open)
            .is_some());
        assert!(s
            .set_state("a", "heart_rate_today", StreamState::Open)
            .is_none());
        s.forget("a");
        assert!(s.list().is_empty());
    }
}
