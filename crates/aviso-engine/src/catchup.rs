//! Catch-up: read everything after the persisted cursor over REST, store it (de-duplicated
//! by id) and advance the cursor. Runs at start, after every reconnect, after a wake, on
//! each poll, and as the slow safety poll while live.
//!
//! Only REST results move the cursor, never pushed frames: pushes can have gaps (Django
//! Channels delivers at most once), and a cursor moved past a gap would hide it forever.

use crate::account_spec::AccountSpec;
use crate::frame::{self, FrameError, Inbound};
use crate::rest::{max_cursor, PageAt, Rest, RestError};
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
        let ingest = store.ingest(&items)?;
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
