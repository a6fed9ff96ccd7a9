//! The demo's data (notifications, issued tokens, counters, modes, open sockets) behind one lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::auth::{self, Signer, TokenError, TokenType, User};
use crate::control::{DemoModes, DemoStats, EmitSpec, MarkedRead, ReadCall};
use crate::{sample, DemoConfig};

/// One notification exactly as the wire carries it (WebSocket frame and REST result item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: u64,
    pub tipo: String,
    pub titulo: String,
    pub mensaje: String,
    pub url: String,
    pub datos: Value,
    pub creada: String,
    pub leida: bool,
}

/// A stored notification with its owner (the wire shape never shows the owner).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserNotification {
    #[serde(rename = "usuario_id")]
    pub user_id: u64,
    #[serde(flatten)]
    pub notification: Notification,
}

/// Everything a demo server serves, shared by all its tasks. Cloning is cheap (an `Arc`); a
/// stopped server hands it back so a new one can serve the same data, like a restarted Django
/// process in front of the same database.
///
/// Modes (`ws_404`, `stall`, `drop_pushes`) live here too, so they survive a restart.
#[derive(Clone)]
pub struct DemoState {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub config: DemoConfig,
    pub signer: Signer,
    // A std Mutex, not a Tokio one: every critical section is a few map operations and channel
    // sends, never held across an `.await` (the reasoning of mini-redis's `Shared::state`).
    data: Mutex<Data>,
}

#[derive(Default)]
struct Data {
    /// Ascending by id; ids start at 1 and have no gaps, so `id - 1` is the index.
    notifications: Vec<UserNotification>,
    tokens: HashMap<String, TokenRecord>,
    stats: DemoStats,
    modes: DemoModes,
    sockets: HashMap<u64, SocketEntry>,
    next_socket: u64,
}

struct TokenRecord {
    kind: TokenType,
    expires: SystemTime,
    /// Cleared by "expire tokens" (access only) and "revoke tokens" (all).
    usable: bool,
}

/// What the store asks one socket's task to do.
pub(crate) enum Outgoing {
    Frame(Message),
    /// A notification for an SSE stream: its id and JSON.
    Event {
        id: u64,
        json: String,
    },
    /// Go silent for good: stop reading and writing until dropped.
    Stall,
}

struct SocketEntry {
    user_id: u64,
    /// An SSE stream rather than a WebSocket: notifications go as [`Outgoing::Event`].
    sse: bool,
    tx: mpsc::UnboundedSender<Outgoing>,
    /// Cancelling it drops the socket without a close frame.
    cancel: CancellationToken,
}

/// A registered socket's receiving end, handed to its task.
pub(crate) struct SocketSlot {
    pub id: u64,
    pub rx: mpsc::UnboundedReceiver<Outgoing>,
    pub cancel: CancellationToken,
}

/// Which page of the list `GET /api/admin/notificaciones/` asked for.
pub(crate) struct ListQuery {
    pub after: u64,
    pub limit: usize,
    pub leida: Option<bool>,
}

impl DemoState {
    /// Empty data (ids start at 1) and a fresh random signing key.
    pub fn new(config: DemoConfig) -> DemoState {
        let secret: [u8; 32] = rand::random();
        DemoState {
            shared: Arc::new(Shared {
                config,
                signer: Signer::new(&secret),
                data: Mutex::default(),
            }),
        }
    }

