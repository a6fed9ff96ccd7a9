//! The notification policy: one pure fold that decides, for the notifications that arrived,
//! the settings, the rules and the time (always passed in), what to show, what to hold,
//! what to count and what to say later. The desktop shell and `aviso-cli watch --toasts`
//! only render its [`Decision`]s. Nothing it decides removes a notification from the store:
//! rules shape attention, not data.
//!
//! # Layout
//!
//! - [`rules`]: match on kind, payload comparisons and text; first match wins.
//! - [`schedule`]: weekly windows in a time zone (quiet hours, watched hours), durations.
//! - [`digest`]: counts per kind and amount totals per store, in words.
//! - [`silence`]: "no sale for 2 h" alarms.
//! - [`clock`]: the embedder's clock (real, or compressed for tests).
//! - [`feed`]: the policy fed from the engine and the store (time, snoozes): what an
//!   embedder holds.
//! - [`error`]: errors naming the item and key, in Spanish and English; [`Lang`].
//!
//! # How an embedder drives it
//!
//! Build it with [`Policy::new`] from `config.toml`'s `[policy]` and the accounts
//! ([`Account::from_profile`]), wrap it in a [`Feed`] with a [`Clock`] and the store; give
//! each new notification to [`Feed::notification`] and call [`Feed::tick`] when
//! [`Feed::wait`] says (bursts, quiet hours, snoozes and alarms move on ticks; between
//! them there is nothing to do); render the [`Decision::Toast`]s (a toast with `replaces`
//! updates the toast of the same `slot` in place) and print or forward the rest. Count
//! the tray's badge with [`Feed::badge_count`]; give new settings to
//! [`Feed::replace_policy`]. `aviso-cli watch --toasts` and the desktop shell do exactly
//! this.

pub mod clock;
pub mod digest;
pub mod error;
pub mod feed;
pub mod rules;
pub mod schedule;
pub mod silence;

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

pub use clock::Clock;
pub use digest::{Tally, Vocabulary};
pub use error::{Lang, Place, PolicyError, Problem};
pub use feed::Feed;
/// The time types of the policy's API, so embedders use the same `jiff`.
pub use jiff::{tz::TimeZone, SignedDuration, Timestamp};
pub use rules::{Effect, Paths, Rules};
pub use schedule::Schedule;

use crate::model::Notification;
use crate::profile::Profile;
use silence::{Alarm, Watch};

/// `[policy]` in `config.toml`. Durations are seconds of the policy's clock (a test that
/// compresses time scales them with it).
///
/// Rules, quiet-hour windows and alarms are kept as raw tables here and compiled one by
/// one by [`Policy::new`]: one that does not parse is reported and left out, instead of
/// making the whole `config.toml` unreadable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyConfig {
    /// More than this many toasts within `burst_window_secs` become one live summary.
    pub burst_max: usize,
    /// A burst lasts while notifications keep coming closer than this.
    pub burst_window_secs: f64,
    /// How long to wait for more before showing, so a burst is seen as one from its start.
    pub gather_secs: f64,
    /// A notification created longer than this before it arrived was caught up (start-up,
    /// a long disconnect, a wake): it goes into the "while you were away" digest. Real
    /// seconds, unlike the others: it is compared with the server's `created_at`.
    pub late_after_secs: f64,
    /// The time zone of quiet hours and alarms (IANA name); empty: the system's.
    pub time_zone: String,
    /// An account's own time zone, by account name.
    pub time_zones: BTreeMap<String, String>,
    pub quiet_hours: Vec<toml::Table>,
    pub rules: Vec<toml::Table>,
    pub silence: Vec<toml::Table>,
    /// Keys not listed above (reported as errors, so a typo never silently does nothing).
    #[serde(flatten)]
    pub unknown: toml::Table,
}

/// The defaults, in one place. Why these: the app's former toast rules (400 ms gather,
/// more than 3 within 2 s fold, caught up = older than a minute at arrival) proved right
/// on the demo's bursts.
impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            burst_max: 3,
            burst_window_secs: 2.0,
            gather_secs: 0.4,
            late_after_secs: 60.0,
            time_zone: String::new(),
            time_zones: BTreeMap::new(),
            quiet_hours: Vec::new(),
            rules: Vec::new(),
            silence: Vec::new(),
            unknown: toml::Table::new(),
        }
    }
}

impl PolicyConfig {
    pub fn is_default(&self) -> bool {
        *self == PolicyConfig::default()
    }
}

/// What the policy knows of an account: from its profile.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub name: String,
    pub paths: Paths,
    pub vocabulary: Vocabulary,
    /// The profile's default rules (`[[rules]]` in a preset), after the user's own.
    pub preset_rules: Vec<toml::Table>,
}

