//! Transports: a connection task per socket that turns the wire into `Inbound` values on a
//! bounded channel (backpressure reaches the socket, so a flooding server cannot grow our
//! memory) and takes `Outbound` commands. Polling needs no transport: it is REST.
//!
//! - [`websocket`]: plain WebSocket (seeds 000, 001, 002, 004).
//! - [`socketio`]: Socket.IO v4 over Engine.IO (seed 003); each event becomes a JSON frame.
//! - [`sse`]: Server-Sent Events (seed 000 over django-eventstream); each event becomes a
//!   frame, its `id:` is kept for `Last-Event-ID`.

pub mod socketio;
pub mod sse;
pub mod websocket;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::session::Failure;

/// Inbound frames buffered per connection before the socket stops being read.
pub const INBOUND_CAPACITY: usize = 1024;

#[derive(Debug)]
pub enum Inbound {
    Text(String),
    /// A frame that cannot be used (binary that is not UTF-8, …): reported, then skipped.
    Garbage {
        code: crate::ErrorCode,
        message: String,
    },
    /// Any sign of life that carries no data (a pong, an SSE comment).
    Alive,
    /// SSE: an event's frame and the stream's position after it (its `id:`), in one value:
    /// the link stores the frame's notifications, then the position, then announces them, so
    /// whoever saw a notification can count on its position being kept.
    TextAt(String, String),
    /// SSE: the stream's position after the frames before it (an `id:` alone), to be stored
    /// once they are and sent back as `Last-Event-ID`.
    EventId(String),
    /// SSE: the server's `retry:`, its wish for the reconnect delay.
    Retry(std::time::Duration),
    Closed {
        failure: Failure,
        message: String,
    },
}

#[derive(Debug)]
pub enum Outbound {
    Ping,
    Text(String),
}

/// A live connection. Dropping it aborts the connection task and closes the socket (a
/// connection run on its own thread sees its `tx` close and disconnects).
pub struct Connection {
    pub tx: mpsc::Sender<Outbound>,
    pub rx: mpsc::Receiver<Inbound>,
    task: Option<JoinHandle<()>>,
}

impl Connection {
    pub fn new(
        tx: mpsc::Sender<Outbound>,
        rx: mpsc::Receiver<Inbound>,
        task: JoinHandle<()>,
    ) -> Self {
        Connection {
            tx,
            rx,
            task: Some(task),
        }
    }

    /// A connection whose driver ends when `tx` is dropped.
    pub fn detached(tx: mpsc::Sender<Outbound>, rx: mpsc::Receiver<Inbound>) -> Self {
        Connection { tx, rx, task: None }
    }
}

impl Connection {
    /// Ends the connection as a client should: the driver sees nothing more will be sent
    /// and says goodbye (a WebSocket close frame, code 1000), given a moment to do so.
    pub async fn close(mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        let abort = task.abort_handle();
        // The driver's outbound queue ends: it sends the close frame and returns.
        drop(std::mem::replace(&mut self.tx, mpsc::channel(1).0));
        if tokio::time::timeout(std::time::Duration::from_secs(1), task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