    /// The configuration this state was created with.
    pub fn config(&self) -> &DemoConfig {
        &self.shared.config
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock leaves plain data behind, still fine to serve.
        self.shared
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn record(&self, f: impl FnOnce(&mut DemoStats)) {
        f(&mut self.data().stats)
    }

    pub(crate) fn issue(&self, kind: TokenType, user: User) -> String {
        let ttl = match kind {
            TokenType::Access => self.shared.config.access_ttl,
            TokenType::Refresh => self.shared.config.refresh_ttl,
        };
        let (token, claims) = self.shared.signer.issue(kind, user, ttl);
        let mut data = self.data();
        let record = TokenRecord {
            kind,
            expires: SystemTime::now() + ttl,
            usable: true,
        };
        data.tokens.insert(claims.jti, record);
        data.stats.tokens_issued.push(token.clone());
        token
    }

    /// The user a token of `kind` stands for, if this server issued it and it is still good.
    pub(crate) fn check(&self, token: &str, kind: TokenType) -> Result<User, TokenError> {
        let claims = self.shared.signer.verify(token, kind)?;
        let data = self.data();
        let record = data.tokens.get(&claims.jti).ok_or(TokenError::Invalid)?;
        if !record.usable {
            return Err(TokenError::Revoked);
        }
        if record.expires <= SystemTime::now() {
            return Err(TokenError::Expired);
        }
        auth::user(claims.user_id).ok_or(TokenError::Invalid)
    }

    pub(crate) fn disable_tokens(&self, kinds: &[TokenType]) {
        for record in self.data().tokens.values_mut() {
            if kinds.contains(&record.kind) {
                record.usable = false;
            }
        }
    }

    pub(crate) fn modes(&self) -> DemoModes {
        self.data().modes
    }

    pub(crate) fn set_modes(&self, f: impl FnOnce(&mut DemoModes)) -> DemoModes {
        let mut data = self.data();
        let before = data.modes;
        f(&mut data.modes);
        if data.modes.stall && !before.stall {
            for socket in data.sockets.values() {
                let _ = socket.tx.send(Outgoing::Stall);
            }
        }
        data.modes
    }

    pub(crate) fn stats(&self) -> DemoStats {
        let data = self.data();
        DemoStats {
            open_sockets: data.sockets.len(),
            ..data.stats.clone()
        }
    }

    pub(crate) fn notifications(&self) -> Vec<UserNotification> {
        self.data().notifications.clone()
    }

    /// Stores `count` events for every staff user and pushes them (unless `drop_pushes`).
    pub(crate) fn emit(&self, count: usize, spec: &EmitSpec) -> Vec<u64> {
        let mut data = self.data();
        let mut ids = Vec::new();
        for _ in 0..count {
            let event = sample::event(spec.tipo.as_deref());
            let template = Notification {
                id: 0,
                tipo: spec.tipo.clone().unwrap_or(event.tipo),
                titulo: spec.titulo.clone().unwrap_or(event.titulo),
                mensaje: spec.mensaje.clone().unwrap_or(event.mensaje),
                url: spec.url.clone().unwrap_or(event.url),
                datos: spec.datos.clone().unwrap_or(event.datos),
                creada: String::new(),
                leida: false,
            };
            // Like `send_nueva_compra_admin`: one row per active staff user.
            for user in auth::USERS.into_iter().filter(|u| u.is_staff) {
                let notification = Notification {
                    id: data.notifications.len() as u64 + 1,
                    creada: isoformat(OffsetDateTime::now_utc()),
                    ..template.clone()
                };
                ids.push(notification.id);
                if data.modes.drop_pushes {
                    data.stats.pushes_dropped += data
                        .sockets
                        .values()
                        .filter(|s| s.user_id == user.id)
                        .count() as u64;
                } else {
                    let json = serde_json::to_string(&notification).expect("plain JSON values");
                    for socket in data.sockets.values().filter(|s| s.user_id == user.id) {
                        let out = if socket.sse {
                            Outgoing::Event {
                                id: notification.id,
                                json: json.clone(),
                            }
                        } else {
                            Outgoing::Frame(Message::text(json.clone()))
                        };
                        let _ = socket.tx.send(out);
                    }
                }
                data.notifications.push(UserNotification {
                    user_id: user.id,
                    notification,
                });
            }
        }
        ids
    }

    /// One page: `(count of all matches, the page, whether more follow)`.
    pub(crate) fn list(&self, user: User, q: &ListQuery) -> (usize, Vec<Notification>, bool) {
        let data = self.data();
        let matches: Vec<&Notification> = data
            .notifications
            .iter()
            .filter(|n| n.user_id == user.id && n.notification.id > q.after)
            .map(|n| &n.notification)
            .filter(|n| q.leida.is_none_or(|leida| n.leida == leida))
            .collect();
        let page = matches.iter().take(q.limit).map(|n| (*n).clone()).collect();
        (matches.len(), page, matches.len() > q.limit)
    }

    /// Marks one of `user`'s notifications read; `false` when it is unknown or someone else's.
    pub(crate) fn mark_read(&self, user: User, id: u64) -> bool {
        let mut data = self.data();
        let Some(n) = id
            .checked_sub(1)
            .and_then(|i| data.notifications.get_mut(i as usize))
        else {
            return false;
        };
        if n.user_id != user.id {
            return false;
        }
        n.notification.leida = true;
        data.stats.marked_read.push(MarkedRead {
            id,
            call: ReadCall::MarkRead,
        });
        true
    }

    /// Marks all of `user`'s unread notifications read and says how many there were.
    pub(crate) fn mark_all_read(&self, user: User) -> usize {
        let mut data = self.data();
        let mut marked = Vec::new();
        for n in data
            .notifications
            .iter_mut()
            .filter(|n| n.user_id == user.id)
        {
            if !n.notification.leida {
                n.notification.leida = true;
                marked.push(MarkedRead {
                    id: n.notification.id,
                    call: ReadCall::MarkAllRead,
                });
            }
        }
        let count = marked.len();
        data.stats.marked_read.extend(marked);
        count
    }

    pub(crate) fn unread(&self, user: User) -> usize {
        let data = self.data();
        data.notifications
            .iter()
            .filter(|n| n.user_id == user.id && !n.notification.leida)
            .count()
    }

    /// Registers an accepted socket before its handshake answer goes out, so an event emitted
    /// right after the client sees `101` already reaches it.
    pub(crate) fn register_socket(&self, user_id: u64, server: &CancellationToken) -> SocketSlot {
        self.register(user_id, server, false, &mut self.data())
    }

    /// Registers an SSE stream and returns, under the same lock (so nothing falls between
    /// them or comes twice), the stored events after `after` to replay (django-eventstream's
    /// storage does the same from `Last-Event-ID`).
    pub(crate) fn register_sse(
        &self,
        user_id: u64,
        server: &CancellationToken,
        after: Option<u64>,
    ) -> (SocketSlot, Vec<String>) {
        let mut data = self.data();
        let replay = match after {
            Some(after) => data
                .notifications
                .iter()
                .filter(|n| n.user_id == user_id && n.notification.id > after)
                .map(|n| {
                    let json = serde_json::to_string(&n.notification).expect("plain JSON values");
                    crate::sse::encode_event(n.notification.id, &json)
                })
                .collect(),
            None => Vec::new(),
        };
        (self.register(user_id, server, true, &mut data), replay)
    }

    fn register(
        &self,
        user_id: u64,
        server: &CancellationToken,
        sse: bool,
        data: &mut Data,
    ) -> SocketSlot {
        let (tx, rx) = mpsc::unbounded_channel();
        let cancel = server.child_token();
        if data.modes.stall {
            let _ = tx.send(Outgoing::Stall);
        }
        data.next_socket += 1;
        let id = data.next_socket;
        data.sockets.insert(
            id,
            SocketEntry {
                user_id,
                sse,
                tx,
                cancel: cancel.clone(),
            },
        );
        SocketSlot { id, rx, cancel }
    }

    pub(crate) fn unregister_socket(&self, id: u64) {
        self.data().sockets.remove(&id);
    }

    /// Queues `message` on every open socket; returns how many there were.
    pub(crate) fn broadcast(&self, message: Message) -> usize {
        let data = self.data();
        for socket in data.sockets.values() {
            let _ = socket.tx.send(Outgoing::Frame(message.clone()));
        }
        data.sockets.len()
    }

    /// Drops every open socket without a close frame; returns how many there were.
    pub(crate) fn drop_sockets(&self) -> usize {
        let data = self.data();
        data.sockets.values().for_each(|s| s.cancel.cancel());
        data.sockets.len()
    }
}

/// `datetime.isoformat()` of an aware UTC datetime, as Django serialises `creada`: microseconds,
/// `+00:00`, and (a Python quirk clients must survive) no fraction at all when it is zero.
pub(crate) fn isoformat(t: OffsetDateTime) -> String {
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    match t.microsecond() {
        0 => format!("{base}+00:00"),
        us => format!("{base}.{us:06}+00:00"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn isoformat_matches_python() {
        assert_eq!(
            isoformat(datetime!(2025-11-17 10:30:00.123456 UTC)),
            "2025-11-17T10:30:00.123456+00:00"
        );
        assert_eq!(
            isoformat(datetime!(2025-01-02 03:04:05.000007 UTC)),
            "2025-01-02T03:04:05.000007+00:00"
        );
        assert_eq!(
            isoformat(datetime!(2025-11-17 10:30:00 UTC)),
            "2025-11-17T10:30:00+00:00"
        );
    }
}
