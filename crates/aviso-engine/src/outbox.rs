//! The outbox: mark-read operations applied locally at once and sent to the server until it
//! confirms them, across restarts (they live in the store).

use crate::auth::{AuthError, TokenKeeper};
use crate::rest::{Rest, RestError};
use crate::store::{OutboxKind, Store, StoreError};

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
        });
    }
    let mut access = tokens.access().await?;
    let mut refreshed = false;
    let mut sent = 0;
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
                    });
                }
            }
            break;
        }
    }
    Ok(Flushed { sent, pending: 0 })
}
