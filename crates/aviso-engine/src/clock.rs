//! Wall-clock helpers: RFC 3339 timestamps for events and the health view, and telling a
//! suspended machine from one that was only busy.

use std::time::{Duration, SystemTime};

/// A gap this large counts as a sleep (NTP slews the wall clock far more gently).
const SLEEP_GAP: Duration = Duration::from_secs(15);

/// Whether the wall clock ran ahead of the monotonic clock by a sleep's worth between two
/// readings (or jumped backwards by as much).
pub fn slept(wall_elapsed: Result<Duration, Duration>, mono_elapsed: Duration) -> bool {
    match wall_elapsed {
        Ok(wall) => wall.saturating_sub(mono_elapsed) >= SLEEP_GAP,
        Err(back) => back >= SLEEP_GAP,
    }
}

/// The current wall-clock time, RFC 3339.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

pub(crate) fn rfc3339(t: SystemTime) -> String {
    let t: time::OffsetDateTime = t.into();
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_clock_gap_means_the_machine_slept() {
        let s = Duration::from_secs;
        // Awake: both clocks advance together (small NTP slews are not sleeps).
        assert!(!slept(Ok(s(10)), s(10)));
        assert!(!slept(Ok(s(12)), s(10)));
        // Suspended for an hour: the monotonic clock saw 10 s, the wall clock an hour.
        assert!(slept(Ok(s(3610)), s(10)));
        // The wall clock was set back by a lot: also treat as suspect.
        assert!(slept(Err(s(600)), s(10)));
        assert!(!slept(Err(s(1)), s(10)));
    }
}
