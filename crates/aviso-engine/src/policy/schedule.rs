//! Weekly schedules (days, from–to, across midnight) in a time zone: quiet hours and the
//! hours a silence alarm watches. Evaluated on the wall clock of the zone, so a DST change
//! moves the instants, never the hours the user wrote.
//!
//! ```toml
//! quiet_hours = [{ days = ["lun", "mar", "mie", "jue", "vie"], from = "22:00", to = "07:00" }]
//! ```
//!
//! A window whose `to` is earlier than its `from` runs across midnight: it starts on the
//! days listed and ends the next morning.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};

use super::error::{Place, PolicyError, Problem};

/// One from–to window on some days of the week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Monday = 0 … Sunday = 6: the days the window starts on.
    pub days: [bool; 7],
    /// Minutes after midnight; `to` may be 1440 (24:00).
    pub from: u16,
    pub to: u16,
}

/// Minutes after midnight of `HH:MM` (`24:00` allowed as an end).
pub fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// The days a name stands for, in Spanish or English.
fn parse_day(text: &str) -> Option<Vec<usize>> {
    let t = text.trim().to_lowercase();
    let one = match t.as_str() {
        "mon" | "monday" | "lun" | "lunes" => 0,
        "tue" | "tuesday" | "mar" | "martes" => 1,
        "wed" | "wednesday" | "mie" | "mié" | "miercoles" | "miércoles" => 2,
        "thu" | "thursday" | "jue" | "jueves" => 3,
        "fri" | "friday" | "vie" | "viernes" => 4,
        "sat" | "saturday" | "sab" | "sáb" | "sabado" | "sábado" => 5,
        "sun" | "sunday" | "dom" | "domingo" => 6,
        "weekdays" | "laborables" => return Some((0..5).collect()),
        "weekend" | "fin_de_semana" | "findesemana" => return Some(vec![5, 6]),
        "all" | "todos" | "every_day" | "todos_los_dias" => return Some((0..7).collect()),
        _ => return None,
    };
    Some(vec![one])
}

/// Reads `days`, `from` and `to` of a table (`extra` lists the other keys it may hold).
pub fn window_from(
    table: &toml::Table,
    place: &Place,
    extra: &[&str],
) -> Result<Window, PolicyError> {
    let err = |key: &str, problem| PolicyError::new(place.clone(), key, problem);
    for key in table.keys() {
        if !["days", "from", "to"].contains(&key.as_str()) && !extra.contains(&key.as_str()) {
            return Err(err(key, Problem::UnknownKey));
        }
    }
    let mut days = [false; 7];
    match table.get("days") {
        // Without `days`: every day.
        None => days = [true; 7],
        Some(toml::Value::Array(items)) => {
            if items.is_empty() {
                return Err(err("days", Problem::NoDays));
            }
            for item in items {
                let name = item.as_str().ok_or_else(|| err("days", Problem::NotList))?;
                for d in parse_day(name).ok_or_else(|| err("days", Problem::BadDay(name.into())))? {
                    days[d] = true;
                }
            }
        }
        Some(toml::Value::String(name)) => {
            for d in parse_day(name).ok_or_else(|| err("days", Problem::BadDay(name.clone())))? {
                days[d] = true;
            }
        }
        Some(_) => return Err(err("days", Problem::NotList)),
    }
    let time = |key: &str| -> Result<u16, PolicyError> {
        match table.get(key) {
            None => Err(err(key, Problem::Missing)),
            Some(toml::Value::String(s)) => {
                parse_time(s).ok_or_else(|| err(key, Problem::BadTime(s.clone())))
            }
            Some(other) => Err(err(key, Problem::BadTime(other.to_string()))),
        }
    };
    let (from, to) = (time("from")?, time("to")?);
    if from == 1440 {
        return Err(err("from", Problem::BadTime("24:00".into())));
    }
    if from == to {
        return Err(err("to", Problem::EmptyWindow));
    }
    Ok(Window { days, from, to })
}

impl Window {
    fn minute_of(z: &Zoned) -> u16 {
        z.hour() as u16 * 60 + z.minute() as u16
    }

    fn weekday(z: &Zoned) -> usize {
        z.weekday().to_monday_zero_offset() as usize
    }

    /// The wall-clock start of the occurrence of this window that holds `at`, if any.
    fn start_containing(&self, at: &Zoned) -> Option<Zoned> {
        let day = Self::weekday(at);
        let minute = Self::minute_of(at);
        let start_on = |days_back: i64| -> Option<Zoned> {
            let date = at
                .date()
                .checked_sub(jiff::Span::new().days(days_back))
                .ok()?;
            let start = date
                .at((self.from / 60) as i8, (self.from % 60) as i8, 0, 0)
                .to_zoned(at.time_zone().clone())
                .ok()?;
            Some(start)
        };
        if self.from < self.to {
            (self.days[day] && minute >= self.from && minute < self.to)
                .then(|| start_on(0))
                .flatten()
        } else if self.days[day] && minute >= self.from {
            start_on(0)
        } else if self.days[(day + 6) % 7] && minute < self.to {
            start_on(1)
        } else {
            None
        }
    }
}

