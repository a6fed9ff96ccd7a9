//! Silence alarms: "warn me when no `nueva_compra` has arrived for 2 h between 09:00 and
//! 21:00 on weekdays". A dead checkout or a broken webhook sends nothing, so nothing else
//! would ever show it. An alarm fires once, and the next matching event re-arms it.
//!
//! ```toml
//! [[policy.silence]]
//! name = "ventas"
//! account = "tienda"      # optional: every account when absent
//! kind = "nueva_compra"   # a glob
//! after = "2h"
//! days = ["laborables"]   # optional with from/to: watched only then
//! from = "09:00"
//! to = "21:00"
//! ```
//!
//! The silence is counted from the last matching event, but never from before the watched
//! hours began: on Monday at 09:00 a quiet weekend is no alarm, at 11:00 it is.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::error::{Place, PolicyError, Problem};
use super::rules::glob;
use super::schedule::{parse_duration, window_from, Schedule};

#[derive(Debug, Clone)]
pub struct Alarm {
    pub name: String,
    pub account: Option<String>,
    pub kind: String,
    pub after: SignedDuration,
    /// Empty: watched at all hours.
    pub hours: Schedule,
}

impl Alarm {
    pub fn compile(table: &toml::Table, index: usize) -> Result<Alarm, PolicyError> {
        let name = match table.get("name") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => format!("#{index}"),
        };
        let place = Place::Silence(name.clone());
        let err = |key: &str, problem| PolicyError::new(place.clone(), key, problem);
        let text = |key: &str| -> Result<Option<String>, PolicyError> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(err(key, Problem::NotText)),
            }
        };
        let keys = ["name", "account", "kind", "after"];
        let timed = ["days", "from", "to"]
            .iter()
            .any(|k| table.contains_key(*k));
        let hours = if timed {
            Schedule {
                windows: vec![window_from(table, &place, &keys)?],
            }
        } else {
            if let Some(key) = table.keys().find(|k| !keys.contains(&k.as_str())) {
                return Err(err(key, Problem::UnknownKey));
            }
            Schedule::default()
        };
        let kind = text("kind")?
            .filter(|k| !k.is_empty())
            .ok_or_else(|| err("kind", Problem::Missing))?;
        let after = match table.get("after") {
            None => return Err(err("after", Problem::Missing)),
            Some(toml::Value::String(s)) => {
                parse_duration(s).ok_or_else(|| err("after", Problem::BadDuration(s.clone())))?
            }
            Some(toml::Value::Integer(m)) if *m > 0 => SignedDuration::from_mins(*m),
            Some(other) => return Err(err("after", Problem::BadDuration(other.to_string()))),
        };
        Ok(Alarm {
            name,
            account: text("account")?,
            kind,
            after,
            hours,
        })
    }
}

/// One alarm watching one account.
#[derive(Debug, Clone)]
pub struct Watch {
    pub alarm: usize,
    pub account: String,
    /// The last matching event, or when watching began.
    pub last: Timestamp,
    pub fired: bool,
}

impl Watch {
    /// A matching event arrived: true when that re-armed a fired alarm.
    pub fn seen(&mut self, now: Timestamp) -> bool {
        self.last = now;
        std::mem::take(&mut self.fired)
    }

    pub fn matches(&self, alarm: &Alarm, account: &str, kind: &str) -> bool {
        self.account == account && glob(&alarm.kind, kind)
    }

    /// When [`Watch::check`] can first be true if nothing matching arrives: never later,
    /// sometimes earlier (outside the watched hours: when they begin next; ask again
    /// then). `None` once fired: only an event re-arms it.
    pub fn due(&self, alarm: &Alarm, now: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        if self.fired {
            return None;
        }
        let from = if alarm.hours.is_empty() {
            self.last
        } else {
            // The silence counts from the start of the window that holds the instant
            // checked, and a window holding a later instant cannot have begun before one
            // holding `now`: so this is the earliest it can fire.
            match alarm.hours.since(now, tz) {
                Some(start) => start.max(self.last),
                None => return alarm.hours.next_start(now, tz),
            }
        };
        Some(from.checked_add(alarm.after).unwrap_or(Timestamp::MAX))
    }

