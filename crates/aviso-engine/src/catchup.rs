//! Catch-up: read everything after the persisted cursor over REST, store it (de-duplicated
//! by id) and advance the cursor. Runs at start, after every reconnect, after a wake, on
//! each poll, and as the slow safety poll while live.
//!
//! Only REST results move the cursor, never pushed frames: pushes can have gaps (Django
//! Channels delivers at most once), and a cursor moved past a gap would hide it forever.
//!
//! After a catch-up, [`ReadCheck`] reconciles read state: what is unread here but no longer
//! in the server's unread list was read on another device.

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use crate::account_spec::AccountSpec;
use crate::frame::{self, FrameError, Inbound};
use crate::profile::{Profile, RequestSpec};
use crate::rest::{cursor_after, max_cursor, PageAt, Rest, RestError};
use crate::secret::Secret;
use crate::store::{Ingest, Store, StoreError};
use crate::template::{lookup, to_text};

#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    #[error(transparent)]
    Rest(#[from] RestError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub ingest: Ingest,
    /// Items the server sent that could not be used (reported, skipped).
    pub errors: Vec<FrameError>,
    pub not_modified: bool,
}

/// At most this many pages per catch-up (a runaway `next` link must end somewhere); the
/// rest comes with the next catch-up.
const MAX_PAGES: usize = 1_000;
/// At most this many pages of the server's unread list are read to compare reads.
const RECONCILE_PAGES: usize = 20;

/// One catch-up, a page at a time: each page is stored (and announced by the caller) as it
/// arrives, so a backlog of any size costs one page of memory. The cursor moves once, at
/// the end, to the highest one seen: pages may come newest first, and a catch-up cut short
/// must start again from where the last complete one ended.
pub struct CatchUp {
    cursor: String,
    etag: Option<String>,
    best: String,
    next: Option<url::Url>,
    pages: usize,
    new_etag: Option<String>,
    finished: bool,
}

impl CatchUp {
    pub fn start(store: &Store, spec: &AccountSpec) -> Result<CatchUp, StoreError> {
        let (cursor, etag) = store
            .cursor(&spec.name)?
            .unwrap_or_else(|| (spec.profile.rest.initial_cursor.clone(), None));
        Ok(CatchUp {
            best: cursor.clone(),
            cursor,
            etag,
            next: None,
            pages: 0,
            new_etag: None,
            finished: false,
        })
    }

    /// The next page, stored; `None` once the list is done (the cursor is then saved).
    pub async fn next_page(
        &mut self,
        rest: &Rest,
        store: &Store,
        spec: &AccountSpec,
        token: Option<&Secret>,
        twins: &mut crate::twins::Twins,
    ) -> Result<Option<Outcome>, CatchUpError> {
        if self.finished {
            return Ok(None);
        }
        let at = match self.next.take() {
            Some(url) => PageAt::Next(url),
            None if self.pages == 0 => PageAt::First {
                cursor: &self.cursor,
                etag: self.etag.as_deref(),
            },
            None => return self.finish(store, &spec.name).map(|()| None),
        };
        let page = rest.list_page(token, at).await?;
        if page.not_modified {
            self.finished = true;
            return Ok(Some(Outcome {
                not_modified: true,
                ..Outcome::default()
            }));
        }
        if self.pages == 0 && page.items.is_empty() {
            self.new_etag = page.etag.clone();
        }
        self.pages += 1;
        if self.pages < MAX_PAGES {
            self.next = page.next;
        }
        let profile = &spec.profile;
        let (inbound, errors) = frame::list_items(profile, &spec.name, &page.items);
        let Inbound::Notifications(mut items) = inbound else {
            unreachable!("to_notifications gives notifications")
        };
        // A history lists an event under its wrapped twin's id; shown under the other.
        twins.settle(&mut items, std::time::Instant::now());
        let ingest = store.ingest(items)?;
        for c in page
            .items
            .iter()
            .filter_map(|item| lookup(item, &profile.rest.cursor).map(to_text))
            .filter(|c| !c.is_empty())
        {
            self.best = if self.best.is_empty() {
                c
            } else {
                max_cursor(&self.best, &c)
            };
        }
        Ok(Some(Outcome {
            ingest,
            errors,
            not_modified: false,
        }))
    }

    fn finish(&mut self, store: &Store, account: &str) -> Result<(), CatchUpError> {
        self.finished = true;
        if self.best != self.cursor || self.new_etag != self.etag {
            store.set_cursor(account, &self.best, self.new_etag.as_deref())?;
        }
        Ok(())
    }
}

/// What the `catch_up_failed` error line says: the request, the answer, what it costs and
/// what to change. The path is the profile's (no query: nothing secret in it).
pub fn failed_message(profile: &Profile, e: &RestError) -> String {
    let spec = &profile.rest.list;
    let request = match RequestSpec::parse(spec) {
        Ok(r) => format!("{} {}", r.method, r.path.split('?').next().unwrap_or("")),
        Err(_) => spec.clone(),
    };
    let answer = match e.status() {
        Some(405) => "HTTP 405 (method not allowed)".to_string(),
        Some(404) => "HTTP 404 (not found)".to_string(),
        Some(s) => format!("HTTP {s}"),
        None => e.to_string(),
    };
    format!(
        "catch-up failed: {request} answered {answer}; notifications the connection did not \
         deliver (while offline, or dropped by the server) are lost until this is fixed. \
         Set `rest.list` in a profile file to the server's notification list \
         (docs/profiles.md)"
    )
}

