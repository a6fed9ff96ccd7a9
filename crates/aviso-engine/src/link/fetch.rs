//! The link's REST reads, done when the session asks for a fetch: the catch-up after the
//! cursor ([`crate::catchup`]), then reads made on another device, a stream's current value
//! (a REST snapshot while polling, the refresh frame while live) and the health check.

use serde_json::Value;

use super::Link;
use crate::catchup;
use crate::model::{ConnState, EngineEvent};
use crate::profile::{FrameAction, Profile, HEALTH_CHANNEL};
use crate::rest::RestError;
use crate::session::{Detail, Failure};
use crate::template;
use crate::transport::Outbound;
use crate::ErrorCode;

impl Link {
    fn polling(&self) -> bool {
        self.session.snapshot().state == ConnState::Polling
    }

    /// A catch-up: the REST list after the cursor; a stream's current values (a REST
    /// snapshot while polling, the refresh frame over the socket while live); the health
    /// check.
    pub(super) async fn fetch(&mut self) -> Result<(), Failure> {
        // No list on this server is said, and the rest of the catch-up still runs.
        let caught = self.catch_up().await;
        if caught.is_err() && caught != Err(Failure::Transient(Detail::NoCatchUp)) {
            return caught;
        }
        self.reconcile_reads().await;
        let profile = self.spec.profile.clone();
        if self.polling() {
            if !profile.rest.snapshot.is_empty() {
                self.snapshot(&profile).await?;
            }
        } else if !profile.websocket.refresh_frame.is_empty() {
            if let Some(conn) = &self.conn {
                let _ = conn
                    .tx
                    .try_send(Outbound::Text(profile.websocket.refresh_frame.clone()));
            }
        }
        if !profile.rest.health.is_empty() {
            let value = self.rest_json(&profile.rest.health, &[]).await?;
            self.on_stream(HEALTH_CHANNEL, "health", &value).await;
        }
        caught
    }

    /// A stream's current value over REST: the first spelling of the path this server has
    /// (kept), its answer read as a frame, or as the channel's value when it is bare.
    async fn snapshot(&mut self, profile: &Profile) -> Result<(), Failure> {
        let channel = self.channel.clone().unwrap_or_default();
        let kebab = channel.replace('_', "-");
        let extra = [
            ("channel", channel.as_str()),
            ("channel_kebab", kebab.as_str()),
        ];
        let specs: Vec<&String> = std::iter::once(&profile.rest.snapshot)
            .chain(&profile.rest.snapshot_alternatives)
            .collect();
        let token = self.access().await.map_err(|e| e.failure())?;
        let mut at = self.snapshot_at.min(specs.len() - 1);
        let value = loop {
            match self.rest.get_json(specs[at], token.as_ref(), &extra).await {
                Ok(value) => break value,
                Err(RestError::NotFound) if at + 1 < specs.len() => at += 1,
                Err(RestError::NotFound) if self.snapshot_at != 0 => at = 0,
                Err(e) => {
                    tracing::info!(account = %self.account(), channel = ?self.channel, "REST snapshot failed: {e}");
                    return Err(e.failure());
                }
            }
            if at == self.snapshot_at {
                return Err(Failure::NoWebSocket);
            }
        };
        self.snapshot_at = at;
        let typed =
            template::lookup(&value, &profile.frames.type_field).is_some_and(Value::is_string);
        if typed || profile.frames.type_field.is_empty() {
            self.on_frame(&value.to_string()).await;
            return Ok(());
        }
        // The data alone: the channel's value, as the frame type it stands for.
        let event = profile
            .rest
            .snapshot_types
            .get(&channel)
            .cloned()
            .unwrap_or_else(|| channel.clone());
        match profile.frames.types.get(&event) {
            Some(rule) if rule.action == FrameAction::Stream && !rule.path.is_empty() => {
                let mut frame = serde_json::Map::new();
                frame.insert(profile.frames.type_field.clone(), Value::String(event));
                let mut frame = Value::Object(frame);
                template::set_path(&mut frame, &rule.path, value);
                self.on_frame(&frame.to_string()).await;
            }
            _ => self.on_stream(&channel, &event, &value).await,
        }
        Ok(())
    }