impl Account {
    pub fn from_profile(name: &str, profile: &Profile, lang: Lang) -> Account {
        let paths = Paths {
            data_field: profile.fields.data.clone(),
        };
        let labels = profile
            .kinds
            .iter()
            .filter_map(|(kind, l)| {
                let text = match lang {
                    Lang::Es => &l.es,
                    Lang::En => &l.en,
                };
                let (one, many) = text.split_once('|').unwrap_or((text, text));
                (!text.is_empty()).then(|| (kind.clone(), (one.to_string(), many.to_string())))
            })
            .collect();
        Account {
            name: name.to_string(),
            vocabulary: Vocabulary {
                labels,
                amount: Some(profile.fields.amount.as_str())
                    .filter(|a| !a.is_empty())
                    .and_then(|a| paths.compile(a).ok()),
                currency: profile.fields.currency.clone(),
            },
            paths,
            preset_rules: profile.rules.clone(),
        }
    }
}

/// Why toasts are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    QuietHours,
    Pause,
    DoNotDisturb,
    /// Caught up after an absence (start-up, a long disconnect, a wake).
    Away,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Low,
    Normal,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToastKind {
    /// One notification.
    Single,
    /// A burst, updated in place while it lasts.
    Summary,
    /// What happened while toasts were held or the user was away.
    Digest,
    /// A snoozed notification coming back.
    Reminder,
    /// A silence alarm.
    Silence,
    /// A problem that loses notifications (`catch_up_failed`): what to fix.
    Problem,
    /// A test the user asked for ("Probar aviso"): how a toast looks and sounds here.
    Test,
}

/// A notification a toast is about (what a click opens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub account: String,
    pub id: String,
}

impl Item {
    fn of(n: &Notification) -> Item {
        Item {
            account: n.account.clone(),
            id: n.id.clone(),
        }
    }
}

/// A toast to show, or (with `replaces`) the new content of the toast of the same `slot`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Toast {
    /// Stable for the toast's life: freedesktop `replaces_id`, a Windows toast's tag.
    pub slot: u64,
    pub replaces: bool,
    pub kind: ToastKind,
    pub title: String,
    /// Plain text (the renderer escapes it for daemons that read markup).
    pub body: String,
    pub urgency: Urgency,
    /// No sound (a `quiet` rule, or an update of a toast already shown).
    pub silent: bool,
    /// A rule's own sound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub items: Vec<Item>,
}

/// What the policy says. Serialised as the JSON lines of `aviso-cli watch --toasts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Decision {
    Toast(Toast),
    /// Stored, listed and counted, but not toasted now: it will be in the digest.
    Held {
        account: String,
        id: String,
        reason: Reason,
    },
    /// A `mute` rule matched: stored and listed, never toasted.
    Muted {
        account: String,
        id: String,
        rule: Option<String>,
    },
    /// A notification was snoozed until `until` (RFC 3339).
    Snoozed {
        account: String,
        id: String,
        until: String,
    },
    /// A snoozed notification is due: back in the unread list (and toasted, unless held).
    Released {
        account: String,
        id: String,
    },
    /// What happened meanwhile, per store (a `toast` of kind `digest` says it).
    Digest {
        reason: Reason,
        stores: Vec<Tally>,
    },
    /// A silence alarm fired (the tray shows it until `silence_cleared`).
    Silence {
        account: String,
        alarm: String,
        kind: String,
        /// The last matching event, or when watching began (RFC 3339).
        since: String,
    },
    SilenceCleared {
        account: String,
        alarm: String,
    },
}

struct Compiled {
    info: Account,
    rules: Rules,
    tz: TimeZone,
}

struct Burst {
    slot: u64,
    tallies: Vec<Tally>,
    count: u64,
    last: Timestamp,
    /// It holds an urgent notification: its toast is critical from then on.
    urgent: bool,
}

struct Snooze {
    n: Notification,
    until: Timestamp,
}

pub struct Policy {
    lang: Lang,
    burst_max: usize,
    burst_window: SignedDuration,
    gather: SignedDuration,
    late_after: SignedDuration,
    accounts: BTreeMap<String, Compiled>,
    fallback: Compiled,
    quiet: Schedule,
    alarms: Vec<Alarm>,
    watches: Vec<Watch>,
    pause_until: Option<Timestamp>,
    do_not_disturb: bool,
    pending: Vec<(Notification, Effect)>,
    pending_first: Option<Timestamp>,
    pending_last: Option<Timestamp>,
    /// When recent toasts were shown (within the burst window), for the burst rule.
    recent: VecDeque<Timestamp>,
    burst: Option<Burst>,
    held: BTreeMap<String, (Reason, Vec<Notification>)>,
    away: Vec<Notification>,
    away_last: Option<Timestamp>,
    snoozes: Vec<Snooze>,
    next_slot: u64,
}

/// The most notifications a summary toast names (its count is exact).
const MAX_ITEMS: usize = 200;

fn secs(x: f64) -> SignedDuration {
    SignedDuration::from_secs_f64(if x.is_finite() { x.max(0.0) } else { 0.0 })
}

