//! Catch-up: read everything after the persisted cursor over REST, store it (de-duplicated
//! by id) and advance the cursor. Runs at start, after every reconnect, after a wake, on
//! each poll, and as the slow safety poll while live.
//!
//! Only REST results move the cursor, never pushed frames: pushes can have gaps (Django
//! Channels delivers at most once), and a cursor moved past a gap would hide it forever.

use crate::frame::{self, FrameError, Inbound};
use crate::link::AccountSpec;
use crate::rest::{max_cursor, Rest, RestError};
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

pub async fn run(
    rest: &Rest,
    store: &Store,
    spec: &AccountSpec,
    token: Option<&Secret>,
) -> Result<Outcome, CatchUpError> {
    let account = spec.name.as_str();
    let profile = &spec.profile;
    let (cursor, etag) = store
        .cursor(account)?
        .unwrap_or_else(|| (profile.rest.initial_cursor.clone(), None));
    let listed = rest.list_after(token, &cursor, etag.as_deref()).await?;
    if listed.not_modified {
        return Ok(Outcome {
            not_modified: true,
            ..Outcome::default()
        });
    }
    let (inbound, errors) = frame::to_notifications(&profile.fields, account, &listed.items);
    let Inbound::Notifications(items) = inbound else {
        unreachable!("to_notifications gives notifications")
    };
    let ingest = store.ingest(&items)?;
    let next = listed
        .items
        .iter()
        .filter_map(|item| lookup(item, &profile.rest.cursor).map(to_text))
        .filter(|c| !c.is_empty())
        .fold(cursor.clone(), |a, b| {
            if a.is_empty() {
                b
            } else {
                max_cursor(&a, &b)
            }
        });
    let new_etag = if listed.items.is_empty() {
        listed.etag.as_deref()
    } else {
        None
    };
    if next != cursor || new_etag != etag.as_deref() {
        store.set_cursor(account, &next, new_etag)?;
    }
    Ok(Outcome {
        ingest,
        errors,
        not_modified: false,
    })
}
