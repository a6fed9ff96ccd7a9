//! What comes in over the socket: frames handled in batches (their notifications stored
//! in one transaction, then announced), stream values and the alerts they raise, signals
//! (pongs, closes, the server's retry wish), and the SSE stream position.

use serde_json::Value;
use tokio::sync::mpsc;

use super::Link;
use crate::clock::now_rfc3339;
use crate::frame::{self, Became, Inbound as Frame};
use crate::model::{EngineEvent, Notification, StreamState};
use crate::session::{Detail, Failure, Input};
use crate::store::Ingest;
use crate::transport::Inbound;
use crate::ErrorCode;

/// At most this many waiting frames are handled (and their notifications stored) at once.
const BATCH_FRAMES: usize = 512;

impl Link {
    /// What the connection delivered: a text frame (handled with those already waiting
    /// behind it), or a signal.
    pub(super) async fn on_inbound(&mut self, inbound: Inbound) {
        // SSE: the stream's position after the batch's frames, saved once they are stored.
        let (text, mut position) = match inbound {
            Inbound::Text(text) => (text, None),
            Inbound::TextAt(text, id) => (text, Some(id)),
            other => return self.on_signal(other).await,
        };
        self.step(Input::Activity).await;
        // Frames already waiting are handled with this one, their notifications stored in
        // one transaction: a burst costs a commit per batch, not per frame. Nothing waits
        // for more frames to come, so a lone frame is stored as soon as it arrives.
        let mut batch = Vec::new();
        let mut next = Some(text);
        let mut left = BATCH_FRAMES;
        let mut signal = None;
        while let Some(text) = next.take() {
            self.on_frame_into(&text, &mut batch).await;
            left -= 1;
            if left == 0 {
                break;
            }
            loop {
                match self.conn.as_mut().map(|c| c.rx.try_recv()) {
                    Some(Ok(Inbound::Text(t))) => next = Some(t),
                    Some(Ok(Inbound::TextAt(t, id))) => {
                        next = Some(t);
                        position = Some(id);
                    }
                    Some(Ok(Inbound::EventId(id))) => {
                        position = Some(id);
                        continue;
                    }
                    Some(Ok(other)) => signal = Some(other),
                    _ => {}
                }
                break;
            }
        }
        // Stored, then the position saved, then announced: whoever saw a notification (a
        // `watch` line, a toast) can count on its position being kept, even if the process
        // is killed right after (TerminateProcess on Windows runs no shutdown).
        let mut ingest = None;
        if !batch.is_empty() {
            ingest = self.ingest(batch).await;
            if ingest.is_none() {
                // Not stored: keep the old position, so the server replays the batch.
                position = None;
            }
        }
        if let Some(id) = position {
            self.on_event_id(id).await;
        }
        let pushed = ingest.as_ref().is_some_and(|i| !i.new.is_empty());
        if let Some(ingest) = ingest {
            self.ingested(ingest).await;
        }
        if pushed {
            // A catch-up follows once pushes stop: what the server dropped comes back.
            self.step(Input::Pushed).await;
        }
        if let Some(signal) = signal {
            self.on_signal(signal).await;
        }
    }

