//! Twins: one server event delivered twice, under a generic and a specific name
//! (`business_event` and `reserva:creada`), or wrapped in an envelope and bare. A
//! NestJS gateway written from seed 003's frontend code sends both. Each event is shown
//! once, whichever twin comes first; two equal events sent by the same route stay two.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::frame::{content_key, TwinKey};
use crate::model::Notification;

/// Twins arrive together (one server call emits both); this is generous.
pub const WINDOW: Duration = Duration::from_secs(5);
/// Ids given up for a twin's, remembered for catch-ups (a history endpoint lists the
/// wrapped twin's id).
const MAX_ALIASES: usize = 4096;

#[derive(Debug)]
struct Seen {
    key: TwinKey,
    id: String,
    at: Instant,
    paired: bool,
}

/// One account's recent id-less events.
#[derive(Debug, Default)]
pub struct Twins {
    recent: VecDeque<Seen>,
    /// How many of `recent` have each content: most events have no twin, and are let
    /// through without a scan (a busy store's flood stays linear).
    contents: HashMap<u64, usize>,
    aliases: HashMap<String, String>,
    alias_order: VecDeque<String>,
}

impl Twins {
    /// The notification as it should be stored: a twin takes the id of the event it
    /// twins (so the store keeps one; the flag says so); a timeless event whose id is
    /// already taken (`taken`: stored, or just seen) is a new event and gets a fresh one.
    pub fn admit(
        &mut self,
        mut n: Notification,
        key: TwinKey,
        now: Instant,
        taken: impl Fn(&str) -> bool,
    ) -> (Notification, bool) {
        self.forget_before(now);
        if !key.timeless {
            // Its twin came first by a catch-up (see `settle`).
            if let Some(kept) = self.aliases.get(&n.id) {
                n.id = kept.clone();
                return (n, true);
            }
        }
        let twin_of = self
            .contents
            .contains_key(&key.content)
            .then(|| {
                self.recent
                    .iter_mut()
                    .find(|s| !s.paired && s.key.content == key.content && s.key.route != key.route)
            })
            .flatten();
        if let Some(first) = twin_of {
            first.paired = true;
            let kept = first.id.clone();
            if n.id != kept {
                let given_up = std::mem::replace(&mut n.id, kept.clone());
                // A timeless id is every equal event's: never an alias.
                if !key.timeless {
                    self.alias(given_up, kept);
                }
            }
            return (n, true);
        }
        if key.timeless {
            // An equal id has equal content: without that content, nothing recent has it.
            let maybe_recent = self.contents.contains_key(&key.content);
            let seen =
                |id: &str| taken(id) || (maybe_recent && self.recent.iter().any(|s| s.id == id));
            if seen(&n.id) {
                let base = format!("{}-{}", n.id, unix_millis());
                let mut id = base.clone();
                let mut k = 2;
                while seen(&id) {
                    id = format!("{base}-{k}");
                    k += 1;
                }
                n.id = id;
            }
        }
        *self.contents.entry(key.content).or_default() += 1;
        self.recent.push_back(Seen {
            key,
            id: n.id.clone(),
            at: now,
            paired: false,
        });
        (n, false)
    }

    fn alias(&mut self, given_up: String, kept: String) {
        if self.aliases.insert(given_up.clone(), kept).is_none() {
            self.alias_order.push_back(given_up);
        }
        while self.alias_order.len() > MAX_ALIASES {
            if let Some(old) = self.alias_order.pop_front() {
                self.aliases.remove(&old);
            }
        }
    }

    fn forget_before(&mut self, now: Instant) {
        while self
            .recent
            .front()
            .is_some_and(|s| now.duration_since(s.at) > WINDOW)
        {
            let Some(gone) = self.recent.pop_front() else {
                break;
            };
            if let Some(n) = self.contents.get_mut(&gone.key.content) {
                *n -= 1;
                if *n == 0 {
                    self.contents.remove(&gone.key.content);
                }
            }
        }
    }

    /// Items of a catch-up (a history lists each event once, with its own time) under the
    /// ids their twins were shown with: an alias, or a timeless event just received live
    /// whose wrapped twin the history lists before the socket delivered it.
    pub fn settle(&mut self, items: &mut [Notification], now: Instant) {
        self.forget_before(now);
        for n in items {
            if let Some(kept) = self.aliases.get(&n.id) {
                n.id = kept.clone();
                continue;
            }
            let content = content_key(n);
            if !self.contents.contains_key(&content) {
                continue;
            }
            if let Some(first) = self
                .recent
                .iter_mut()
                .find(|s| !s.paired && s.key.timeless && s.key.content == content)
            {
                first.paired = true;
                let kept = first.id.clone();
                let given_up = std::mem::replace(&mut n.id, kept.clone());
                self.alias(given_up, kept);
            }
        }
    }
}

