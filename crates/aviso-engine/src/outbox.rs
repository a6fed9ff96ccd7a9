//! The outbox: mark-read operations applied locally at once and sent to the server until it
//! confirms them, across restarts (they live in the store).

use crate::auth::{AuthError, TokenKeeper};
use crate::profile::Profile;
use crate::rest::{Rest, RestError};
use crate::store::{OutboxKind, Store, StoreError};

/// Up to this many unread, "mark all read" queues one mark per notification.
pub const EXACT_MARK_ALL: usize = 500;

/// What [`queue_mark_all`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MarkedAll {
    /// The notifications marked one by one (exact mode).
    pub ids: Vec<String>,
    /// One server-side "mark all" was queued instead (`ids` is empty).
    pub all: bool,
    /// How many were unread.
    pub count: u64,
}

/// "Mark all read", locally at once and queued for the server. Exact where it is
/// affordable: the ids the user saw, one mark each, so nothing that reaches the server
/// after the click is marked read unseen. A larger backlog (or a profile without a
/// per-notification endpoint) goes as one server-side "mark all".
pub fn queue_mark_all(
    store: &Store,
    account: &str,
    profile: &Profile,
) -> Result<MarkedAll, StoreError> {
    let unread = store.unread_count(Some(account))?;
    if unread as usize <= EXACT_MARK_ALL && !profile.rest.mark_read.is_empty() {
        let ids = store.unread_ids(account)?;
        let ids = store.mark_read(account, &ids, true)?;
        let count = ids.len() as u64;
        return Ok(MarkedAll {
            ids,
            all: false,
            count,
        });
    }
    let count = store.mark_all_read(account, true)?;
    Ok(MarkedAll {
        ids: Vec::new(),
        all: count > 0,
        count,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum FlushError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FlushError {
    pub fn code(&self) -> &'static str {
        match self {
            FlushError::Auth(e) => e.code(),
            FlushError::Store(e) => e.code(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub sent: usize,
    /// Operations still queued (the server could not be reached).
    pub pending: usize,
    /// A server-side "mark all read" went through: the local mark was moved up to it (the
    /// server also marked what arrived between the click and now).
    pub read_all: bool,
}

/// Sends the account's queued operations in order. Stops at the first one the server
/// cannot take now (it is down), so order is kept and nothing is hammered.
pub async fn flush(
    rest: &Rest,
    store: &Store,
    account: &str,
    tokens: &TokenKeeper,
) -> Result<Flushed, FlushError> {
    let ops = store.outbox(account)?;
    if ops.is_empty() {
        return Ok(Flushed {
            sent: 0,
            pending: 0,
            read_all: false,
        });
    }
    let mut access = tokens.access().await?;
    let mut refreshed = false;
    let mut sent = 0;
    let mut read_all = false;
    for (i, op) in ops.iter().enumerate() {
        loop {
            let result = match &op.kind {
                OutboxKind::Read(id) => rest.mark_read(access.token.as_ref(), id).await,
                OutboxKind::ReadAll => rest.mark_all_read(access.token.as_ref()).await,
            };
            match result {
                // Done; or the server does not know the id (deleted) / the profile has no
                // such endpoint (read state is local only): nothing left to send.
                Ok(()) | Err(RestError::NotFound | RestError::NotConfigured(_)) => {
                    store.outbox_done(op.seq)?;
                    sent += 1;
                    if op.kind == OutboxKind::ReadAll && result.is_ok() {
                        // The server marked everything it had, including notifications
                        // that reached us after the click: so does the store, to agree.
                        store.mark_all_read(account, false)?;
                        read_all = true;
                    }
                }
                Err(RestError::Auth(_)) if !refreshed => {
                    refreshed = true;
                    tokens.refresh_after(access.generation).await?;
                    access = tokens.access().await?;
                    continue;
                }
                Err(RestError::Auth(_)) => return Err(AuthError::Rejected.into()),
                Err(e) => {
                    tracing::info!(account, "mark-read not sent yet: {e}");
                    store.outbox_attempted(op.seq)?;
                    return Ok(Flushed {
                        sent,
                        pending: ops.len() - i,
                        read_all,
                    });
                }
            }
            break;
        }
    }
    Ok(Flushed {
        sent,
        pending: 0,
        read_all,
    })
}
