//! Read marks: the user's, applied at once and queued in the outbox, then sent by the
//! [`crate::outbox::Courier`] (over REST or the socket, retried); the server's answers to
//! those sent over the socket; and marks other processes made, told.

use std::time::Duration;

use tokio::time::Instant;

use super::Link;
use crate::model::{ConnState, EngineEvent};
use crate::outbox;
use crate::transport::Outbound;
use crate::ErrorCode;

/// Rows folded per step when settling a mark-all-read watermark.
const SETTLE_STEP: usize = 2_000;

impl Link {
    /// Another process on this machine marked these read (or all): tell.
    pub(super) async fn marked_elsewhere(&mut self, ids: Vec<String>, all: bool) {
        self.emit(EngineEvent::Read {
            account: self.spec.name.clone(),
            ids,
            all,
        })
        .await;
        self.emit_unread().await;
    }

    /// The server confirmed a mark-read sent over the socket.
    pub(super) async fn on_read_ack(&mut self, id: &str) {
        let store = self.shared.store.clone();
        let confirmed = self
            .courier
            .confirmed(&store, &self.spec.name, id, Instant::now());
        if let Err(e) = confirmed {
            self.error(e.code(), e.to_string()).await;
        }
    }

    /// An in-band error: the answer to the oldest mark-read in flight, if any (see
    /// `outbox::Courier::refused`).
    pub(super) async fn on_server_error(&mut self, message: String) {
        let store = self.shared.store.clone();
        let Some((id, dropped)) = self.courier.refused(&store, &self.spec.name) else {
            return self.error(ErrorCode::ServerError, message).await;
        };
        if let Err(e) = dropped {
            self.error(e.code(), e.to_string()).await;
        }
        self.error(
            ErrorCode::ServerError,
            format!("the server refused to mark {id} read: {message}"),
        )
        .await;
    }

    /// The user marked `ids` read (all when `None`): applied and told at once, then sent.
    pub(super) async fn mark(&mut self, ids: Option<Vec<String>>) {
        let store = self.shared.store.clone();
        let account = self.spec.name.clone();
        match outbox::queue_marks(&store, &account, &self.spec.profile, ids.as_deref()) {
            Ok(marked) => {
                if marked.all {
                    self.settle_read_marks();
                }
                if !marked.ids.is_empty() || marked.all {
                    self.emit(EngineEvent::Read {
                        account: account.clone(),
                        ids: marked.ids,
                        all: marked.all,
                    })
                    .await;
                    self.emit_unread().await;
                }
                self.flush_outbox().await;
            }
            Err(e) => self.error(e.code(), e.to_string()).await,
        }
    }

    /// Folds a mark-all-read watermark into the rows, in small steps off the async
    /// threads, so the click itself stays instant and later unread queries stay cheap.
    fn settle_read_marks(&self) {
        let store = self.shared.store.clone();
        tokio::task::spawn_blocking(move || loop {
            match store.settle_read_marks(SETTLE_STEP) {
                Ok(0) => break,
                Ok(_) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => {
                    tracing::debug!("settling read marks later: {e}");
                    break;
                }
            }
        });
    }

    /// Sends queued mark-reads; what fails stays queued and is retried with a growing delay.
    pub(super) async fn flush_outbox(&mut self) {
        if self.session.snapshot().state == ConnState::NeedsLogin {
            self.courier.look_later(Instant::now());
            return;
        }
        let live = self.session.snapshot().state == ConnState::Live && self.conn.is_some();
        if outbox::over_socket(&self.spec.profile) && live {
            let store = self.shared.store.clone();
            let conn = self.conn.as_ref();
            let sent = self.courier.send_over_socket(
                &store,
                &self.spec.name,
                &self.spec.profile,
                |frame| conn.is_some_and(|c| c.tx.try_send(Outbound::Text(frame)).is_ok()),
            );
            if let Err(e) = sent {
                self.error(e.code(), e.to_string()).await;
            }
            return;
        }
        let result = outbox::flush(
            &self.rest,
            &self.shared.store,
            &self.spec.name,
            &self.tokens,
        )
        .await;
        let pending = match result {
            Ok(flushed) => {
                if let Some(message) = flushed.forbidden_message() {
                    self.error(ErrorCode::Forbidden, message).await;
                }
                if flushed.read_all {
                    self.emit(EngineEvent::Read {
                        account: self.account().into(),
                        ids: Vec::new(),
                        all: true,
                    })
                    .await;
                    self.emit_unread().await;
                }
                flushed.pending
            }
            Err(e) if e.is_outage() => {
                tracing::info!(account = %self.account(), "mark-read not sent yet: {e}");
                1
            }
            Err(e) => {
                self.error(e.code(), e.to_string()).await;
                1
            }
        };
        self.courier.flushed(pending, Instant::now());
    }
}