impl Policy {
    /// Compiles the settings for these accounts. Items that do not parse are returned as
    /// errors and left out; everything else works. `now` starts the silence alarms' watch.
    pub fn new(
        config: &PolicyConfig,
        accounts: Vec<Account>,
        lang: Lang,
        now: Timestamp,
    ) -> (Policy, Vec<PolicyError>) {
        let mut errors: Vec<PolicyError> = Vec::new();
        let push = |e: PolicyError, errors: &mut Vec<PolicyError>| {
            if !errors.contains(&e) {
                errors.push(e);
            }
        };
        for key in config.unknown.keys() {
            push(
                PolicyError::new(Place::Policy, key, Problem::UnknownKey),
                &mut errors,
            );
        }
        let zone = |name: Option<&str>, key: &str, errors: &mut Vec<PolicyError>| {
            schedule::time_zone(name).unwrap_or_else(|p| {
                push(PolicyError::new(Place::Policy, key, p), errors);
                TimeZone::try_system().unwrap_or(TimeZone::UTC)
            })
        };
        let default_tz = zone(Some(&config.time_zone), "time_zone", &mut errors);
        let names: Vec<String> = accounts.iter().map(|a| a.name.clone()).collect();
        for (account, tz) in &config.time_zones {
            if !names.is_empty() && !names.contains(account) {
                let p = Problem::UnknownAccount(account.clone());
                push(
                    PolicyError::new(Place::Policy, &format!("time_zones.{account}"), p),
                    &mut errors,
                );
            }
            if let Err(p) = schedule::time_zone(Some(tz)) {
                push(
                    PolicyError::new(Place::Policy, &format!("time_zones.{account}"), p),
                    &mut errors,
                );
            }
        }
        let compile = |info: Account, errors: &mut Vec<PolicyError>| {
            let (user, user_errors) = Rules::compile(&config.rules, &info.paths);
            let (preset, preset_errors) = Rules::compile(&info.preset_rules, &info.paths);
            for e in user_errors.into_iter().chain(preset_errors) {
                push(e, errors);
            }
            let tz = match config.time_zones.get(&info.name) {
                Some(name) => schedule::time_zone(Some(name)).unwrap_or(default_tz.clone()),
                None => default_tz.clone(),
            };
            Compiled {
                info,
                rules: user.then(preset),
                tz,
            }
        };
        // Notifications of accounts not listed (none, in practice) get the user's rules
        // read with generic paths; their errors would only repeat the accounts' ones.
        let fallback = compile(Account::default(), &mut Vec::new());
        let mut compiled = BTreeMap::new();
        for a in accounts {
            compiled.insert(a.name.clone(), compile(a, &mut errors));
        }
        // A rule naming an account that does not exist would never match: say so.
        for (i, t) in config.rules.iter().enumerate() {
            if let Some(toml::Value::String(a)) = t.get("account") {
                if !names.is_empty() && !names.contains(a) {
                    let name = match t.get("name") {
                        Some(toml::Value::String(n)) if !n.trim().is_empty() => n.trim().into(),
                        _ => format!("#{}", i + 1),
                    };
                    let p = Problem::UnknownAccount(a.clone());
                    push(
                        PolicyError::new(Place::Rule(name), "account", p),
                        &mut errors,
                    );
                }
            }
        }
        let mut quiet = Schedule::default();
        for (i, t) in config.quiet_hours.iter().enumerate() {
            match schedule::window_from(t, &Place::QuietHours(i + 1), &[]) {
                Ok(w) => quiet.windows.push(w),
                Err(e) => push(e, &mut errors),
            }
        }
        let mut alarms = Vec::new();
        let mut watches = Vec::new();
        for (i, t) in config.silence.iter().enumerate() {
            match Alarm::compile(t, i + 1) {
                Ok(a) => {
                    let watched: Vec<String> = match &a.account {
                        Some(one) => vec![one.clone()],
                        None => names.clone(),
                    };
                    for account in watched {
                        watches.push(Watch {
                            alarm: alarms.len(),
                            account,
                            last: now,
                            fired: false,
                        });
                    }
                    alarms.push(a);
                }
                Err(e) => push(e, &mut errors),
            }
        }
        let policy = Policy {
            lang,
            burst_max: config.burst_max,
            burst_window: secs(config.burst_window_secs),
            gather: secs(config.gather_secs),
            late_after: secs(config.late_after_secs),
            accounts: compiled,
            fallback,
            quiet,
            alarms,
            watches,
            pause_until: None,
            do_not_disturb: false,
            pending: Vec::new(),
            pending_first: None,
            pending_last: None,
            recent: VecDeque::new(),
            burst: None,
            held: BTreeMap::new(),
            away: Vec::new(),
            away_last: None,
            snoozes: Vec::new(),
            next_slot: 1,
        };
        (policy, errors)
    }

    fn account(&self, name: &str) -> &Compiled {
        self.accounts.get(name).unwrap_or(&self.fallback)
    }