fn unix_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: &str) -> Notification {
        Notification {
            account: "a".into(),
            id: id.into(),
            kind: "k".into(),
            title: "t".into(),
            body: String::new(),
            url: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            read: false,
            data: serde_json::Value::Null,
        }
    }

    fn key(content: u64, route: u64, timeless: bool) -> TwinKey {
        TwinKey {
            content,
            route,
            timeless,
        }
    }

    #[test]
    fn a_twin_takes_the_first_ones_id_in_either_order() {
        let t0 = Instant::now();
        let mut twins = Twins::default();
        let (bare, twin) = twins.admit(n("bare"), key(1, 10, true), t0, |_| false);
        assert_eq!((bare.id.as_str(), twin), ("bare", false));
        let (wrapped, twin) = twins.admit(n("wrapped"), key(1, 20, false), t0, |_| false);
        assert_eq!(wrapped.id, "bare", "the wrapped twin is the same event");
        assert!(twin);
        let mut replay = vec![n("wrapped"), n("other")];
        twins.settle(&mut replay, t0);
        assert_eq!(
            replay[0].id, "bare",
            "a catch-up lists the wrapped twin's id"
        );
        assert_eq!(replay[1].id, "other");

        let mut twins = Twins::default();
        let (wrapped, _) = twins.admit(n("wrapped"), key(1, 20, false), t0, |_| false);
        let (bare, _) = twins.admit(n("bare"), key(1, 10, true), t0, |_| false);
        assert_eq!(
            (wrapped.id.as_str(), bare.id.as_str()),
            ("wrapped", "wrapped")
        );
    }

    #[test]
    fn equal_events_by_one_route_stay_two() {
        let t0 = Instant::now();
        let mut twins = Twins::default();
        let (a, _) = twins.admit(n("h1"), key(1, 10, true), t0, |_| false);
        let (b, _) = twins.admit(
            n("h1"),
            key(1, 10, true),
            t0 + Duration::from_secs(1),
            |_| false,
        );
        assert_eq!(a.id, "h1");
        assert_ne!(b.id, "h1", "a second equal sale is a second event");
        // Each has its own twin.
        let (a2, _) = twins.admit(
            n("w1"),
            key(1, 20, false),
            t0 + Duration::from_secs(1),
            |_| false,
        );
        let (b2, _) = twins.admit(
            n("w2"),
            key(1, 20, false),
            t0 + Duration::from_secs(1),
            |_| false,
        );
        assert_eq!((a2.id, b2.id), (a.id, b.id));
        // A third wrapped one has no twin left: an event of its own.
        let (c, _) = twins.admit(
            n("w3"),
            key(1, 20, false),
            t0 + Duration::from_secs(2),
            |_| false,
        );
        assert_eq!(c.id, "w3");
    }

    #[test]
    fn a_timeless_event_already_stored_is_a_new_one_and_twins_expire() {
        let t0 = Instant::now();
        let mut twins = Twins::default();
        let (a, _) = twins.admit(n("h1"), key(1, 10, true), t0, |id| id == "h1");
        assert!(a.id.starts_with("h1-"), "{}", a.id);
        let (late, _) = twins.admit(n("w"), key(1, 20, false), t0 + WINDOW * 2, |_| false);
        assert_eq!(late.id, "w", "too late to be a twin");
    }

    /// Specific first: the bare twin is stored, a catch-up lists the wrapped one before
    /// the socket delivers it. Shown once, and the live wrapped one is then its twin.
    #[test]
    fn a_history_listing_a_twin_first_is_settled_onto_it() {
        let t0 = Instant::now();
        let mut twins = Twins::default();
        let bare = n("bare");
        let content = content_key(&bare);
        let _ = twins.admit(bare, key(content, 10, true), t0, |_| false);
        let mut listed = vec![n("wrapped")];
        twins.settle(&mut listed, t0);
        assert_eq!(listed[0].id, "bare");
        let (live, twin) = twins.admit(n("wrapped"), key(content, 20, false), t0, |_| false);
        assert_eq!((live.id.as_str(), twin), ("bare", true));
        // A second equal bare event is not mistaken for the first.
        let (again, twin) = twins.admit(n("bare"), key(content, 10, true), t0, |id| id == "bare");
        assert!(again.id != "bare" && !twin);
    }
}
