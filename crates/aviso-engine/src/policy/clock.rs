//! The time the policy is given: the real clock, or a compressed one so an end-to-end test
//! can live through a scripted day in seconds.
//!
//! `AVISO_CLOCK_START` (RFC 3339, e.g. `2026-12-07T21:58:00-04:00`) is the virtual time at
//! the real instant `AVISO_CLOCK_ANCHOR` (Unix seconds, default: when the clock was made);
//! from there virtual time runs `AVISO_CLOCK_SCALE` times faster (default 1). Processes
//! given the same three values (the watcher and `aviso-cli snooze`) share one virtual clock.
//! Start it in the future: the store hides a snoozed notification until its time by the
//! real clock, so a virtual snooze time in the past would show it at once.

use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    virtual_start: Timestamp,
    real_start: Timestamp,
    scale: f64,
}

impl Clock {
    pub fn real() -> Clock {
        let now = Timestamp::now();
        Clock {
            virtual_start: now,
            real_start: now,
            scale: 1.0,
        }
    }

    pub fn compressed(virtual_start: Timestamp, real_start: Timestamp, scale: f64) -> Clock {
        Clock {
            virtual_start,
            real_start,
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
        }
    }

    /// The clock the environment asks for (see the module's doc); the real one when
    /// `AVISO_CLOCK_START` is not set.
    pub fn from_env() -> Result<Clock, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let Some(start) = var("AVISO_CLOCK_START") else {
            return Ok(Clock::real());
        };
        let virtual_start: Timestamp = start
            .trim()
            .parse()
            .map_err(|e| format!("AVISO_CLOCK_START `{start}`: {e}"))?;
        let real_start = match var("AVISO_CLOCK_ANCHOR") {
            Some(a) => a
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|s| Timestamp::from_duration(SignedDuration::from_secs_f64(s)).ok())
                .ok_or_else(|| format!("AVISO_CLOCK_ANCHOR `{a}`: not Unix seconds"))?,
            None => Timestamp::now(),
        };
        let scale = match var("AVISO_CLOCK_SCALE") {
            Some(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x > 0.0)
                .ok_or_else(|| format!("AVISO_CLOCK_SCALE `{s}`: not a positive number"))?,
            None => 1.0,
        };
        Ok(Clock::compressed(virtual_start, real_start, scale))
    }

    pub fn now(&self) -> Timestamp {
        self.at(Timestamp::now())
    }

    /// The virtual time at a real instant.
    pub fn at(&self, real: Timestamp) -> Timestamp {
        let elapsed = real.duration_since(self.real_start).as_secs_f64() * self.scale;
        self.virtual_start
            .checked_add(SignedDuration::from_secs_f64(elapsed))
            .unwrap_or(self.virtual_start)
    }

    /// How long, in real time, from the virtual `now` until the virtual `then` (zero when
    /// it is past).
    pub fn real_until(&self, now: Timestamp, then: Timestamp) -> std::time::Duration {
        let virtual_secs = then.duration_since(now).as_secs_f64();
        std::time::Duration::try_from_secs_f64(virtual_secs.max(0.0) / self.scale)
            .unwrap_or(std::time::Duration::MAX)
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_time_runs_faster_from_its_anchor() {
        let real: Timestamp = "2026-12-03T10:00:00Z".parse().unwrap();
        let start: Timestamp = "2026-12-07T21:58:00-04:00".parse().unwrap();
        let c = Clock::compressed(start, real, 60.0);
        assert_eq!(c.at(real), start);
        let later = real + SignedDuration::from_secs(5);
        assert_eq!(c.at(later).to_string(), "2026-12-08T02:03:00Z");
        assert_eq!(Clock::compressed(start, real, -1.0).scale(), 1.0);
        // An hour of its time is a minute of real time; the past is no wait.
        let hour_later = start + SignedDuration::from_hours(1);
        assert_eq!(
            c.real_until(start, hour_later),
            std::time::Duration::from_secs(60)
        );
        assert_eq!(c.real_until(hour_later, start), std::time::Duration::ZERO);
    }
}