    async fn rest_json(&mut self, spec: &str, extra: &[(&str, &str)]) -> Result<Value, Failure> {
        let token = self.access().await.map_err(|e| e.failure())?;
        self.rest
            .get_json(spec, token.as_ref(), extra)
            .await
            .map_err(|e| {
                tracing::info!(account = %self.account(), channel = ?self.channel, "REST read failed: {e}");
                e.failure()
            })
    }

    /// Reads made on another device (see `catchup::ReadCheck`) become read here too, and
    /// are told.
    async fn reconcile_reads(&mut self) {
        if !self.reads.due(&self.spec.profile) {
            return;
        }
        let store = self.shared.store.clone();
        let account = self.spec.name.clone();
        let local = match store.unread_ids(&account) {
            Ok(ids) if !ids.is_empty() => ids,
            _ => return,
        };
        self.reads.started();
        let Ok(token) = self.access().await else {
            return;
        };
        let read_there = self
            .reads
            .read_there(&self.rest, &self.spec, token.as_ref(), local)
            .await;
        if read_there.is_empty() {
            return;
        }
        match store.mark_read(&account, &read_there, false) {
            Ok(changed) if !changed.is_empty() => {
                tracing::info!(account = %account, n = changed.len(), "read on another device");
                self.emit(EngineEvent::Read {
                    account,
                    ids: changed,
                    all: false,
                })
                .await;
                self.emit_unread().await;
            }
            Ok(_) => {}
            Err(e) => self.error(e.code(), e.to_string()).await,
        }
    }

    async fn catch_up(&mut self) -> Result<(), Failure> {
        if !self.rest.can_list() {
            return Ok(());
        }
        if self.no_catch_up {
            return Err(Failure::Transient(Detail::NoCatchUp));
        }
        let token = self.access().await.map_err(|e| e.failure())?;
        let store = self.shared.store.clone();
        let mut run = match catchup::CatchUp::start(&store, &self.spec) {
            Ok(run) => run,
            Err(e) => {
                self.error(e.code(), e.to_string()).await;
                return Err(Failure::Transient(Detail::ServerError));
            }
        };
        let mut brought = 0;
        let result = loop {
            let page = run
                .next_page(
                    &self.rest,
                    &store,
                    &self.spec,
                    token.as_ref(),
                    &mut self.twins,
                )
                .await;
            match page {
                Ok(Some(outcome)) => {
                    for e in &outcome.errors {
                        self.error(e.code, e.message.clone()).await;
                    }
                    brought += outcome.ingest.new.len() as u64;
                    self.ingested(outcome.ingest).await;
                }
                Ok(None) => {
                    if std::mem::take(&mut self.catch_up_failing) {
                        tracing::info!(account = %self.account(), "catch-up works again");
                    }
                    break Ok(());
                }
                Err(catchup::CatchUpError::Rest(e))
                    if self.spec.profile.rest.list_optional
                        && matches!(e.status(), Some(404 | 405 | 501)) =>
                {
                    self.no_catch_up = true;
                    tracing::info!(
                        account = %self.account(),
                        "the server has no {} ({e}): events sent while disconnected cannot be recovered; name its list in a profile (rest.list)",
                        self.spec.profile.rest.list.split('?').next().unwrap_or_default()
                    );
                    break Err(Failure::Transient(Detail::NoCatchUp));
                }
                Err(catchup::CatchUpError::Rest(e)) if e.is_persistent() => {
                    if !std::mem::replace(&mut self.catch_up_failing, true) {
                        let message = catchup::failed_message(&self.spec.profile, &e);
                        self.error(ErrorCode::CatchUpFailed, message).await;
                    } else {
                        tracing::info!(account = %self.account(), "catch-up failed again: {e}");
                    }
                    break Err(Failure::Transient(Detail::CatchUpFailed));
                }
                Err(catchup::CatchUpError::Rest(e)) => {
                    tracing::info!(account = %self.account(), "catch-up failed: {e}");
                    break Err(e.failure());
                }
                Err(catchup::CatchUpError::Store(e)) => {
                    self.error(e.code(), e.to_string()).await;
                    break Err(Failure::Transient(Detail::ServerError));
                }
            }
        };
        self.shared
            .health
            .caught_up(self.account(), brought, result.is_ok());
        result
    }
}