    /// True when the alarm fires now (once: it then waits for an event).
    pub fn check(&mut self, alarm: &Alarm, now: Timestamp, tz: &TimeZone) -> bool {
        if self.fired {
            return false;
        }
        let since = if alarm.hours.is_empty() {
            self.last
        } else {
            match alarm.hours.since(now, tz) {
                Some(start) => start.max(self.last),
                None => return false,
            }
        };
        if now.duration_since(since) >= alarm.after {
            self.fired = true;
        }
        self.fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(src: &str) -> Result<Alarm, PolicyError> {
        Alarm::compile(&src.parse().unwrap(), 1)
    }

    fn t(civil: &str) -> Timestamp {
        let dt: jiff::civil::DateTime = civil.parse().unwrap();
        dt.to_zoned(tz()).unwrap().timestamp()
    }

    fn tz() -> TimeZone {
        TimeZone::get("America/La_Paz").unwrap()
    }

    #[test]
    fn fires_once_in_the_watched_hours_and_rearms_with_the_next_event() {
        let a = alarm(
            r#"kind = "nueva_*"
after = "2h"
days = ["laborables"]
from = "09:00"
to = "21:00""#,
        )
        .unwrap();
        // Last sale on Friday evening.
        let mut w = Watch {
            alarm: 0,
            account: "tienda".into(),
            last: t("2026-12-04T20:30:00"),
            fired: false,
        };
        // The weekend is not watched; Monday's silence counts from 09:00.
        assert!(!w.check(&a, t("2026-12-05T12:00:00"), &tz()));
        assert!(!w.check(&a, t("2026-12-07T09:00:00"), &tz()));
        assert!(!w.check(&a, t("2026-12-07T10:59:59"), &tz()));
        assert!(w.check(&a, t("2026-12-07T11:00:00"), &tz()));
        // Once.
        assert!(!w.check(&a, t("2026-12-07T11:00:01"), &tz()));
        assert!(!w.check(&a, t("2026-12-07T15:00:00"), &tz()));
        // The next sale re-arms it; two more silent hours fire it again.
        assert!(w.matches(&a, "tienda", "nueva_compra"));
        assert!(!w.matches(&a, "tienda", "stock_bajo"));
        assert!(!w.matches(&a, "otra", "nueva_compra"));
        assert!(w.seen(t("2026-12-07T15:30:00")));
        assert!(!w.seen(t("2026-12-07T15:31:00")), "already armed");
        assert!(!w.check(&a, t("2026-12-07T17:30:59"), &tz()));
        assert!(w.check(&a, t("2026-12-07T17:31:00"), &tz()));
        // Outside the hours it stays quiet even when long silent.
        let mut late = Watch {
            last: t("2026-12-07T19:00:00"),
            fired: false,
            ..w.clone()
        };
        assert!(!late.check(&a, t("2026-12-07T22:00:00"), &tz()));
    }

    #[test]
    fn without_hours_it_watches_all_day() {
        let a = alarm(
            r#"kind = "nueva_compra"
after = 30"#,
        )
        .unwrap();
        assert_eq!(a.after, SignedDuration::from_mins(30));
        let mut w = Watch {
            alarm: 0,
            account: "tienda".into(),
            last: t("2026-12-06T02:00:00"),
            fired: false,
        };
        assert!(!w.check(&a, t("2026-12-06T02:29:59"), &tz()));
        assert!(w.check(&a, t("2026-12-06T02:30:00"), &tz()));
    }

    #[test]
    fn bad_alarms_are_named() {
        let e = |src: &str| alarm(src).unwrap_err().to_string();
        assert_eq!(
            e(r#"name = "ventas"
kind = "nueva_compra"
after = "dos horas""#),
            "silence alarm `ventas`, key `after`: `dos horas` is not a duration (e.g. 90s, 30m, 2h, 1h30m)"
        );
        assert_eq!(
            e(r#"after = "2h""#),
            "silence alarm `#1`, key `kind`: is required"
        );
        assert_eq!(
            e(r#"kind = "x"
after = "2h"
from = "09:00"
to = "09:00""#),
            "silence alarm `#1`, key `to`: `from` and `to` are the same time: the window is empty (for a whole day: 00:00 to 24:00)"
        );
        assert_eq!(
            e(r#"kind = "x"
after = "2h"
desde = "09:00""#),
            "silence alarm `#1`, key `desde`: unknown key (a typo?)"
        );
    }
}