    /// The time zone of an account's quiet hours and alarms.
    pub fn time_zone(&self, account: &str) -> &TimeZone {
        &self.account(account).tz
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// What the rules decide for a notification.
    pub fn effect(&self, n: &Notification) -> Effect {
        self.account(&n.account).rules.effect(n)
    }

    /// Whether an unread notification counts on the tray's badge: not when the rule that
    /// decides for it (the first to match) says `no_badge`. It stays stored, listed and
    /// unread either way. [`Feed::badge_count`] counts an account's badge with this.
    pub fn counts_on_badge(&self, n: &Notification) -> bool {
        !self.effect(n).no_badge
    }

    /// Whether some rule of `account` can leave notifications off the badge (when none
    /// can, the badge is the unread count).
    pub fn hides_from_badge(&self, account: &str) -> bool {
        self.account(account).rules.any_no_badge()
    }

    /// Whether a notification was caught up rather than live: created longer than
    /// `late_after_secs` before `arrived` (the real time of arrival, since `created_at` is
    /// the server's real time).
    pub fn is_late(&self, n: &Notification, arrived: Timestamp) -> bool {
        n.created_at
            .parse::<Timestamp>()
            .is_ok_and(|t| arrived.duration_since(t) > self.late_after)
    }

    /// Why toasts of `account` are held at `now`, if they are.
    pub fn held_by(&self, account: &str, now: Timestamp) -> Option<Reason> {
        if self.pause_until.is_some_and(|u| u > now) {
            Some(Reason::Pause)
        } else if self.do_not_disturb {
            Some(Reason::DoNotDisturb)
        } else if self.quiet.contains(now, &self.account(account).tz) {
            Some(Reason::QuietHours)
        } else {
            None
        }
    }

    /// Pause toasts until `until` (the tray's "pause for 1 h").
    pub fn pause(&mut self, until: Timestamp) {
        self.pause_until = Some(until);
    }

    /// Ends a pause now: the digest of what was held follows.
    pub fn resume(&mut self, now: Timestamp) -> Vec<Decision> {
        self.pause_until = None;
        self.tick(now)
    }

    /// The OS's own do-not-disturb, where the shell can read it.
    pub fn set_do_not_disturb(&mut self, on: bool, now: Timestamp) -> Vec<Decision> {
        self.do_not_disturb = on;
        self.tick(now)
    }

    /// When the next thing that only time brings is due (the policy's time): a gathered
    /// batch to show, a burst or an absence to end, a pause or quiet hours to end with
    /// their digest, a snooze to bring back, a silence alarm to fire. Never later than
    /// that, sometimes earlier (tick then and ask again). `None`: nothing waits on time;
    /// what is left waits for a notification, the desktop's do-not-disturb or new
    /// settings, which the embedder passes in as they come. An embedder sleeps until this
    /// instead of ticking all the time.
    pub fn next_deadline(&self, now: Timestamp) -> Option<Timestamp> {
        let plus = |t: Timestamp, d: SignedDuration| t.checked_add(d).unwrap_or(Timestamp::MAX);
        let mut due: Vec<Timestamp> = Vec::new();
        due.extend(self.pending_last.map(|t| plus(t, self.gather)));
        due.extend(self.pending_first.map(|t| plus(t, self.burst_window)));
        due.extend(self.burst.as_ref().map(|b| plus(b.last, self.burst_window)));
        due.extend(self.away_last.map(|t| plus(t, self.burst_window)));
        due.extend(self.pause_until);
        for account in self.held.keys() {
            match self.held_by(account, now) {
                // Released at the next tick.
                None => due.push(now),
                Some(Reason::QuietHours) => {
                    // An end already past means a wall clock the schedule reads oddly (a
                    // DST fold): leave it to the embedder's capped sleep rather than spin.
                    let tz = &self.account(account).tz;
                    due.extend(self.quiet.end_of(now, tz).filter(|end| *end > now));
                }
                // The pause's end is above; do-not-disturb ends when the embedder says.
                Some(_) => {}
            }
        }
        due.extend(self.snoozes.iter().map(|s| s.until));
        for w in &self.watches {
            let tz = &self.account(&w.account).tz;
            due.extend(w.due(&self.alarms[w.alarm], now, tz));
        }
        due.into_iter().min()
    }

    /// Takes over what `previous` was in the middle of, when the settings changed and were
    /// compiled anew into this policy: toasts being gathered, a live burst (its toast keeps
    /// being updated), toasts held for a digest, an absence being caught up, snoozes, the
    /// pause, do-not-disturb, and each silence alarm's watch (by alarm name, account and
    /// kind; an alarm that is new starts watching now). The new rules decide again: what
    /// they mute leaves the gathering and the digests.
    pub fn take_over(&mut self, previous: Policy) {
        let Policy {
            pending,
            pending_first,
            pending_last,
            recent,
            burst,
            held,
            away,
            away_last,
            snoozes,
            next_slot,
            pause_until,
            do_not_disturb,
            alarms,
            watches,
            ..
        } = previous;
        self.pending = pending
            .into_iter()
            .map(|(n, _)| {
                let effect = self.effect(&n);
                (n, effect)
            })
            .filter(|(_, effect)| !effect.mute)
            .collect();
        self.pending_first = pending_first.filter(|_| !self.pending.is_empty());
        self.pending_last = pending_last.filter(|_| !self.pending.is_empty());
        self.recent = recent;
        self.burst = burst;
        self.held = held
            .into_iter()
            .map(|(account, (reason, items))| {
                let items: Vec<Notification> =
                    items.into_iter().filter(|n| !self.effect(n).mute).collect();
                (account, (reason, items))
            })
            .filter(|(_, (_, items))| !items.is_empty())
            .collect();
        self.away = away.into_iter().filter(|n| !self.effect(n).mute).collect();
        self.away_last = away_last.filter(|_| !self.away.is_empty());
        self.snoozes = snoozes;
        self.next_slot = self.next_slot.max(next_slot);
        self.pause_until = pause_until;
        self.do_not_disturb = do_not_disturb;
        for w in &mut self.watches {
            let alarm = &self.alarms[w.alarm];
            if let Some(old) = watches.iter().find(|o| {
                let a = &alarms[o.alarm];
                o.account == w.account && a.name == alarm.name && a.kind == alarm.kind
            }) {
                w.last = old.last;
                w.fired = old.fired;
            }
        }
    }

    fn slot(&mut self) -> u64 {
        let s = self.next_slot;
        self.next_slot += 1;
        s
    }

    /// A notification arrived (`late`: see [`Policy::is_late`]).
    pub fn notification(&mut self, n: &Notification, now: Timestamp, late: bool) -> Vec<Decision> {
        let mut out = Vec::new();
        // History the server already marks read is listed, never announced.
        if n.read {
            return out;
        }
        self.seen_by_alarms(n, now, &mut out);
        // A burst lasts while notifications keep coming, whatever they turn out to be.
        if let Some(b) = &mut self.burst {
            b.last = now;
        }
        let effect = self.effect(n);
        if effect.mute {
            out.push(Decision::Muted {
                account: n.account.clone(),
                id: n.id.clone(),
                rule: effect.rule,
            });
            return out;
        }
        // Urgent: through an absence, quiet hours, a pause and do-not-disturb; gathered like
        // the rest, so a flash sale of big purchases is one live summary (critical) from its
        // start, never dozens of toasts.
        if effect.urgent {
            self.pending.push((n.clone(), effect));
            self.pending_first.get_or_insert(now);
            self.pending_last = Some(now);
            return out;
        }
        if late {
            self.away.push(n.clone());
            self.away_last = Some(now);
            return out;
        }
        if let Some(reason) = self.held_by(&n.account, now) {
            self.hold(n, reason, &mut out);
            return out;
        }
        self.pending.push((n.clone(), effect));
        self.pending_first.get_or_insert(now);
        self.pending_last = Some(now);
        out
    }

    fn hold(&mut self, n: &Notification, reason: Reason, out: &mut Vec<Decision>) {
        let entry = self
            .held
            .entry(n.account.clone())
            .or_insert((reason, Vec::new()));
        entry.0 = reason;
        entry.1.push(n.clone());
        out.push(Decision::Held {
            account: n.account.clone(),
            id: n.id.clone(),
            reason,
        });
    }

    fn single(&mut self, n: &Notification, effect: &Effect, kind: ToastKind) -> Toast {
        let title = match kind {
            ToastKind::Reminder => match self.lang {
                Lang::Es => format!("Recordatorio: {}", n.title),
                Lang::En => format!("Reminder: {}", n.title),
            },
            _ => n.title.clone(),
        };
        Toast {
            slot: self.slot(),
            replaces: false,
            kind,
            title,
            body: n.body.clone(),
            urgency: if effect.urgent {
                Urgency::Critical
            } else if effect.quiet {
                Urgency::Low
            } else {
                Urgency::Normal
            },
            silent: effect.quiet,
            sound: effect.sound.clone(),
            url: n.url.clone(),
            items: vec![Item::of(n)],
        }
    }

    /// Lets time pass: shows what was gathered, ends bursts, releases what quiet hours,
    /// pauses and absences held (as one digest), brings snoozed notifications back and
    /// fires silence alarms.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Decision> {
        let mut out = Vec::new();
        let settled = self
            .pending_last
            .is_some_and(|t| now.duration_since(t) >= self.gather)
            || self
                .pending_first
                .is_some_and(|t| now.duration_since(t) >= self.burst_window);
        if settled {
            self.flush_pending(now, &mut out);
        }
        if self
            .burst
            .as_ref()
            .is_some_and(|b| now.duration_since(b.last) >= self.burst_window)
        {
            self.burst = None;
        }
        if self.pause_until.is_some_and(|u| u <= now) {
            self.pause_until = None;
        }
        // A catch-up comes in pages: the absence is over once it has been still for a
        // burst window.
        if self
            .away_last
            .is_some_and(|t| now.duration_since(t) >= self.burst_window)
        {
            self.away_last = None;
            let mut items = Vec::new();
            for n in std::mem::take(&mut self.away) {
                // Caught up in quiet hours (or a pause): told in their digest, not now.
                match self.held_by(&n.account, now) {
                    Some(reason) => self.hold(&n, reason, &mut out),
                    None => items.push(n),
                }
            }
            self.digest(Reason::Away, items, &mut out);
        }
        let ended: Vec<String> = self
            .held
            .keys()
            .filter(|a| self.held_by(a, now).is_none())
            .cloned()
            .collect();
        if !ended.is_empty() {
            let mut reason = Reason::QuietHours;
            let mut items = Vec::new();
            for a in ended {
                if let Some((r, held)) = self.held.remove(&a) {
                    reason = r;
                    items.extend(held);
                }
            }
            self.digest(reason, items, &mut out);
        }
        let due: Vec<Snooze> = {
            let (due, keep) = std::mem::take(&mut self.snoozes)
                .into_iter()
                .partition(|s| s.until <= now);
            self.snoozes = keep;
            due
        };
        for s in due {
            out.push(Decision::Released {
                account: s.n.account.clone(),
                id: s.n.id.clone(),
            });
            match self.held_by(&s.n.account, now) {
                Some(reason) => self.hold(&s.n, reason, &mut out),
                None => {
                    let effect = self.effect(&s.n);
                    let toast = self.single(&s.n, &effect, ToastKind::Reminder);
                    out.push(Decision::Toast(toast));
                }
            }
        }
        self.check_alarms(now, &mut out);
        out
    }