/// Reads made on another device: unread notifications here that the server's unread list
/// (`rest.unread_list`) no longer holds become read here too. After each new connection
/// and at most once per safety-poll interval otherwise. Only notifications stored before
/// the list was asked for are judged (a newer one cannot be in it yet), and only on a
/// complete, fully understood list; local alerts never are.
#[derive(Debug, Default)]
pub struct ReadCheck {
    /// When the server's unread list was last compared.
    at: Option<Instant>,
    /// Where the next window of the server's unread list starts (None: at the beginning).
    from: Option<String>,
}

impl ReadCheck {
    /// A new connection: the next catch-up compares again, however recent the last was.
    pub fn reset(&mut self) {
        self.at = None;
    }

    /// Whether a comparison is due: the profile has an unread list, and none was started
    /// within the safety-poll interval.
    pub fn due(&self, profile: &Profile) -> bool {
        let every = Duration::from_secs_f64(profile.polling.safety_interval_secs.max(1.0));
        !profile.rest.unread_list.is_empty() && self.at.is_none_or(|t| t.elapsed() >= every)
    }

    /// A comparison starts now (whether or not it gets an answer).
    pub fn started(&mut self) {
        self.at = Some(Instant::now());
    }

    /// Which of `local` (the ids unread here, read from the store before asking) the
    /// server's unread list says are read. Empty when there is nothing to say, or the list
    /// cannot be read or fully understood.
    pub async fn read_there(
        &mut self,
        rest: &Rest,
        spec: &AccountSpec,
        token: Option<&Secret>,
        local: Vec<String>,
    ) -> Vec<String> {
        let profile = &spec.profile;
        let account = &spec.name;
        let list = &profile.rest.unread_list;
        // Equal counts: nothing read elsewhere (or not yet visible); one cheap request.
        if !profile.rest.unread_count.is_empty() {
            match rest.unread_count(token).await {
                Ok(n) if n == local.len() as u64 => return Vec::new(),
                Ok(_) => {}
                Err(_) => return Vec::new(),
            }
        }
        // With `{cursor}` in the spec (and the id as the cursor) the list is read in windows
        // of RECONCILE_PAGES pages, each picking up after the last: a backlog of any size
        // is compared over a few rounds. Without, only a list that fits in one window is.
        let cursor_field = &profile.rest.cursor;
        let windowed = list.contains("{cursor}") && *cursor_field == profile.fields.id;
        let from = if windowed {
            self.from
                .clone()
                .unwrap_or_else(|| profile.rest.initial_cursor.clone())
        } else {
            String::new()
        };
        let mut unread_there = HashSet::new();
        let mut last_seen: Option<String> = None;
        let mut complete = false;
        let mut at = PageAt::Spec {
            spec: list,
            cursor: &from,
        };
        for _ in 0..RECONCILE_PAGES {
            let Ok(listed) = rest.list_page(token, at).await else {
                return Vec::new();
            };
            let (notifications, errors) = frame::list_items(profile, account, &listed.items);
            let Inbound::Notifications(notifications) = notifications else {
                return Vec::new();
            };
            if !errors.is_empty() || notifications.len() != listed.items.len() {
                tracing::debug!(account = %account, "the server's unread list is not fully understood; reads elsewhere are not compared");
                return Vec::new();
            }
            for item in &listed.items {
                if let Some(c) = lookup(item, cursor_field).map(to_text) {
                    last_seen = Some(match last_seen {
                        Some(l) => max_cursor(&l, &c),
                        None => c,
                    });
                }
            }
            unread_there.extend(notifications.into_iter().filter(|n| !n.read).map(|n| n.id));
            match listed.next {
                Some(next) => at = PageAt::Next(next),
                None => {
                    complete = true;
                    break;
                }
            }
        }
        if !complete && !windowed {
            tracing::debug!(account = %account, "the server's unread list is too long to compare");
            return Vec::new();
        }
        let window = windowed.then(|| Window {
            from: &from,
            last_seen: last_seen.as_deref(),
            complete,
        });
        if windowed {
            // The next round picks up after this window, or starts over.
            self.from = if complete { None } else { last_seen.clone() };
        }
        local
            .into_iter()
            .filter(|id| {
                !id.starts_with("alert-")
                    && window.as_ref().is_none_or(|w| w.covers(id))
                    && !unread_there.contains(id)
            })
            .collect()
    }
}

/// The part of the server's unread list one round of a windowed comparison read: the ids
/// after `from` (all when empty), up to the highest cursor seen unless the list was read
/// to its end.
struct Window<'a> {
    from: &'a str,
    last_seen: Option<&'a str>,
    complete: bool,
}

impl Window<'_> {
    /// Whether the window judged `id`: an id outside it may be unread further on.
    fn covers(&self, id: &str) -> bool {
        let after_from = self.from.is_empty() || cursor_after(id, self.from);
        let upto_last = self.complete || self.last_seen.is_some_and(|l| !cursor_after(id, l));
        after_from && upto_last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_judges_only_the_ids_it_read() {
        // A first round that read up to 30 of a longer list.
        let first = Window {
            from: "",
            last_seen: Some("30"),
            complete: false,
        };
        assert!(first.covers("1") && first.covers("30"));
        assert!(!first.covers("31"), "not read yet: maybe unread further on");
        // The next round picks up after 30 and reads to the end.
        let last = Window {
            from: "30",
            last_seen: Some("40"),
            complete: true,
        };
        assert!(!last.covers("30") && last.covers("31") && last.covers("9999"));
        // A cut-short round that saw no cursor judges nothing.
        let blind = Window {
            from: "",
            last_seen: None,
            complete: false,
        };
        assert!(!blind.covers("1"));
    }
}
