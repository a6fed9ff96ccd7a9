//! The account's unread count line: counted in the store, kept up to date by what each
//! stored batch changed, and said at most every [`UNREAD_EVERY`] while a burst lasts (the
//! line after the burst carries the count it added up to).

use std::time::Duration;

use tokio::time::Instant;

use super::Link;
use crate::model::EngineEvent;

/// How long an unread count kept up to date by deltas is trusted before counting again.
const UNREAD_RECOUNT: Duration = Duration::from_secs(1);
/// A burst says its unread count at most this often (the last line has the final count).
const UNREAD_EVERY: Duration = Duration::from_millis(250);

/// What a link knows of the unread count it tells.
#[derive(Debug, Default)]
pub(super) struct UnreadLine {
    /// The last count told, and when it was counted (see `emit_unread_after`).
    count: Option<(u64, Instant)>,
    /// When a line was last said.
    told: Option<Instant>,
    /// When a held-back line is due.
    pub(super) due: Option<Instant>,
}

impl Link {
    /// Counts the account's unread notifications and tells.
    pub(super) async fn emit_unread(&mut self) {
        match self.shared.store.unread_count(Some(self.account())) {
            Ok(count) => {
                self.unread.count = Some((count, Instant::now()));
                self.tell_unread(count).await
            }
            Err(e) => self.error(e.code(), e.to_string()).await,
        }
    }

    /// After storing a batch: the last count plus what the batch changed, without counting
    /// again (a count costs a pass over the unread, per batch of a burst). The count is
    /// taken afresh at least every [`UNREAD_RECOUNT`], which also takes in what other
    /// processes (`aviso-cli mark-read`) changed.
    ///
    /// A burst says its count at most every [`UNREAD_EVERY`]: the line after the burst
    /// carries the count it added up to.
    pub(super) async fn emit_unread_after(&mut self, delta: i64) {
        match self.unread.count {
            Some((count, at)) if at.elapsed() < UNREAD_RECOUNT => {
                let count = count.saturating_add_signed(delta);
                self.unread.count = Some((count, at));
                match self.unread.told {
                    Some(told) if told.elapsed() < UNREAD_EVERY => {
                        self.unread.due.get_or_insert(told + UNREAD_EVERY);
                    }
                    _ => self.tell_unread(count).await,
                }
            }
            _ => self.emit_unread().await,
        }
    }

    /// A count held back by `emit_unread_after`, now due.
    pub(super) async fn tell_unread_due(&mut self) {
        if self.unread.due.take().is_some() {
            if let Some((count, _)) = self.unread.count {
                self.tell_unread(count).await;
            }
        }
    }

    async fn tell_unread(&mut self, count: u64) {
        self.unread.due = None;
        self.unread.told = Some(Instant::now());
        self.emit(EngineEvent::Unread {
            account: self.account().into(),
            count,
        })
        .await
    }
}