    /// Everything but a text frame.
    async fn on_signal(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Text(text) => self.on_frame(&text).await,
            Inbound::TextAt(text, id) => {
                self.on_frame(&text).await;
                self.on_event_id(id).await;
            }
            Inbound::Alive => {
                if self.primary() {
                    self.shared.health.pong(self.account());
                }
                self.step(Input::Activity).await
            }
            Inbound::EventId(id) => self.on_event_id(id).await,
            Inbound::Retry(wish) => {
                tracing::debug!(account = %self.account(), ?wish, "the server asks for this reconnect delay");
                self.session.server_retry(wish);
            }
            Inbound::Garbage { code, message } => {
                self.step(Input::Activity).await;
                self.error(code, message).await;
            }
            Inbound::Closed { failure, message } => {
                tracing::info!(account = %self.account(), channel = ?self.channel, "connection closed: {message}");
                if failure == Failure::Transient(Detail::Protocol) {
                    // E.g. invalid UTF-8 in a text frame: the WebSocket protocol forbids it,
                    // so the connection is lost; say why before reconnecting.
                    let text = format!("the server sent invalid data ({message}); reconnecting");
                    self.error(ErrorCode::BadFrame, text).await;
                }
                self.conn = None;
                self.courier.connection_lost();
                self.step(Input::Closed(failure)).await;
            }
        }
    }

    pub(super) async fn on_frame(&mut self, text: &str) {
        let mut batch = Vec::new();
        self.on_frame_into(text, &mut batch).await;
        if !batch.is_empty() {
            self.store_items(batch).await;
        }
    }

    /// Handles one frame; its notifications join `batch` (stored by the caller). Anything
    /// else first stores the batch, so effects keep the order of the frames.
    async fn on_frame_into(&mut self, text: &str, batch: &mut Vec<Notification>) {
        let parsed = frame::parse_frame(&self.spec.profile, self.account(), text);
        let mut became = Vec::new();
        let tapped = self.shared.tap.get().cloned();
        let (inbound, errors) = match parsed {
            Ok(pair) => pair,
            Err(e) => {
                if let Some(tap) = &tapped {
                    self.tap(tap, text, vec![Became::from(&e)]);
                }
                return self.error(e.code, e.message).await;
            }
        };
        if tapped.is_some() {
            became.extend(errors.iter().map(Became::from));
            became.extend(inbound.became(self.channel.as_deref()));
        }
        for e in errors {
            self.error(e.code, e.message).await;
        }
        let inbound = match inbound {
            Frame::Notifications(items) => {
                if let Some(tap) = &tapped {
                    self.tap(tap, text, became);
                }
                return batch.extend(items);
            }
            Frame::Event { notification, twin } => {
                let store = &self.shared.store;
                let account = self.spec.name.as_str();
                let in_batch = |id: &str| batch.iter().any(|n| n.id == id);
                let taken =
                    |id: &str| in_batch(id) || matches!(store.get(account, id), Ok(Some(_)));
                let (n, is_twin) =
                    self.twins
                        .admit(notification, twin, std::time::Instant::now(), taken);
                if let Some(tap) = &tapped {
                    became.push(if is_twin {
                        Became::Twin {
                            id: n.id.clone(),
                            kind: n.kind.clone(),
                        }
                    } else {
                        Became::notification(&n)
                    });
                    self.tap(tap, text, became);
                }
                return batch.push(n);
            }
            other => other,
        };
        if let Some(tap) = &tapped {
            self.tap(tap, text, became);
        }
        if !batch.is_empty() {
            let items = std::mem::take(batch);
            self.store_items(items).await;
        }
        match inbound {
            Frame::Notifications(_) | Frame::Event { .. } => unreachable!("handled above"),
            Frame::Control { event, data } => {
                // A greeting: what it says about the connection (socket id, rooms, server
                // version) is the stream channel `connection`, not a notification.
                self.on_stream("connection", &event, &data).await;
            }
            Frame::ServerError(message) => self.on_server_error(message).await,
            Frame::ReadAck(id) => self.on_read_ack(&id).await,
            Frame::Stream {
                channel,
                event,
                data,
            } => {
                let channel = channel
                    .or_else(|| self.channel.clone())
                    .unwrap_or_else(|| event.clone());
                self.on_stream(&channel, &event, &data).await;
            }
            Frame::Pong | Frame::Ignored => {}
        }
    }

    fn tap(&self, tap: &mpsc::UnboundedSender<frame::Tapped>, text: &str, became: Vec<Became>) {
        let _ = tap.send(frame::Tapped {
            account: self.spec.name.clone(),
            channel: self.channel.clone(),
            frame: text.to_string(),
            became,
            connection: self.connections,
        });
    }

    /// A live value: kept as the channel's latest, emitted when it changed, and checked
    /// against the profile's alerts.
    pub(super) async fn on_stream(&mut self, channel: &str, event: &str, data: &Value) {
        let account = self.spec.name.clone();
        let streams = self.shared.streams.clone();
        if !streams.update(&account, channel, event, data, &now_rfc3339()) {
            return;
        }
        if !self.stream_channels.iter().any(|c| c == channel) {
            // A channel the profile did not name (a `stream` rule for any event type):
            // from now on it follows this link's state too.
            self.stream_channels.push(channel.to_string());
            let state = StreamState::of(self.session.snapshot().state);
            streams.set_state(&account, channel, state);
        }
        self.emit(EngineEvent::Stream {
            account: account.clone(),
            channel: channel.to_string(),
            event: event.to_string(),
            data: data.clone(),
        })
        .await;
        let profile = self.spec.profile.clone();
        let (raised, errors) = self.alerts.check(
            &profile.alerts,
            &self.params,
            &account,
            channel,
            event,
            data,
        );
        for e in errors {
            self.error(e.code, e.message).await;
        }
        if !raised.is_empty() {
            self.store_items(raised).await;
        }
    }

    async fn store_items(&mut self, items: Vec<Notification>) {
        if let Some(ingest) = self.ingest(items).await {
            self.ingested(ingest).await;
        }
    }

    /// Stores `items` without announcing them; a failure is reported and gives `None`.
    async fn ingest(&mut self, items: Vec<Notification>) -> Option<Ingest> {
        match self.shared.store.ingest(items) {
            Ok(ingest) => Some(ingest),
            Err(e) => {
                self.error(e.code(), e.to_string()).await;
                None
            }
        }
    }

    /// Emits what a stored batch changed.
    pub(super) async fn ingested(&mut self, ingest: Ingest) {
        match &ingest.unsaved {
            Some(e) if !self.storage_failing => {
                self.storage_failing = true;
                let text = format!(
                    "cannot save notifications ({e}); they are kept in memory and saved as soon as the disk can be written"
                );
                self.error(e.code(), text).await;
            }
            None if self.storage_failing => {
                self.storage_failing = false;
                tracing::info!(account = %self.account(), "notifications are saved again");
            }
            _ => {}
        }
        let changed = !ingest.new.is_empty() || !ingest.read_elsewhere.is_empty();
        let delta = ingest.new.iter().filter(|n| !n.read).count() as i64
            - ingest.read_elsewhere.len() as i64;
        for n in ingest.new {
            self.emit(EngineEvent::Notification(n)).await;
        }
        if !ingest.read_elsewhere.is_empty() {
            self.emit(EngineEvent::Read {
                account: self.account().into(),
                ids: ingest.read_elsewhere,
                all: false,
            })
            .await;
        }
        if changed {
            self.emit_unread_after(delta).await;
        }
    }

    /// The key of this link's stream position in the store.
    fn event_id_channel(&self) -> &str {
        self.channel.as_deref().unwrap_or("")
    }

    /// The last SSE event id: from the store the first time (a restart resumes from it).
    pub(super) fn last_event_id(&mut self) -> Option<String> {
        if self.event_id.is_none() {
            let stored = self
                .shared
                .store
                .event_id(self.account(), self.event_id_channel());
            self.event_id = Some(stored.unwrap_or_else(|e| {
                tracing::warn!(account = %self.account(), "cannot read the stream position: {e}");
                None
            }));
        }
        self.event_id.clone().flatten()
    }

    /// The stream moved to `id` and everything before it is stored: keep it.
    async fn on_event_id(&mut self, id: String) {
        if self.spec.profile.sse.ignore_ids.contains(&id) {
            return;
        }
        let channel = self.event_id_channel().to_string();
        if let Err(e) = self
            .shared
            .store
            .set_event_id(self.account(), &channel, &id)
        {
            // The id is kept in memory meanwhile; after a restart the server replays a
            // little more, which the store de-duplicates.
            tracing::info!(account = %self.account(), "stream position not saved: {e}");
        }
        self.event_id = Some(Some(id));
    }
}
