//! The account's state line, from its sockets' states. Pure: which state stands for several
//! ([`fold`], [`Board::fold`]) and when a state line is worth printing ([`worth_a_line`]);
//! the [`Board`] only keeps each socket's latest state and says the account's when the
//! fold changes.
//!
//! A profile with `channels` (seed 002) runs one socket per channel; the account's line is
//! what they add up to, and each socket's own line is printed only when it says something
//! new (five channels of a restarting server print a few lines, not ~95).

use std::time::SystemTime;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::clock::rfc3339;
use crate::health::HealthBook;
use crate::model::{ConnState, EngineEvent};
use crate::session::Snapshot;

/// How urgent a state is when one line stands for several: 0 is the most urgent. A login
/// to ask for comes first (only the user can fix it), then a socket that waits to retry,
/// one that polls instead of pushing, one that is connecting; a live socket only when no
/// other says anything worse; a stopped one last (it stops because the engine does).
pub fn urgency(state: ConnState) -> u8 {
    match state {
        ConnState::NeedsLogin => 0,
        ConnState::Backoff => 1,
        ConnState::Polling => 2,
        ConnState::Connecting => 3,
        ConnState::Live => 4,
        ConnState::Stopped => 5,
    }
}

/// The state that several states add up to: the most urgent (see [`urgency`]), so the
/// result is live only when every one is. `None` for no states.
///
/// This is the fold of an account's channels; an embedder that shows one state for
/// several accounts (the tray icon) can call it to rank them the same way.
pub fn fold(states: impl IntoIterator<Item = ConnState>) -> Option<ConnState> {
    states.into_iter().min_by_key(|s| urgency(*s))
}

/// Folds the states of an account's channels into the account's own state line.
pub struct Board {
    account: String,
    /// Each channel's last state (`None` until it reported one), and the account's last
    /// line.
    slots: tokio::sync::Mutex<(Vec<Option<Snapshot>>, Option<Snapshot>)>,
}

impl Board {
    pub(super) fn new(account: &str, channels: usize) -> Board {
        Board {
            account: account.to_string(),
            slots: tokio::sync::Mutex::new((vec![None; channels], None)),
        }
    }

    /// The account state that channel states `snaps` add up to: the first of the most
    /// urgent (see [`fold`]), retrying at the earliest retry among the channels in that
    /// state.
    pub fn fold(snaps: &[Snapshot]) -> Option<Snapshot> {
        let worst = snaps.iter().min_by_key(|s| urgency(s.state))?;
        let retry_at = snaps
            .iter()
            .filter(|s| s.state == worst.state)
            .filter_map(|s| s.retry_at)
            .min();
        Some(Snapshot { retry_at, ..*worst })
    }

    /// Records channel `slot`'s state; emits the account's when the fold changed. The
    /// lock is held across the send so two channels never publish out of order.
    pub(super) async fn report(
        &self,
        slot: usize,
        snap: Snapshot,
        events: &mpsc::Sender<EngineEvent>,
        health: &HealthBook,
    ) {
        let mut guard = self.slots.lock().await;
        let (slots, last) = &mut *guard;
        slots[slot] = Some(snap);
        let Some(all) = slots.iter().copied().collect::<Option<Vec<_>>>() else {
            return;
        };
        let Some(folded) = Board::fold(&all) else {
            return;
        };
        if last.is_some_and(|l| !worth_a_line(l, folded)) {
            return;
        }
        *last = Some(folded);
        let event = state_event(&self.account, None, folded);
        health.observe(&event);
        let _ = events.send(event).await;
    }
}

/// Whether a socket of several (a stream channel) or their account says a new state line:
/// not for a new retry time alone, and not for each retry's `connecting` between two
/// `backoff`s. Five channels of a server that restarts then print a few lines, not ~95.
pub fn worth_a_line(last: Snapshot, now: Snapshot) -> bool {
    let retrying = last.state == ConnState::Backoff && now.state == ConnState::Connecting;
    let same = (last.state, last.detail, last.transport) == (now.state, now.detail, now.transport);
    !retrying && !same
}

