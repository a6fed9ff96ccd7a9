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
use crate::store::{ListQuery, Store, StoreError};

/// How often the store's snoozes are read: another process (`aviso-cli snooze`) may write
/// them, and a snooze is a matter of minutes, so a second late is on time. It is also what
/// wakes an idle embedder ([`Feed::wait`]): once a second, the pace at which the shells
/// read the desktop's do-not-disturb anyway.
const SNOOZE_SYNC: Duration = Duration::from_secs(1);
/// A tick this close before the next read of the snoozes reads them already, so an
/// embedder's other once-a-second work (the shells read do-not-disturb) shares the wake-up.
const SNOOZE_SYNC_SLACK: Duration = Duration::from_millis(100);
/// The least [`Feed::wait`] returns: a deadline that a tick somehow does not move on
/// (a wall clock read oddly) costs a wake-up every few milliseconds, not a spinning core.
const MIN_WAIT: Duration = Duration::from_millis(5);
/// How many unread notifications [`Feed::badge_count`] reads at a time.
const BADGE_PAGE: usize = 500;

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

    /// New settings, compiled into `policy`, take effect; what the old policy held,
    /// gathered or was bursting goes on in the new one ([`Policy::take_over`]).
    pub fn replace_policy(&mut self, policy: Policy) {
        let previous = std::mem::replace(&mut self.policy, policy);
        self.policy.take_over(previous);
    }

    /// How many of `account`'s unread notifications the tray's badge counts: the store's
    /// unread count (snoozed ones are not unread) less those a `no_badge` rule leaves out.
    /// Rules may look at any field, so when an account has such a rule its unread
    /// notifications are read and matched, a page at a time; without one this is the
    /// store's count.
    pub fn badge_count(&self, account: &str) -> Result<u64, StoreError> {
        if !self.policy.hides_from_badge(account) {
            return self.store.unread_count(Some(account));
        }
        let mut count = 0;
        let mut before = None;
        loop {
            let page = self.store.list(&ListQuery {
                account: Some(account.to_string()),
                unread_only: true,
                before,
                limit: BADGE_PAGE,
                ..Default::default()
            })?;
            count += page
                .iter()
                .filter(|n| self.policy.counts_on_badge(n))
                .count() as u64;
            match page.last() {
                Some(last) if page.len() == BADGE_PAGE => {
                    before = Some((last.created_at.clone(), last.id.clone()));
                }
                _ => return Ok(count),
            }
        }
    }

    /// [`Feed::badge_count`] for an account whose unread count is known (the engine's
    /// `Unread` event): that count itself unless a `no_badge` rule may leave some out.
    pub fn badge_of(&self, account: &str, unread: u64) -> Result<u64, StoreError> {
        if self.policy.hides_from_badge(account) {
            self.badge_count(account)
        } else {
            Ok(unread)
        }
    }

    /// When the policy next needs a tick, in its time ([`Policy::next_deadline`]).
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.policy.next_deadline(self.clock.now())
    }

    /// How long an embedder may sleep before it calls [`Feed::tick`]: until the policy's
    /// next deadline or the next read of the store's snoozes, at most `cap` (a cap, so a
    /// wall clock set forward is noticed; the policy's time is the wall clock's). Ask again
    /// after each notification and each change of settings, pause or do-not-disturb: those
    /// move the deadline.
    pub fn wait(&self, cap: Duration) -> Duration {
        let now = self.clock.now();
        let mut wait = cap;
        if let Some(due) = self.policy.next_deadline(now) {
            wait = wait.min(self.clock.real_until(now, due));
        }
        let sync = match self.synced {
            Some(t) => SNOOZE_SYNC.saturating_sub(t.elapsed()),
            None => Duration::ZERO,
        };
        wait.min(sync).max(MIN_WAIT)
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

    /// An engine error: a toast if it means notifications are being lost
    /// ([`Policy::problem`]).
    pub fn problem(&mut self, account: &str, code: crate::ErrorCode) -> Vec<Decision> {
        self.policy.problem(account, code)
    }

    /// A test toast the user asked for ([`Policy::test_toast`]).
    pub fn test_toast(&mut self, account: Option<&str>) -> Vec<Decision> {
        self.policy.test_toast(account)
    }

    /// Lets time pass (call it when [`Feed::wait`] says). After a `snoozed` or `released`
    /// decision the account's unread count changed.
    pub fn tick(&mut self) -> Vec<Decision> {
        let now = self.clock.now();
        self.tick_at(now)
    }

    /// [`Feed::tick`] at a given time (tests).
    pub fn tick_at(&mut self, now: Timestamp) -> Vec<Decision> {
        let mut out = Vec::new();
        if self
            .synced
            .is_none_or(|t| t.elapsed() + SNOOZE_SYNC_SLACK >= SNOOZE_SYNC)
        {
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
        // As precise as the store keeps it (microseconds): the next sync then finds the
        // same time there, and does not announce the snooze a second time.
        let until = Timestamp::from_microsecond(until.as_microsecond()).unwrap_or(until);
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

    fn with_rules(store: &Arc<Store>, rules: &str) -> Feed {
        let mut config: PolicyConfig = toml::from_str(rules).unwrap();
        config.time_zone = "UTC".into();
        let (policy, errors) = Policy::new(
            &config,
            vec![Account {
                name: "tienda".into(),
                ..Account::default()
            }],
            Lang::En,
            Timestamp::now(),
        );
        assert!(errors.is_empty(), "{errors:?}");
        Feed::new(policy, Clock::real(), store.clone())
    }

    fn of_kind(id: usize, kind: &str) -> Notification {
        Notification {
            kind: kind.into(),
            // Distinct times: the badge reads the unread list a page at a time.
            created_at: format!("2099-12-08T12:{:02}:{:02}Z", id / 60 % 60, id % 60),
            ..n(&id.to_string())
        }
    }

    #[test]
    fn the_badge_leaves_out_what_a_no_badge_rule_matches() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        // 1200 unread: every third a low-stock warning the rule keeps off the badge (more
        // than two pages of the unread list).
        let items: Vec<Notification> = (0..1200)
            .map(|i| {
                of_kind(
                    i,
                    if i % 3 == 0 {
                        "stock_bajo"
                    } else {
                        "nueva_compra"
                    },
                )
            })
            .collect();
        store.ingest(items.as_slice()).unwrap();
        let rules = r#"
            [[rules]]
            name = "sin contador"
            kind = "stock_*"
            action = "no_badge"
        "#;
        let f = with_rules(&store, rules);
        assert_eq!(store.unread_count(Some("tienda")).unwrap(), 1200);
        assert_eq!(f.badge_count("tienda").unwrap(), 800);
        // Read and snoozed ones are not unread: counted neither way.
        store
            .mark_read("tienda", &["1".into(), "3".into()], false)
            .unwrap();
        let until: Timestamp = "2099-12-09T13:00:00Z".parse().unwrap();
        store.snooze("tienda", "2", until).unwrap();
        store.snooze("tienda", "6", until).unwrap();
        assert_eq!(f.badge_count("tienda").unwrap(), 798);
        // They stay unread in the list (and in its count).
        assert_eq!(store.unread_count(Some("tienda")).unwrap(), 1196);
        // Without the rule the badge is the unread count.
        assert_eq!(with_rules(&store, "").badge_count("tienda").unwrap(), 1196);
        assert_eq!(
            with_rules(&store, "").badge_of("tienda", 1196).unwrap(),
            1196
        );
        assert_eq!(f.badge_of("tienda", 1196).unwrap(), 798);
    }

    #[test]
    fn an_idle_feed_waits_until_something_is_due() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let mut f = with_rules(&store, "");
        let cap = Duration::from_secs(60);
        // Not synced with the store yet: at once.
        assert_eq!(f.wait(cap), MIN_WAIT);
        let _ = f.tick();
        // Idle: the next read of the store's snoozes.
        let idle = f.wait(cap);
        assert!(
            idle > Duration::from_millis(900) && idle <= SNOOZE_SYNC,
            "{idle:?}"
        );
        // A notification gathers for 400 ms.
        let _ = f.notification(&n("1"));
        let gathering = f.wait(cap);
        assert!(
            gathering > Duration::from_millis(300) && gathering <= Duration::from_millis(400),
            "{gathering:?}"
        );
        assert!(f.next_deadline().is_some());
        assert_eq!(f.wait(Duration::from_millis(50)), Duration::from_millis(50));
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
        // This process snoozes 2 through the feed, to a time finer than the store keeps:
        // announced once, not again when the store is read.
        let fine = until + jiff::SignedDuration::from_nanos(123_456_789);
        let d = f.snooze("tienda", "2", fine).unwrap();
        assert!(matches!(d, Some(Decision::Snoozed { .. })));
        f.synced = None;
        let again = f.tick_at(t0);
        assert!(
            !again.iter().any(|d| matches!(d, Decision::Snoozed { .. })),
            "{again:?}"
        );
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