impl Window {
    /// Where the occurrence of this window that began at `start` ends (wall clock).
    fn end_after(&self, start: &Zoned) -> Option<Zoned> {
        let date = if self.from < self.to {
            start.date()
        } else {
            start.date().tomorrow().ok()?
        };
        let (date, minutes) = if self.to == 1440 {
            (date.tomorrow().ok()?, 0)
        } else {
            (date, self.to)
        };
        date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
            .to_zoned(start.time_zone().clone())
            .ok()
    }

    /// The first start of this window strictly after `at`.
    fn next_start(&self, at: &Zoned) -> Option<Zoned> {
        (0..=7).find_map(|days| {
            let date = at.date().checked_add(jiff::Span::new().days(days)).ok()?;
            let weekday = date.weekday().to_monday_zero_offset() as usize;
            if !self.days[weekday] {
                return None;
            }
            let start = date
                .at((self.from / 60) as i8, (self.from % 60) as i8, 0, 0)
                .to_zoned(at.time_zone().clone())
                .ok()?;
            (start.timestamp() > at.timestamp()).then_some(start)
        })
    }
}

/// A set of windows; an instant is inside when any window holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    pub windows: Vec<Window>,
}

impl Schedule {
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    pub fn contains(&self, at: Timestamp, tz: &TimeZone) -> bool {
        self.since(at, tz).is_some()
    }

    /// When the window holding `at` began (the earliest such start), if one holds it.
    pub fn since(&self, at: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let z = at.to_zoned(tz.clone());
        self.windows
            .iter()
            .filter_map(|w| w.start_containing(&z))
            .map(|s| s.timestamp())
            .min()
    }
}

impl Schedule {
    /// When the window holding `at` ends: the earliest end among those holding it (where
    /// windows overlap, the schedule may still hold then; ask again). `None` outside.
    /// The wall-clock end is read as jiff's `compatible` does; an end inside a DST gap
    /// comes out late by the gap, which an embedder's capped sleep covers.
    pub fn end_of(&self, at: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let z = at.to_zoned(tz.clone());
        self.windows
            .iter()
            .filter_map(|w| w.end_after(&w.start_containing(&z)?))
            .map(|e| e.timestamp())
            .min()
    }

    /// The first start of a window strictly after `at` (within a week).
    pub fn next_start(&self, at: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let z = at.to_zoned(tz.clone());
        self.windows
            .iter()
            .filter_map(|w| w.next_start(&z))
            .map(|s| s.timestamp())
            .min()
    }
}

/// A time zone by IANA name; `None` or `""` is the system's own.
pub fn time_zone(name: Option<&str>) -> Result<TimeZone, Problem> {
    match name.map(str::trim) {
        None | Some("") => Ok(TimeZone::try_system().unwrap_or(TimeZone::UTC)),
        Some(n) => TimeZone::get(n).map_err(|_| Problem::BadTimeZone(n.to_string())),
    }
}

