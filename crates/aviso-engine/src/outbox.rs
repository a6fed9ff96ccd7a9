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
    /// A freshly refreshed access token was refused (HTTP 401): the session is over.
    #[error("the server refused a freshly issued token (HTTP 401); log in again")]
    FreshTokenRefused,
}

impl FlushError {
    pub fn code(&self) -> &'static str {
        match self {
            FlushError::Auth(e) => e.code(),
            FlushError::Store(e) => e.code(),
            FlushError::FreshTokenRefused => "needs_login",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flushed {
    pub sent: usize,
    /// Operations still queued (the server could not be reached).
    pub pending: usize,
    /// A server-side "mark all read" went through: the local mark was moved up to it (the
    /// server also marked what arrived between the click and now).
    pub read_all: bool,
    /// Marks the server answered 404 for (it does not know the notification): dropped
    /// from the queue, and not confirmed. `*` stands for a "mark all".
    pub not_found: Vec<String>,
    /// Marks the server refused with a fresh token (HTTP 403: this user may not mark
    /// notifications read): dropped from the queue (asking again cannot help), not
    /// confirmed.
    pub forbidden: Vec<String>,
    /// The profile has no endpoint for these marks: they are read here only.
    pub local_only: usize,
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
    let mut done = Flushed::default();
    if ops.is_empty() {
        return Ok(done);
    }
    let mut access = tokens.access().await?;
    let mut refreshed = false;
    for (i, op) in ops.iter().enumerate() {
        let target = match &op.kind {
            OutboxKind::Read(id) => id.clone(),
            OutboxKind::ReadAll => "*".to_string(),
        };
        loop {
            let result = match &op.kind {
                OutboxKind::Read(id) => rest.mark_read(access.token.as_ref(), id).await,
                OutboxKind::ReadAll => rest.mark_all_read(access.token.as_ref()).await,
            };
            match result {
                Ok(()) => {
                    store.outbox_done(op.seq)?;
                    done.sent += 1;
                    if op.kind == OutboxKind::ReadAll {
                        // The server marked everything it had, including notifications
                        // that reached us after the click: so does the store, to agree.
                        store.mark_all_read(account, false)?;
                        done.read_all = true;
                    }
                }
                // The server does not know the id (deleted, or never there): nothing to
                // send, and nothing confirmed.
                Err(RestError::NotFound) => {
                    store.outbox_done(op.seq)?;
                    done.not_found.push(target.clone());
                }
                // No such endpoint in the profile: read state is local only.
                Err(RestError::NotConfigured(_)) => {
                    store.outbox_done(op.seq)?;
                    done.local_only += 1;
                }
                Err(RestError::Auth(_)) if !refreshed => {
                    refreshed = true;
                    let _newer_or_fresh = tokens.refresh_after(access.generation).await?;
                    access = tokens.access().await?;
                    continue;
                }
                // Refused with a token just issued: not a stale session but a permission.
                Err(RestError::Auth(403)) => {
                    store.outbox_done(op.seq)?;
                    done.forbidden.push(target.clone());
                }
                Err(RestError::Auth(_)) => return Err(FlushError::FreshTokenRefused),
                Err(e) => {
                    tracing::info!(account, "mark-read not sent yet: {e}");
                    store.outbox_attempted(op.seq)?;
                    done.pending = ops.len() - i;
                    return Ok(done);
                }
            }
            break;
        }
    }
    Ok(done)
}
