//! The Server-Sent Events transport (django-eventstream, any `text/event-stream`): one
//! streaming GET over the engine's reqwest (rustls), a bounded line parser of our own.
//!
//! Why our own parser and not a crate: `eventsource-stream` 0.2.3 (and `reqwest-eventsource`
//! 0.6 on top of it) and `sse-stream` 0.3.0 grow a line without bound until it ends (a
//! hostile or broken server can make us buffer any amount), and treat invalid UTF-8 as an
//! error of the whole stream rather than of one event. We need the profile's frame limit
//! applied per event and one bad event reported and skipped while the stream goes on. The
//! parser below follows the WHATWG EventSource rules ("Interpreting an event stream") and is
//! small enough to test and fuzz completely.
//!
//! Each event becomes one `Inbound::Text` frame for the profile's `[frames]` rules: with
//! `sse.frame = "event"`, `{"event": NAME, "data": DATA, "id": ID}` (DATA parsed as JSON
//! when it is JSON, else the text), so `type_field = "event"` maps event names; with
//! `"data"`, the data itself. The event's `id:` travels with it (`Inbound::TextAt`), which the
//! link stores once the event's notifications are stored (and sends back as
//! `Last-Event-ID` on every reconnect); `retry:` becomes `Inbound::Retry`.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use url::Url;

use super::{Connection, Inbound, Outbound, INBOUND_CAPACITY};
use crate::profile::{CloseCodesSection, SseFrame};
use crate::secret::Secret;
use crate::session::{Detail, Failure};

/// Room for a field name and its colon on top of the data limit, so a line carrying data
/// right at the limit is still read whole.
const LINE_SLACK: usize = 64;

/// One thing the parser found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A complete event: its type (`message` when the server gave none), its data and the
    /// last event id at its dispatch (`None`: the server never sent one).
    Event {
        event: String,
        data: String,
        id: Option<String>,
    },
    /// A block that changed the last event id but carried no data (dispatches nothing per
    /// the spec, yet the position moved).
    Id(String),
    /// `retry:` with a valid number of milliseconds.
    Retry(u64),
    /// A comment line (`: keep-alive`): a sign of life.
    Comment,
    /// An event that cannot be used, skipped: `code` is an `error` line code.
    Bad {
        code: crate::ErrorCode,
        message: String,
    },
}

/// The WHATWG event-stream parser, fed bytes as they come, with every buffer bounded by
/// `max_data` (the profile's frame limit).
#[derive(Debug)]
pub struct Parser {
    max_data: usize,
    line: Vec<u8>,
    /// The current line went over the limit: the rest of it is dropped.
    line_overflow: bool,
    /// The previous chunk ended in CR: an LF starting this one belongs to it.
    after_cr: bool,
    /// Past the stream's opening (where a BOM may be), and how much of a BOM was seen.
    started: bool,
    bom: usize,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    /// The id the current block set (to report an id-only block).
    id_changed: bool,
    /// What is wrong with the current block, if anything: it is skipped at its end.
    poisoned: Option<(crate::ErrorCode, String)>,
}

impl Parser {
    pub fn new(max_data: usize) -> Parser {
        Parser::resuming(max_data, None)
    }

    /// A parser whose last event id starts as `last_id` (the one sent as `Last-Event-ID`):
    /// per the spec the id carries over events that do not set one.
    pub fn resuming(max_data: usize, last_id: Option<String>) -> Parser {
        Parser {
            max_data: max_data.max(1),
            line: Vec::new(),
            line_overflow: false,
            after_cr: false,
            started: false,
            bom: 0,
            event: String::new(),
            data: String::new(),
            has_data: false,
            last_id,
            id_changed: false,
            poisoned: None,
        }
    }

    /// Feeds bytes; complete items are appended to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<Item>) {
        if !self.started {
            // A UTF-8 BOM may only open the stream; it may come split over chunks.
            const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
            while let Some((&b, rest)) = bytes.split_first() {
                if b != BOM[self.bom] {
                    // Not a BOM: the bytes held back were ordinary line content.
                    self.started = true;
                    let held = &BOM[..self.bom];
                    self.line.extend_from_slice(held);
                    break;
                }
                self.bom += 1;
                bytes = rest;
                if self.bom == BOM.len() {
                    self.started = true;
                    break;
                }
            }
            if !self.started {
                return;
            }
        }
        if bytes.is_empty() {
            // An empty read changes nothing (a CR at the end of the last one still waits
            // to see whether an LF follows).
            return;
        }
        if self.after_cr && bytes[0] == b'\n' {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        while let Some(end) = bytes.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.push_line_bytes(&bytes[..end]);
            self.end_line(out);
            let cr = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            if cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.push_line_bytes(bytes);
    }

