//! The policy fed from the engine and the store: what an embedder holds (the CLI's
//! `watch --toasts`, the desktop shell's toast thread). It gives the pure [`Policy`] the
//! time from a [`Clock`], keeps it in step with the snoozes in the store (written by this
//! process or by `aviso-cli snooze`), and ends a snooze in the store when it falls due. The
//! embedder only renders the decisions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::{Clock, Decision, Policy};
use crate::model::Notification;
use crate::store::{Store, StoreError};

/// How often the store's snoozes are read: another process may write them, and a snooze is
/// a matter of minutes, so half a second late is on time.
const SNOOZE_SYNC: Duration = Duration::from_millis(500);

pub struct Feed {
    policy: Policy,
    clock: Clock,
    store: Arc<Store>,
    /// The snoozes the policy was given, with their times.
    known: HashMap<(String, String), Timestamp>,
    synced: Option<Instant>,
}

impl Feed {
    pub fn new(policy: Policy, clock: Clock, store: Arc<Store>) -> Feed {
        Feed {
            policy,
            clock,
            store,
            known: HashMap::new(),
            synced: None,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// For the shell's pause and do-not-disturb.
    pub fn policy_mut(&mut self) -> &mut Policy {
        &mut self.policy
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The desktop's do-not-disturb changed (see `crate::dnd`): held while on, the digest
    /// when it ends.
    pub fn set_do_not_disturb(&mut self, on: bool) -> Vec<Decision> {
        let now = self.clock.now();
        self.policy.set_do_not_disturb(on, now)
    }

    /// A new notification from the engine.
    pub fn notification(&mut self, n: &Notification) -> Vec<Decision> {
        let late = self.policy.is_late(n, Timestamp::now());
        self.policy.notification(n, self.clock.now(), late)
    }

    /// Lets time pass (call it every ~100-250 ms). After a `snoozed` or `released` decision
    /// the account's unread count changed.
    pub fn tick(&mut self) -> Vec<Decision> {
        let now = self.clock.now();
        self.tick_at(now)
    }

    /// [`Feed::tick`] at a given time (tests).
    pub fn tick_at(&mut self, now: Timestamp) -> Vec<Decision> {
        let mut out = Vec::new();
        if self.synced.is_none_or(|t| t.elapsed() >= SNOOZE_SYNC) {
            self.synced = Some(Instant::now());
            out.extend(self.sync());
        }
        out.extend(self.policy.tick(now));
        for d in &out {
            if let Decision::Released { account, id } = d {
                self.known.remove(&(account.clone(), id.clone()));
                if let Err(e) = self.store.unsnooze(account, id) {
                    tracing::warn!("cannot end the snooze of {account}#{id}: {e}");
                }
            }
        }
        out
    }

    /// Snoozes a notification (the toast's and the panel's "Recordar en 1 h"). `None` when
    /// there is no such unread notification.
    pub fn snooze(
        &mut self,
        account: &str,
        id: &str,
        until: Timestamp,
    ) -> Result<Option<Decision>, StoreError> {
        if !self.store.snooze(account, id, until)? {
            return Ok(None);
        }
        let Some(n) = self.store.get(account, id)? else {
            return Ok(None);
        };
        self.known
            .insert((account.to_string(), id.to_string()), until);
        Ok(Some(self.policy.snooze(&n, until)))
    }

    /// Gives the policy the snoozes it does not know yet, and takes back those that ended
    /// elsewhere (read meanwhile, or un-snoozed by another process).
    fn sync(&mut self) -> Vec<Decision> {
        let stored = match self.store.snoozes() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot read snoozes: {e}");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        let mut now_known = HashMap::new();
        for (n, until) in stored {
            let key = (n.account.clone(), n.id.clone());
            if self.known.get(&key) != Some(&until) {
                out.push(self.policy.snooze(&n, until));
            }
            now_known.insert(key, until);
        }
        for (account, id) in self.known.keys() {
            if !now_known.contains_key(&(account.clone(), id.clone())) {
                self.policy.unsnooze(account, id);
            }
        }
        self.known = now_known;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Account, Lang, PolicyConfig, ToastKind};

    fn n(id: &str) -> Notification {
        Notification {
            account: "tienda".into(),
            id: id.into(),
            kind: "nueva_compra".into(),
            title: format!("Compra {id}"),
            body: "b".into(),
            url: None,
            created_at: "2099-12-08T12:00:00Z".into(),
            read: false,
            data: serde_json::json!({}),
        }
    }

    fn feed(store: &Arc<Store>, now: Timestamp) -> Feed {
        let (policy, errors) = Policy::new(
            &PolicyConfig {
                time_zone: "UTC".into(),
                ..PolicyConfig::default()
            },
            vec![Account {
                name: "tienda".into(),
                ..Account::default()
            }],
            Lang::En,
            now,
        );
        assert!(errors.is_empty());
        Feed::new(policy, Clock::real(), store.clone())
    }

    #[test]
    fn snoozes_written_elsewhere_come_back_and_end_in_the_store() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        store.ingest(&[n("1"), n("2")]).unwrap();
        let t0: Timestamp = "2099-12-08T12:00:00Z".parse().unwrap();
        let mut f = feed(&store, t0);
        // Another process snoozes 1 for an hour.
        let until: Timestamp = "2099-12-08T13:00:00Z".parse().unwrap();
        store.snooze("tienda", "1", until).unwrap();
        let out = f.tick_at(t0);
        assert!(
            matches!(&out[0], Decision::Snoozed { id, .. } if id == "1"),
            "{out:?}"
        );
        assert_eq!(store.unread_count(Some("tienda")).unwrap(), 1);
        // This process snoozes 2 through the feed.
        let d = f.snooze("tienda", "2", until).unwrap();
        assert!(matches!(d, Some(Decision::Snoozed { .. })));
        assert_eq!(f.snooze("tienda", "9", until).unwrap(), None);
        // 2 is read elsewhere meanwhile: its snooze ends without a reminder.
        store.mark_read("tienda", &["2".into()], false).unwrap();
        f.synced = None;
        let out = f.tick_at("2099-12-08T13:00:00Z".parse().unwrap());
        let reminders: Vec<_> = out
            .iter()
            .filter_map(|d| match d {
                Decision::Toast(t) if t.kind == ToastKind::Reminder => Some(t.title.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(reminders, ["Reminder: Compra 1"]);
        assert!(store.snoozes().unwrap().is_empty());
        assert_eq!(store.unread_count(Some("tienda")).unwrap(), 1);
    }
}