/// A duration such as `90s`, `30m`, `2h`, `1h30m`, `1d` (a bare number is minutes).
pub fn parse_duration(text: &str) -> Option<SignedDuration> {
    let t = text.trim().to_lowercase().replace(' ', "");
    if t.is_empty() {
        return None;
    }
    if let Ok(mins) = t.parse::<u32>() {
        return Some(SignedDuration::from_mins(mins as i64));
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while chars.peek().is_some_and(|c| c.is_alphabetic()) {
            unit.push(chars.next()?);
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let secs = match unit.as_str() {
            "s" | "sec" | "seg" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(secs)?)?;
    }
    (digits.is_empty() && total > 0).then(|| SignedDuration::from_secs(total))
}

/// When a snooze ends, from what a user types: a duration from now (`1h`, `30m`), a time
/// of day (`9:00`: the next one), tomorrow at a time (`mañana 9:00`, `tomorrow 09:00`,
/// `mañana a las 9:00`), a date and time in `tz` (`2026-12-08 09:00`) or an RFC 3339
/// instant. `None` when it is none of these, or not in the future.
pub fn parse_when(text: &str, now: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
    let t = text.trim().to_lowercase();
    let at = |date: jiff::civil::Date, minutes: u16| -> Option<Timestamp> {
        if minutes >= 1440 {
            return None;
        }
        let dt = date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
        dt.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
    };
    let today = now.to_zoned(tz.clone()).date();
    let when = if let Some(d) = parse_duration(&t) {
        now.checked_add(d).ok()
    } else if let Some(minutes) = parse_time(&t) {
        let candidate = at(today, minutes)?;
        if candidate > now {
            Some(candidate)
        } else {
            at(today.tomorrow().ok()?, minutes)
        }
    } else if let Some(rest) = ["mañana", "manana", "tomorrow"]
        .iter()
        .find_map(|w| t.strip_prefix(w))
    {
        let rest = rest.trim();
        let rest = ["a las", "a la", "at"]
            .iter()
            .find_map(|w| rest.strip_prefix(w))
            .unwrap_or(rest)
            .trim();
        at(today.tomorrow().ok()?, parse_time(rest)?)
    } else if let Ok(instant) = text.trim().parse::<Timestamp>() {
        Some(instant)
    } else {
        let civil: jiff::civil::DateTime = t.replace(' ', "T").parse().ok()?;
        civil.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
    }?;
    (when > now).then_some(when)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(src: &str) -> Result<Window, PolicyError> {
        let t: toml::Table = src.parse().unwrap();
        window_from(&t, &Place::QuietHours(1), &[])
    }

    fn at(zone: &str, civil: &str) -> (Timestamp, TimeZone) {
        let tz = TimeZone::get(zone).unwrap();
        let dt: jiff::civil::DateTime = civil.parse().unwrap();
        (dt.to_zoned(tz.clone()).unwrap().timestamp(), tz)
    }

    fn schedule(src: &str) -> Schedule {
        Schedule {
            windows: vec![window(src).unwrap()],
        }
    }

    #[test]
    fn quiet_hours_across_midnight() {
        // Weeknights 22:00-07:00: Friday night runs into Saturday morning; Saturday night
        // is not quiet (the window starts on the listed days only).
        let s = schedule(
            r#"days = ["laborables"]
from = "22:00"
to = "07:00""#,
        );
        let z = "America/La_Paz";
        let inside = |civil: &str| {
            let (t, tz) = at(z, civil);
            s.contains(t, &tz)
        };
        assert!(!inside("2026-12-04T21:59:59")); // Friday
        assert!(inside("2026-12-04T22:00:00"));
        assert!(inside("2026-12-05T06:59:59")); // Saturday morning, from Friday
        assert!(!inside("2026-12-05T07:00:00"));
        assert!(!inside("2026-12-05T23:00:00")); // Saturday night
        assert!(!inside("2026-12-07T03:00:00")); // Monday 03:00 (Sunday not listed)
        assert!(inside("2026-12-07T23:30:00")); // Monday night
        let (t, tz) = at(z, "2026-12-05T03:00:00");
        assert_eq!(s.since(t, &tz), Some(at(z, "2026-12-04T22:00:00").0));
    }

    #[test]
    fn quiet_hours_follow_the_wall_clock_across_dst_changes() {
        let s = schedule(
            r#"from = "22:00"
to = "07:00""#,
        );
        let z = "Europe/Madrid";
        // Spring forward (29 March 2026, 02:00 -> 03:00): the night is 8 hours long, and
        // ends at 07:00 local, i.e. 05:00 UTC (not 06:00 as in winter).
        let (start, tz) = at(z, "2026-03-28T22:00:00");
        let end = at(z, "2026-03-29T07:00:00").0;
        assert_eq!(end.duration_since(start).as_hours(), 8);
        assert_eq!(end.to_string(), "2026-03-29T05:00:00Z");
        let second = SignedDuration::from_secs(1);
        assert!(s.contains(end - second, &tz));
        assert!(!s.contains(end, &tz));
        assert!(s.contains(start, &tz));
        assert!(!s.contains(start - second, &tz));
        // Fall back (25 October 2026, 03:00 -> 02:00): 10 hours; 02:30 happens twice and is
        // quiet both times.
        let (start, tz) = at(z, "2026-10-24T22:00:00");
        let end = at(z, "2026-10-25T07:00:00").0;
        assert_eq!(end.duration_since(start).as_hours(), 10);
        let first_0230 = "2026-10-25T00:30:00Z".parse::<Timestamp>().unwrap();
        let second_0230 = "2026-10-25T01:30:00Z".parse::<Timestamp>().unwrap();
        for t in [first_0230, second_0230] {
            assert_eq!(t.to_zoned(tz.clone()).hour(), 2);
            assert!(s.contains(t, &tz));
        }
        assert!(!s.contains(end, &tz));
        // A window inside the skipped hour's night: 01:00-03:00 is one real hour long.
        let short = schedule(
            r#"from = "01:00"
to = "03:00""#,
        );
        let (t, tz) = at(z, "2026-03-29T01:30:00");
        assert!(short.contains(t, &tz));
        // 01:00 CET is 00:00Z and 03:00 CEST is 01:00Z.
        assert!(short.contains("2026-03-29T00:59:59Z".parse().unwrap(), &tz));
        assert!(!short.contains("2026-03-29T01:00:00Z".parse().unwrap(), &tz));
    }

    #[test]
    fn whole_days_and_named_days() {
        let s = schedule(
            r#"days = ["sáb", "sun"]
from = "00:00"
to = "24:00""#,
        );
        let z = "America/La_Paz";
        let (sat, tz) = at(z, "2026-12-05T12:00:00");
        assert!(s.contains(sat, &tz));
        assert!(s.contains(at(z, "2026-12-06T23:59:59").0, &tz));
        assert!(!s.contains(at(z, "2026-12-07T00:00:00").0, &tz));
    }

    #[test]
    fn impossible_schedules_are_errors() {
        let e = |src: &str| window(src).unwrap_err().to_string();
        assert_eq!(
            e(r#"from = "25:00"
to = "07:00""#),
            "quiet hours window 1, key `from`: `25:00` is not a time HH:MM between 00:00 and 24:00"
        );
        assert_eq!(
            e(r#"from = "22:00"
to = "22:00""#),
            "quiet hours window 1, key `to`: `from` and `to` are the same time: the window is empty (for a whole day: 00:00 to 24:00)"
        );
        assert_eq!(
            e(r#"days = []
from = "22:00"
to = "07:00""#),
            "quiet hours window 1, key `days`: the list of days is empty: the schedule would never apply"
        );
        assert_eq!(
            e(r#"days = ["lunes", "feriado"]
from = "22:00"
to = "07:00""#),
            "quiet hours window 1, key `days`: unknown day `feriado` (mon, tue, wed, thu, fri, sat, sun, weekdays, weekend, all; or lun…dom)"
        );
        assert_eq!(
            e(r#"from = "22:00""#),
            "quiet hours window 1, key `to`: is required"
        );
        assert_eq!(
            e(r#"from = "22:00"
to = "7""#),
            "quiet hours window 1, key `to`: `7` is not a time HH:MM between 00:00 and 24:00"
        );
        let es = window(
            r#"from = "22:00"
hasta = "07:00""#,
        )
        .unwrap_err()
        .message(super::super::Lang::Es);
        assert_eq!(
            es,
            "el horario de silencio n.º 1, clave `hasta`: clave desconocida (¿un error de escritura?)"
        );
        assert!(matches!(
            time_zone(Some("Marte/Olympus")),
            Err(Problem::BadTimeZone(_))
        ));
        assert!(time_zone(Some("America/La_Paz")).is_ok());
    }

    #[test]
    fn snooze_times_as_users_type_them() {
        let z = "America/La_Paz";
        let (now, tz) = at(z, "2026-12-07T21:30:00");
        let w = |s: &str| {
            parse_when(s, now, &tz).map(|t| t.to_zoned(tz.clone()).datetime().to_string())
        };
        assert_eq!(w("1h").as_deref(), Some("2026-12-07T22:30:00"));
        assert_eq!(w("30 min").as_deref(), Some("2026-12-07T22:00:00"));
        assert_eq!(w("22:15").as_deref(), Some("2026-12-07T22:15:00"));
        assert_eq!(
            w("9:00").as_deref(),
            Some("2026-12-08T09:00:00"),
            "the next 9:00"
        );
        assert_eq!(
            w("Mañana a las 9:00").as_deref(),
            Some("2026-12-08T09:00:00")
        );
        assert_eq!(w("tomorrow 07:30").as_deref(), Some("2026-12-08T07:30:00"));
        assert_eq!(
            w("2026-12-10 08:00").as_deref(),
            Some("2026-12-10T08:00:00")
        );
        assert_eq!(
            w("2026-12-10T12:00:00Z").as_deref(),
            Some("2026-12-10T08:00:00")
        );
        assert_eq!(w("2026-12-01 08:00"), None, "in the past");
        assert_eq!(w("pronto"), None);
        assert_eq!(w("mañana"), None);
    }

    #[test]
    fn durations() {
        let d = |s: &str| parse_duration(s).map(|d| d.as_secs());
        assert_eq!(d("90s"), Some(90));
        assert_eq!(d("30m"), Some(1800));
        assert_eq!(d("2h"), Some(7200));
        assert_eq!(d("1h30m"), Some(5400));
        assert_eq!(d("1 h 30 min"), Some(5400));
        assert_eq!(d("45"), Some(2700));
        assert_eq!(d("1d"), Some(86400));
        assert_eq!(d("2x"), None);
        assert_eq!(d("h"), None);
        assert_eq!(d("0m"), None);
        assert_eq!(d(""), None);
    }
}