    fn flush_pending(&mut self, now: Timestamp, out: &mut Vec<Decision>) {
        self.pending_first = None;
        self.pending_last = None;
        let batch = std::mem::take(&mut self.pending);
        self.show_batch(batch, now, out);
    }

    /// Shows a batch: one by one while few toasts were shown within the burst window, else
    /// as the live summary.
    fn show_batch(
        &mut self,
        batch: Vec<(Notification, Effect)>,
        now: Timestamp,
        out: &mut Vec<Decision>,
    ) {
        if batch.is_empty() {
            return;
        }
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.burst_window)
        {
            self.recent.pop_front();
        }
        let burst_on = self.burst.is_some();
        if !burst_on && self.recent.len() + batch.len() <= self.burst_max {
            for (n, effect) in batch {
                let toast = self.single(&n, &effect, ToastKind::Single);
                out.push(Decision::Toast(toast));
                self.recent.push_back(now);
            }
            return;
        }
        // A burst: one toast of its own (the ones shown one by one may have been dismissed
        // already), updated in place while it lasts, counting what it announces.
        let mut burst = match self.burst.take() {
            Some(b) => b,
            None => {
                self.recent.clear();
                Burst {
                    slot: self.slot(),
                    tallies: Vec::new(),
                    count: 0,
                    last: now,
                    urgent: false,
                }
            }
        };
        let all_quiet = batch.iter().all(|(_, e)| e.quiet);
        burst.urgent |= batch.iter().any(|(_, e)| e.urgent);
        for (n, _) in &batch {
            self.tally(&mut burst.tallies, n);
            burst.count += 1;
        }
        burst.last = now;
        let title = match (self.lang, burst.count) {
            (Lang::Es, 1) => "1 notificación nueva".to_string(),
            (Lang::Es, n) => format!("{n} notificaciones nuevas"),
            (Lang::En, 1) => "1 new notification".to_string(),
            (Lang::En, n) => format!("{n} new notifications"),
        };
        let toast = Toast {
            slot: burst.slot,
            replaces: burst_on,
            kind: ToastKind::Summary,
            title,
            body: self.lines(&burst.tallies),
            urgency: if burst.urgent {
                Urgency::Critical
            } else if all_quiet {
                Urgency::Low
            } else {
                Urgency::Normal
            },
            // An update never sounds again.
            silent: burst_on || all_quiet,
            sound: None,
            url: None,
            // Bounded: a burst of thousands is updated many times, and a click opens the
            // panel's unread list, where the rest are too.
            items: burst
                .tallies
                .iter()
                .flat_map(|t| {
                    t.ids.iter().map(|id| Item {
                        account: t.account.clone(),
                        id: id.clone(),
                    })
                })
                .take(MAX_ITEMS)
                .collect(),
        };
        out.push(Decision::Toast(toast));
        self.burst = Some(burst);
    }

    fn tally(&self, tallies: &mut Vec<Tally>, n: &Notification) {
        let vocabulary = &self.account(&n.account).info.vocabulary;
        match tallies.iter_mut().find(|t| t.account == n.account) {
            Some(t) => t.add(n, vocabulary),
            None => {
                let mut t = Tally::new(&n.account);
                t.add(n, vocabulary);
                tallies.push(t);
            }
        }
    }

    /// One line per store; the store's name leads when there are several.
    fn lines(&self, tallies: &[Tally]) -> String {
        let several = tallies.len() > 1;
        tallies
            .iter()
            .map(|t| {
                let line = t.line(&self.account(&t.account).info.vocabulary, self.lang);
                if several {
                    format!("{}: {line}", t.account)
                } else {
                    line
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn digest(&mut self, reason: Reason, items: Vec<Notification>, out: &mut Vec<Decision>) {
        if items.is_empty() {
            return;
        }
        let mut tallies = Vec::new();
        for n in &items {
            self.tally(&mut tallies, n);
        }
        let title = match self.lang {
            Lang::Es => "Mientras no estabas".to_string(),
            Lang::En => "While you were away".to_string(),
        };
        let toast = Toast {
            slot: self.slot(),
            replaces: false,
            kind: ToastKind::Digest,
            title,
            body: self.lines(&tallies),
            urgency: Urgency::Normal,
            silent: false,
            sound: None,
            url: None,
            items: items.iter().map(Item::of).collect(),
        };
        out.push(Decision::Digest {
            reason,
            stores: tallies,
        });
        out.push(Decision::Toast(toast));
    }

    /// Snoozes a notification until `until`; it comes back (released, with a toast) at the
    /// first tick after. The store keeps the snooze across restarts: an embedder gives the
    /// stored ones back here at start, and those already due come back at once.
    pub fn snooze(&mut self, n: &Notification, until: Timestamp) -> Decision {
        self.snoozes
            .retain(|s| !(s.n.account == n.account && s.n.id == n.id));
        self.snoozes.push(Snooze {
            n: n.clone(),
            until,
        });
        Decision::Snoozed {
            account: n.account.clone(),
            id: n.id.clone(),
            until: until.to_string(),
        }
    }

    /// Forgets a snooze (the notification was read, or un-snoozed by hand).
    pub fn unsnooze(&mut self, account: &str, id: &str) {
        self.snoozes
            .retain(|s| !(s.n.account == account && s.n.id == id));
    }

    pub fn is_snoozed(&self, account: &str, id: &str) -> bool {
        self.snoozes
            .iter()
            .any(|s| s.n.account == account && s.n.id == id)
    }

    fn seen_by_alarms(&mut self, n: &Notification, now: Timestamp, out: &mut Vec<Decision>) {
        for w in &mut self.watches {
            let alarm = &self.alarms[w.alarm];
            if w.matches(alarm, &n.account, &n.kind) && w.seen(now) {
                out.push(Decision::SilenceCleared {
                    account: w.account.clone(),
                    alarm: alarm.name.clone(),
                });
            }
        }
    }

    /// Alarms currently fired, as (account, alarm name): the tray's status.
    pub fn silent_alarms(&self) -> Vec<(String, String)> {
        self.watches
            .iter()
            .filter(|w| w.fired)
            .map(|w| (w.account.clone(), self.alarms[w.alarm].name.clone()))
            .collect()
    }

    fn check_alarms(&mut self, now: Timestamp, out: &mut Vec<Decision>) {
        let mut fired = Vec::new();
        for i in 0..self.watches.len() {
            let tz = self.account(&self.watches[i].account).tz.clone();
            let w = &mut self.watches[i];
            let alarm = &self.alarms[w.alarm];
            if w.check(alarm, now, &tz) {
                fired.push((i, tz));
            }
        }
        for (i, tz) in fired {
            let (account, last, alarm) = {
                let w = &self.watches[i];
                (w.account.clone(), w.last, self.alarms[w.alarm].clone())
            };
            let vocabulary = &self.account(&account).info.vocabulary;
            let what = vocabulary
                .labels
                .get(&alarm.kind)
                .map(|(_, many)| many.clone())
                .unwrap_or_else(|| alarm.kind.clone());
            let since_start = alarm.hours.since(now, &tz).unwrap_or(last).max(last);
            let at = since_start.to_zoned(tz).strftime("%H:%M").to_string();
            let quiet_for = words_for(now.duration_since(since_start), self.lang);
            let (title, body) = match self.lang {
                Lang::Es => (
                    format!("{account}: sin {what} desde las {at}"),
                    format!("Nada en {quiet_for}. ¿Funcionan el checkout y el webhook?"),
                ),
                Lang::En => (
                    format!("{account}: no {what} since {at}"),
                    format!("Nothing for {quiet_for}. Are the checkout and the webhook working?"),
                ),
            };
            out.push(Decision::Silence {
                account: account.clone(),
                alarm: alarm.name.clone(),
                kind: alarm.kind.clone(),
                since: since_start.to_string(),
            });
            let toast = self.about_nothing(ToastKind::Silence, title, body);
            out.push(Decision::Toast(toast));
        }
    }

    /// An engine error (`EngineEvent::Error`'s code) as a toast, for the codes that mean
    /// notifications are being lost or never come: `catch_up_failed`, `forbidden` (the
    /// server refuses this user's valid session). Shown whatever holds toasts (quiet
    /// hours, a pause), like a silence alarm: it needs someone to act. The engine tells
    /// each episode once, so this is one toast per episode. Other codes: nothing.
    pub fn problem(&mut self, account: &str, code: crate::ErrorCode) -> Vec<Decision> {
        let Some((title, body)) = problem_words(self.lang, account, code) else {
            return Vec::new();
        };
        vec![Decision::Toast(self.about_nothing(
            ToastKind::Problem,
            title,
            body,
        ))]
    }

    /// A test toast the user asked for ("Probar aviso" in the health view): shown whatever
    /// holds toasts (they asked for it now), through the same path as every other toast.
    pub fn test_toast(&mut self, account: Option<&str>) -> Vec<Decision> {
        let (title, body) = match (self.lang, account) {
            (Lang::Es, Some(a)) => (
                format!("{a}: aviso de prueba"),
                format!("Así llegan los avisos de {a}. Si ves esto, las notificaciones funcionan."),
            ),
            (Lang::Es, None) => (
                "Aviso de prueba".to_string(),
                "Así llegan los avisos. Si ves esto, las notificaciones funcionan.".to_string(),
            ),
            (Lang::En, Some(a)) => (
                format!("{a}: test notification"),
                format!("This is how {a}'s notifications arrive. If you can see this, notifications work."),
            ),
            (Lang::En, None) => (
                "Test notification".to_string(),
                "This is how notifications arrive. If you can see this, notifications work."
                    .to_string(),
            ),
        };
        vec![Decision::Toast(self.about_nothing(
            ToastKind::Test,
            title,
            body,
        ))]
    }

    /// A toast about no notification (a silence alarm, a problem): normal, with sound, a
    /// click opens the panel.
    fn about_nothing(&mut self, kind: ToastKind, title: String, body: String) -> Toast {
        Toast {
            slot: self.slot(),
            replaces: false,
            kind,
            title,
            body,
            urgency: Urgency::Normal,
            silent: false,
            sound: None,
            url: None,
            items: Vec::new(),
        }
    }
}

/// What the tray's badge shows: the sum of each store's badge count, of every store, or of
/// those `counted` names (the setting "the badge counts: these stores"). A name in
/// `counted` that is no store counts nothing.
pub fn badge_total<'a>(
    stores: impl IntoIterator<Item = (&'a str, u64)>,
    counted: Option<&[String]>,
) -> u64 {
    stores
        .into_iter()
        .filter(|(name, _)| counted.is_none_or(|c| c.iter().any(|n| n == name)))
        .map(|(_, n)| n)
        .sum()
}

/// A problem's words (`catch_up_failed`, `forbidden`): the title and what to do, in `lang`;
/// `None` for other codes. The problem toast says them, and the tray's status line says the
/// title while the problem lasts (the account's `detail`), so both say the same.
pub fn problem_words(
    lang: Lang,
    account: &str,
    code: crate::ErrorCode,
) -> Option<(String, String)> {
    use crate::ErrorCode::{CatchUpFailed, Forbidden};
    let words = match (code, lang) {
        (CatchUpFailed, Lang::Es) => (
            format!("{account}: se pueden perder notificaciones"),
            "El servidor no deja leer su lista de notificaciones: lo que la conexión no \
             entregue (sin conexión, o descartado por el servidor) no se podrá recuperar. \
             Revisa `rest.list` en el perfil de la cuenta."
                .to_string(),
        ),
        (CatchUpFailed, Lang::En) => (
            format!("{account}: notifications may be lost"),
            "The server does not let Aviso read its notification list: what the connection \
             does not deliver (while offline, or dropped by the server) cannot be recovered. \
             Check `rest.list` in the account's profile."
                .to_string(),
        ),
        (Forbidden, Lang::Es) => (
            format!("{account}: este usuario no tiene permiso"),
            "El servidor rechaza a este usuario aunque su sesión es válida, así que no \
             llegan notificaciones. Inicia sesión con un usuario que tenga permiso (en \
             SmartSales365, un administrador)."
                .to_string(),
        ),
        (Forbidden, Lang::En) => (
            format!("{account}: this user has no permission"),
            "The server refuses this user although its session is valid, so no \
             notifications arrive. Log in as a user who has permission (in SmartSales365, \
             an admin)."
                .to_string(),
        ),
        _ => return None,
    };
    Some(words)
}

/// "2 h", "1 h 30 min", "45 min", "30 s".
fn words_for(d: SignedDuration, _lang: Lang) -> String {
    let secs = d.as_secs().max(0);
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    match (h, m) {
        (0, 0) => format!("{secs} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests;