    fn push_line_bytes(&mut self, bytes: &[u8]) {
        if self.line_overflow {
            return;
        }
        if self.line.len() + bytes.len() > self.max_data + LINE_SLACK {
            self.line.clear();
            self.line_overflow = true;
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    fn poison_too_large(&mut self) {
        if self.poisoned.is_none() {
            let message = format!(
                "an event larger than {} bytes (the profile's websocket.max_frame_bytes); skipped",
                self.max_data
            );
            self.poisoned = Some((crate::ErrorCode::FrameTooLarge, message));
        }
    }

    fn end_line(&mut self, out: &mut Vec<Item>) {
        let line = std::mem::take(&mut self.line);
        if std::mem::take(&mut self.line_overflow) {
            // Whatever field it was, this block is no longer trustworthy.
            self.poison_too_large();
            self.has_data = true;
            return;
        }
        if line.is_empty() {
            return self.dispatch(out);
        }
        let line = match String::from_utf8(line) {
            Ok(l) => l,
            Err(_) => {
                self.poisoned.get_or_insert((
                    crate::ErrorCode::BadFrame,
                    "an event is not valid UTF-8; skipped".to_string(),
                ));
                self.has_data = true;
                return;
            }
        };
        if line.starts_with(':') {
            out.push(Item::Comment);
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_str(), ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                if self.data.len() + value.len() + 1 > self.max_data {
                    self.poison_too_large();
                    self.data.clear();
                } else if self.poisoned.is_none() {
                    self.data.push_str(value);
                    self.data.push('\n');
                }
                self.has_data = true;
            }
            // An id with NUL is ignored (the spec): it could not be sent back in a header.
            "id" if !value.contains('\0') => {
                self.last_id = Some(value.to_string());
                self.id_changed = true;
            }
            "id" => {
                self.poisoned.get_or_insert((
                    crate::ErrorCode::BadFrame,
                    "an event id contains NUL; the event is skipped".to_string(),
                ));
                self.has_data = true;
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse() {
                    out.push(Item::Retry(ms));
                }
            }
            // Unknown fields are ignored (the spec).
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<Item>) {
        let event = std::mem::take(&mut self.event);
        let mut data = std::mem::take(&mut self.data);
        let has_data = std::mem::take(&mut self.has_data);
        let id_changed = std::mem::take(&mut self.id_changed);
        if let Some((code, message)) = self.poisoned.take() {
            return out.push(Item::Bad { code, message });
        }
        if !has_data {
            if id_changed {
                if let Some(id) = &self.last_id {
                    out.push(Item::Id(id.clone()));
                }
            }
            return;
        }
        if data.ends_with('\n') {
            data.pop();
        }
        let event = if event.is_empty() {
            "message".to_string()
        } else {
            event
        };
        out.push(Item::Event {
            event,
            data,
            id: self.last_id.clone(),
        });
    }

    /// The last event id seen (or the one resumed from).
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }
}

/// The frame an event becomes for `[frames]`.
pub fn event_frame(shape: SseFrame, event: &str, data: &str, id: Option<&str>) -> String {
    match shape {
        SseFrame::Data => data.to_string(),
        SseFrame::Event => {
            let data = serde_json::from_str::<Value>(data)
                .unwrap_or_else(|_| Value::String(data.to_string()));
            json!({ "event": event, "data": data, "id": id }).to_string()
        }
    }
}

/// The inbound values a parsed item becomes (an event carries its id, so the link stores
/// the id once the event's notifications are stored).
fn inbound(shape: SseFrame, item: Item, last_sent: &mut Option<String>) -> Vec<Inbound> {
    match item {
        Item::Event { event, data, id } => {
            let frame = event_frame(shape, &event, &data, id.as_deref());
            match id.filter(|id| Some(id) != last_sent.as_ref()) {
                Some(id) => {
                    *last_sent = Some(id.clone());
                    vec![Inbound::TextAt(frame, id)]
                }
                None => vec![Inbound::Text(frame)],
            }
        }
        Item::Id(id) => {
            *last_sent = Some(id.clone());
            vec![Inbound::EventId(id)]
        }
        Item::Retry(ms) => vec![Inbound::Retry(Duration::from_millis(ms))],
        Item::Comment => vec![Inbound::Alive],
        Item::Bad { code, message } => vec![Inbound::Garbage { code, message }],
    }
}

pub struct SseTarget {
    pub url: Url,
    /// An extra header (name, value) carrying the token, for `auth.mode = "header"`.
    pub auth_header: Option<(String, Secret)>,
    /// Sent as `Last-Event-ID`: the server replays what came after it.
    pub last_event_id: Option<String>,
    pub connect_timeout: Duration,
    pub close_codes: CloseCodesSection,
    pub max_data: usize,
    pub frame: SseFrame,
}

/// Opens the stream; the response's status is classified for the session like a
/// WebSocket handshake's (401/403: credentials, 404: no stream here, poll).
pub async fn connect(
    http: &reqwest::Client,
    target: SseTarget,
) -> Result<Connection, (Failure, String)> {
    let mut request = http
        .get(target.url.clone())
        .header(http::header::ACCEPT, "text/event-stream")
        // A cache between us and the server must not answer for it.
        .header(http::header::CACHE_CONTROL, "no-cache");
    if let Some(id) = target.last_event_id.as_deref() {
        match last_event_id_header(id) {
            Some(value) => request = request.header("Last-Event-ID", value),
            // Sending it would fail every request, forever: resume without it (the REST
            // catch-up still covers what was missed).
            None => {
                tracing::info!("an event id that cannot be sent in a header; not resuming from it")
            }
        }
    }
    if let Some((name, value)) = &target.auth_header {
        request = request.header(name.as_str(), value.expose());
    }
    let response = match tokio::time::timeout(target.connect_timeout, request.send()).await {
        Err(_) => {
            return Err((
                Failure::Transient(Detail::Timeout),
                "the event stream did not answer in time".into(),
            ))
        }
        Ok(Err(e)) => return Err(classify_request(&e)),
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    if !response.status().is_success() {
        let codes = &target.close_codes;
        let failure = if codes.http_auth.contains(&status) {
            Failure::Auth
        } else if codes.http_no_websocket.contains(&status) {
            Failure::NoWebSocket
        } else {
            Failure::Transient(Detail::ServerError)
        };
        return Err((
            failure,
            format!("the server answered HTTP {status} to the event stream request"),
        ));
    }
    let is_stream = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"));
    if !is_stream {
        // An HTML login page or a JSON error with 200: not a stream, and not ours to parse.
        return Err((
            Failure::Transient(Detail::Protocol),
            format!("the server answered HTTP {status} without text/event-stream"),
        ));
    }

    let (in_tx, in_rx) = mpsc::channel(INBOUND_CAPACITY);
    let (out_tx, mut out_rx) = mpsc::channel::<Outbound>(64);
    let mut parser = Parser::resuming(target.max_data, target.last_event_id.clone());
    let mut last_sent = target.last_event_id.clone();
    let shape = target.frame;
    let task = tokio::spawn(async move {
        let mut body = response.bytes_stream();
        let mut items = Vec::new();
        loop {
            tokio::select! {
                chunk = body.next() => {
                    let closed = match chunk {
                        Some(Ok(bytes)) => {
                            parser.feed(&bytes, &mut items);
                            for item in items.drain(..) {
                                for value in inbound(shape, item, &mut last_sent) {
                                    if in_tx.send(value).await.is_err() {
                                        return;
                                    }
                                }
                            }
                            continue;
                        }
                        Some(Err(e)) => Inbound::Closed {
                            failure: Failure::Transient(Detail::Unreachable),
                            message: crate::rest::describe(&e),
                        },
                        None => Inbound::Closed {
                            failure: Failure::Transient(Detail::ServerClosed),
                            message: "the server ended the event stream".into(),
                        },
                    };
                    let _ = in_tx.send(closed).await;
                    return;
                }
                // Nothing goes out over a stream; the link dropping its sender ends it.
                out = out_rx.recv() => if out.is_none() {
                    return;
                },
            }
        }
    });
    Ok(Connection::new(out_tx, in_rx, task))
}

/// `id` as a `Last-Event-ID` value, if a header can carry it (no control characters; UTF-8
/// is sent as its bytes, which servers read back as they wrote them).
pub fn last_event_id_header(id: &str) -> Option<http::HeaderValue> {
    http::HeaderValue::from_bytes(id.as_bytes()).ok()
}

fn classify_request(e: &reqwest::Error) -> (Failure, String) {
    if let Some(message) = crate::tls::describe(e) {
        return (Failure::Transient(Detail::Tls), message);
    }
    let detail = if e.is_timeout() {
        Detail::Timeout
    } else {
        Detail::Unreachable
    };
    (Failure::Transient(detail), crate::rest::describe(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Vec<Item> {
        let mut p = Parser::new(64);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out);
        }
        out
    }

    fn ev(event: &str, data: &str, id: Option<&str>) -> Item {
        Item::Event {
            event: event.into(),
            data: data.into(),
            id: id.map(Into::into),
        }
    }

    #[test]
    fn events_follow_the_whatwg_rules() {
        let out = parse(&[b"data: a\ndata:b\n\nevent: x\ndata\nid: 7\n\n: ping\nretry: 1500\n\n"]);
        assert_eq!(
            out,
            vec![
                ev("message", "a\nb", None),
                ev("x", "", Some("7")),
                Item::Comment,
                Item::Retry(1500),
            ]
        );
        // The id carries over to later events; an id-only block moves the position.
        let out = parse(&[b"id: 3\n\ndata: y\n\nid\n\n"]);
        assert_eq!(
            out,
            vec![
                Item::Id("3".into()),
                ev("message", "y", Some("3")),
                Item::Id("".into())
            ]
        );
        // A bad retry is ignored; an incomplete block at the end is not dispatched.
        assert_eq!(parse(&[b"retry: 1s\n\ndata: z"]), vec![]);
    }

    #[test]
    fn line_ends_may_be_cr_lf_or_crlf_split_anywhere() {
        let text = b"\xEF\xBB\xBFdata: 1\r\n\r\ndata: 2\r\rdata: 3\n\n";
        let whole = parse(&[text]);
        assert_eq!(
            whole,
            vec![
                ev("message", "1", None),
                ev("message", "2", None),
                ev("message", "3", None)
            ]
        );
        for split in 0..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(parse(&[a, b]), whole, "split at {split}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(parse(&bytes), whole);
        // Empty reads in between change nothing, even right after a CR.
        assert_eq!(
            parse(&[b"data: 1\r", b"", b"\ndata: 2\n\n"]),
            parse(&[b"data: 1\r\ndata: 2\n\n"])
        );
    }

    #[test]
    fn bad_events_are_reported_and_the_stream_goes_on() {
        let big = format!("data: {}\n\ndata: ok\n\n", "x".repeat(200));
        let out = parse(&[big.as_bytes()]);
        assert!(matches!(
            &out[0],
            Item::Bad {
                code: crate::ErrorCode::FrameTooLarge,
                ..
            }
        ));
        assert_eq!(out[1], ev("message", "ok", None));
        // Many small data lines adding up over the limit: same.
        let many = "data: 0123456789\n".repeat(10) + "\ndata: ok\n\n";
        let out = parse(&[many.as_bytes()]);
        assert!(matches!(
            &out[0],
            Item::Bad {
                code: crate::ErrorCode::FrameTooLarge,
                ..
            }
        ));
        assert_eq!(out[1], ev("message", "ok", None));
        // Invalid UTF-8 skips its event only.
        let out = parse(&[b"data: \xff\xfe\nid: 9\n\ndata: ok\n\n"]);
        assert!(matches!(
            &out[0],
            Item::Bad {
                code: crate::ErrorCode::BadFrame,
                ..
            }
        ));
        assert_eq!(out[1], ev("message", "ok", Some("9")));
        // An id with NUL is not kept; its event is skipped.
        let out = parse(&[b"id: 5\n\nid: 6\0x\ndata: {}\n\ndata: ok\n\n"]);
        assert_eq!(out[0], Item::Id("5".into()));
        assert!(matches!(
            &out[1],
            Item::Bad {
                code: crate::ErrorCode::BadFrame,
                ..
            }
        ));
        assert_eq!(out[2], ev("message", "ok", Some("5")));
    }

    #[test]
    fn an_id_a_header_cannot_carry_is_not_sent() {
        assert!(last_event_id_header("admin-notificaciones-1:3").is_some());
        assert!(last_event_id_header("café:7").is_some());
        assert!(last_event_id_header("a\u{1}b").is_none());
        assert!(last_event_id_header("a\u{7f}").is_none());
    }

    #[test]
    fn memory_stays_bounded_by_the_limit() {
        let mut p = Parser::new(64);
        let mut out = Vec::new();
        for _ in 0..10_000 {
            p.feed(&[b'x'; 1000], &mut out);
        }
        assert!(p.line.capacity() <= 64 + LINE_SLACK + 1000);
        p.feed(b"\n\ndata: ok\n\n", &mut out);
        assert!(matches!(
            &out[0],
            Item::Bad {
                code: crate::ErrorCode::FrameTooLarge,
                ..
            }
        ));
        assert_eq!(out[1], ev("message", "ok", None));
    }

    #[test]
    fn events_become_frames_for_the_profile() {
        assert_eq!(
            event_frame(SseFrame::Event, "message", r#"{"id":1}"#, Some("1")),
            r#"{"data":{"id":1},"event":"message","id":"1"}"#
        );
        assert_eq!(
            event_frame(SseFrame::Event, "x", "plain", None),
            r#"{"data":"plain","event":"x","id":null}"#
        );
        assert_eq!(event_frame(SseFrame::Data, "x", "[1]", None), "[1]");
        // An event carries its id once; a repeated id is not stored again.
        let mut last = Some("1".to_string());
        let values = inbound(SseFrame::Data, ev("m", "{}", Some("2")), &mut last);
        assert!(matches!(&values[..], [Inbound::TextAt(_, id)] if id == "2"));
        let values = inbound(SseFrame::Data, ev("m", "{}", Some("2")), &mut last);
        assert!(matches!(&values[..], [Inbound::Text(_)]));
    }
}