/// The state line of `account` (of one of its channels when `channel` is given): the
/// retry time, monotonic in the snapshot, said as a wall-clock time.
pub(super) fn state_event(account: &str, channel: Option<String>, snap: Snapshot) -> EngineEvent {
    let next_retry_at = snap
        .retry_at
        .map(|at| rfc3339(SystemTime::now() + at.saturating_duration_since(Instant::now())));
    EngineEvent::State {
        account: account.into(),
        channel,
        state: snap.state,
        transport: snap.transport,
        detail: snap.detail,
        next_retry_at,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::TransportKind;

    const ALL: [ConnState; 6] = [
        ConnState::NeedsLogin,
        ConnState::Backoff,
        ConnState::Polling,
        ConnState::Connecting,
        ConnState::Live,
        ConnState::Stopped,
    ];

    fn snap(state: ConnState, detail: crate::StateDetail) -> Snapshot {
        Snapshot {
            state,
            transport: Some(TransportKind::Websocket),
            detail,
            retry_at: None,
        }
    }

    #[test]
    fn the_most_urgent_state_stands_for_all() {
        // ALL is in order of urgency: each state wins over every later one, either way round.
        for (i, &urgent) in ALL.iter().enumerate() {
            for &calmer in &ALL[i..] {
                assert_eq!(
                    fold([urgent, calmer]),
                    Some(urgent),
                    "{urgent:?} vs {calmer:?}"
                );
                assert_eq!(
                    fold([calmer, urgent]),
                    Some(urgent),
                    "{calmer:?} vs {urgent:?}"
                );
            }
        }
        assert_eq!(fold([]), None);
    }

    #[test]
    fn an_account_is_live_only_when_every_channel_is() {
        use ConnState::*;
        assert_eq!(fold([Live, Live, Live]), Some(Live));
        assert_eq!(fold([Live, Connecting, Live]), Some(Connecting));
        assert_eq!(fold([Live, Polling, Connecting]), Some(Polling));
        assert_eq!(fold([Polling, Backoff, Live]), Some(Backoff));
        assert_eq!(fold([Backoff, Live, NeedsLogin]), Some(NeedsLogin));
        // A channel that stopped (the engine shuts down) does not hide the others' state.
        assert_eq!(fold([Stopped, Live]), Some(Live));
        assert_eq!(fold([Stopped, Stopped]), Some(Stopped));
    }

    #[test]
    fn the_account_line_has_the_worst_channels_detail_and_earliest_retry() {
        let now = Instant::now();
        let at = |secs| Some(now + Duration::from_secs(secs));
        let snaps = [
            Snapshot {
                retry_at: at(1),
                ..snap(ConnState::Connecting, crate::StateDetail::None)
            },
            Snapshot {
                retry_at: at(30),
                ..snap(ConnState::Backoff, crate::StateDetail::ServerClosed)
            },
            Snapshot {
                transport: None,
                retry_at: at(10),
                ..snap(ConnState::Backoff, crate::StateDetail::DeadPeer)
            },
        ];
        let folded = Board::fold(&snaps).unwrap();
        // The first backoff gives detail and transport; the earliest retry among the
        // backoffs (not the connecting channel's) is the account's.
        assert_eq!(folded.state, ConnState::Backoff);
        assert_eq!(folded.detail, crate::StateDetail::ServerClosed);
        assert_eq!(folded.transport, Some(TransportKind::Websocket));
        assert_eq!(folded.retry_at, at(10));
        assert_eq!(Board::fold(&[]), None);
    }

    #[test]
    fn a_state_line_is_printed_only_when_it_says_something_new() {
        let backoff = snap(ConnState::Backoff, crate::StateDetail::ServerClosed);
        let later = Snapshot {
            retry_at: Some(Instant::now() + Duration::from_secs(5)),
            ..backoff
        };
        // A new retry time alone: no line.
        assert!(!worth_a_line(backoff, later));
        assert!(!worth_a_line(backoff, backoff));
        // Each retry's `connecting` between two backoffs: no line.
        assert!(!worth_a_line(
            backoff,
            snap(ConnState::Connecting, crate::StateDetail::None)
        ));
        // A new state, reason or transport: a line.
        assert!(worth_a_line(
            snap(ConnState::Connecting, crate::StateDetail::None),
            backoff
        ));
        assert!(worth_a_line(
            snap(ConnState::Connecting, crate::StateDetail::None),
            snap(ConnState::Live, crate::StateDetail::None)
        ));
        assert!(worth_a_line(
            backoff,
            snap(ConnState::Backoff, crate::StateDetail::DeadPeer)
        ));
        let polling_transport = Snapshot {
            transport: Some(TransportKind::Polling),
            ..backoff
        };
        assert!(worth_a_line(backoff, polling_transport));
    }

    #[test]
    fn a_retry_time_is_said_as_a_wall_clock_time() {
        let in_a_minute = Snapshot {
            retry_at: Some(Instant::now() + Duration::from_secs(60)),
            ..snap(ConnState::Backoff, crate::StateDetail::DeadPeer)
        };
        let EngineEvent::State {
            account,
            channel,
            state,
            detail,
            next_retry_at,
            ..
        } = state_event("tienda", Some("sensor_data".into()), in_a_minute)
        else {
            panic!("a state line");
        };
        assert_eq!(
            (account.as_str(), channel.as_deref(), state, detail.as_str()),
            (
                "tienda",
                Some("sensor_data"),
                ConnState::Backoff,
                "dead_peer"
            )
        );
        let at = time::OffsetDateTime::parse(
            &next_retry_at.unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let ahead = at - time::OffsetDateTime::now_utc();
        assert!(ahead > time::Duration::seconds(55) && ahead <= time::Duration::seconds(60));
    }

    /// What the board says, one line per `report`, as (state, detail) or `None`.
    async fn said(
        board: &Board,
        reports: &[(usize, Snapshot)],
    ) -> Vec<Option<(ConnState, crate::StateDetail)>> {
        let (tx, mut rx) = mpsc::channel(16);
        let health = HealthBook::default();
        let mut lines = Vec::new();
        for &(slot, snap) in reports {
            board.report(slot, snap, &tx, &health).await;
            lines.push(rx.try_recv().ok().map(|e| match e {
                EngineEvent::State {
                    channel: None,
                    state,
                    detail,
                    ..
                } => (state, detail),
                other => panic!("not an account state line: {other:?}"),
            }));
        }
        lines
    }

    #[tokio::test]
    async fn the_board_says_the_account_line_once_every_channel_reported_and_when_it_changes() {
        let board = Board::new("tienda", 2);
        let connecting = snap(ConnState::Connecting, crate::StateDetail::None);
        let live = snap(ConnState::Live, crate::StateDetail::None);
        let backoff = snap(ConnState::Backoff, crate::StateDetail::ServerClosed);
        let later = Snapshot {
            retry_at: Some(Instant::now() + Duration::from_secs(3)),
            ..backoff
        };
        let lines = said(
            &board,
            &[
                // One channel of two: nothing to say yet.
                (0, connecting),
                (1, connecting),
                (0, live),
                (1, live),
                // One drops: the account is in backoff.
                (1, backoff),
                // The same backoff with a new retry time, its retry's connecting: quiet.
                (1, later),
                (1, connecting),
                (1, live),
            ],
        )
        .await;
        let line = |s: ConnState, d: crate::StateDetail| Some((s, d));
        assert_eq!(
            lines,
            [
                None,
                line(ConnState::Connecting, crate::StateDetail::None),
                None,
                line(ConnState::Live, crate::StateDetail::None),
                line(ConnState::Backoff, crate::StateDetail::ServerClosed),
                None,
                None,
                line(ConnState::Live, crate::StateDetail::None),
            ]
        );
    }
}
