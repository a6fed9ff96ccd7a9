//! Frame parsing: turns a server's text (a WebSocket frame or a REST item) into notifications
//! and control messages, as the profile's `[frames]` and `[fields]` sections say.

use std::borrow::Cow;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::model::Notification;
use crate::profile::{FieldsSection, FrameAction, FrameRule, Profile};
use crate::readable;
use crate::template::{self, is_template, lookup, set_path, to_text};

/// Text fields are cut at this many characters: a notification is a line in a panel and a
/// toast, and an unbounded title from a hostile server should not bloat the store.
const MAX_TEXT_CHARS: usize = 4_000;

/// What one inbound frame meant.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Notifications(Vec<Notification>),
    /// One event the server gave no id (its id is derived from it): it may be the twin of
    /// one delivered another way (see [`TwinKey`]).
    Event {
        notification: Notification,
        twin: TwinKey,
    },
    /// The server confirmed that this notification is read.
    ReadAck(String),
    Pong,
    /// The server reported an error in-band.
    ServerError(String),
    /// A live value of a stream channel (`channel`: the rule's, when it names one).
    Stream {
        channel: Option<String>,
        event: String,
        data: Value,
    },
    /// A greeting or acknowledgement (`connected`, `connection_established`…): facts about
    /// the connection, not a notification.
    Control {
        event: String,
        data: Value,
    },
    Ignored,
}

/// What tells twins apart: the same event delivered twice, under a generic and a specific
/// name, or wrapped in an envelope and bare. Twins have equal `content` and different
/// `route`s; the same content by the same route is a new event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwinKey {
    /// A hash of the kind and the (unwrapped) payload.
    pub content: u64,
    /// A hash of the frame's own type and whether it came wrapped.
    pub route: u64,
    /// The event carries no time of its own, so its id cannot tell two equal events
    /// apart: the receiver must.
    pub timeless: bool,
}

/// What one frame became (`aviso-cli probe` prints it beside the frame).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "as", rename_all = "snake_case")]
pub enum Became {
    /// A notification, as it is stored and shown.
    Notification {
        id: String,
        kind: String,
        title: String,
        body: String,
    },
    /// The twin of a notification already shown (`id`): not shown again.
    Twin {
        id: String,
        kind: String,
    },
    Stream {
        channel: String,
        event: String,
    },
    /// A greeting or acknowledgement: the stream channel `connection`.
    Control {
        event: String,
    },
    ReadAck {
        id: String,
    },
    Pong,
    ServerError {
        message: String,
    },
    /// No rule of the profile takes frames of this type.
    Ignored,
    /// Unusable: the reason.
    Error {
        code: crate::ErrorCode,
        message: String,
    },
}

/// One frame seen by a link, and what it became.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Tapped {
    pub account: String,
    /// The socket's stream channel (profiles with `channels`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub frame: String,
    pub became: Vec<Became>,
    /// Which of its socket's connections the frame came on: 1 for the first. It matches
    /// the socket's `live` state lines in order (each connection goes live once), so a
    /// reader of both channels can put a frame after the line of its own connection.
    #[serde(skip)]
    pub connection: u64,
}

impl Inbound {
    /// What this frame became, before twins are told apart (an [`Inbound::Event`] is
    /// said by the receiver, which knows). `socket_channel`: the socket's stream channel.
    pub fn became(&self, socket_channel: Option<&str>) -> Vec<Became> {
        match self {
            Inbound::Notifications(items) => items.iter().map(Became::notification).collect(),
            Inbound::Event { .. } => Vec::new(),
            Inbound::ReadAck(id) => vec![Became::ReadAck { id: id.clone() }],
            Inbound::Pong => vec![Became::Pong],
            Inbound::ServerError(message) => vec![Became::ServerError {
                message: message.clone(),
            }],
            Inbound::Stream { channel, event, .. } => vec![Became::Stream {
                channel: channel
                    .as_deref()
                    .or(socket_channel)
                    .unwrap_or(event)
                    .to_string(),
                event: event.clone(),
            }],
            Inbound::Control { event, .. } => vec![Became::Control {
                event: event.clone(),
            }],
            Inbound::Ignored => vec![Became::Ignored],
        }
    }
}

impl From<&FrameError> for Became {
    fn from(e: &FrameError) -> Became {
        Became::Error {
            code: e.code,
            message: e.message.clone(),
        }
    }
}

impl Became {
    pub fn notification(n: &Notification) -> Became {
        Became::Notification {
            id: n.id.clone(),
            kind: n.kind.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
        }
    }
}

/// A frame that could not be used. The session reports it and goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FrameError {
    /// `bad_frame`, `frame_too_large`, `bad_notification`.
    pub code: crate::ErrorCode,
    pub message: String,
}

fn bad(code: crate::ErrorCode, message: impl Into<String>) -> FrameError {
    FrameError {
        code,
        message: message.into(),
    }
}

/// Parses one text frame. Items inside a frame that are unusable are reported in the
/// second vector while the usable ones still come through.
pub fn parse_frame(
    profile: &Profile,
    account: &str,
    text: &str,
) -> Result<(Inbound, Vec<FrameError>), FrameError> {
    if text.len() > profile.websocket.max_frame_bytes {
        return Err(bad(
            crate::ErrorCode::FrameTooLarge,
            format!(
                "frame of {} bytes exceeds the limit of {} bytes; skipped",
                text.len(),
                profile.websocket.max_frame_bytes
            ),
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        bad(
            crate::ErrorCode::BadFrame,
            format!("frame is not valid JSON ({e}); skipped"),
        )
    })?;
    let frames = &profile.frames;
    if frames.type_field.is_empty() {
        let item = lookup(&value, &frames.path).ok_or_else(|| {
            bad(
                crate::ErrorCode::BadFrame,
                format!("no `{}` in frame", frames.path),
            )
        })?;
        return Ok((one(&profile.fields, account, item, None)?, Vec::new()));
    }
    let Some(own_kind) = lookup(&value, &frames.type_field).and_then(Value::as_str) else {
        return Err(bad(
            crate::ErrorCode::BadFrame,
            format!("frame has no `{}` field", frames.type_field),
        ));
    };
    let own_kind = own_kind.to_string();
    let picked = pick(profile, &value, own_kind.clone());
    let value = &picked.value;
    let kind = picked.kind.clone();
    let route = Route {
        own_kind: &own_kind,
        wrapped: picked.wrapped,
    };
    let rule = match picked.rule {
        Rule::Own(rule) | Rule::Other(rule) => rule,
        Rule::Control => {
            let data = lookup(value, &profile.fields.data)
                .filter(|_| !profile.fields.data.is_empty() && profile.fields.data != ".")
                .unwrap_or(value)
                .clone();
            return Ok((Inbound::Control { event: kind, data }, Vec::new()));
        }
        Rule::Nothing => return Ok((Inbound::Ignored, Vec::new())),
    };
    let at = |path: &str| {
        lookup(value, path).ok_or_else(|| {
            bad(
                crate::ErrorCode::BadFrame,
                format!("`{kind}` frame has no `{path}`"),
            )
        })
    };
    let fields = if rule.fields.is_empty() {
        std::borrow::Cow::Borrowed(&profile.fields)
    } else {
        std::borrow::Cow::Owned(rule.fields.apply(&profile.fields))
    };
    Ok(match rule.action {
        FrameAction::Notification => {
            let item = at(&rule.path)?;
            let route = rule.path.is_empty().then_some(route);
            (one(&fields, account, item, route)?, Vec::new())
        }
        FrameAction::Notifications => {
            let items = at(&rule.path)?.as_array().ok_or_else(|| {
                bad(
                    crate::ErrorCode::BadFrame,
                    format!("`{}` is not a list", rule.path),
                )
            })?;
            to_notifications(&fields, account, items)
        }
        FrameAction::Stream => (
            Inbound::Stream {
                channel: Some(rule.channel.clone()).filter(|c| !c.is_empty()),
                event: kind.to_string(),
                data: at(&rule.path)?.clone(),
            },
            Vec::new(),
        ),
        FrameAction::ReadAck => (Inbound::ReadAck(to_text(at(&rule.path)?)), Vec::new()),
        FrameAction::Pong => (Inbound::Pong, Vec::new()),
        FrameAction::Error => {
            let message = lookup(value, &rule.path).map(to_text).unwrap_or_default();
            (Inbound::ServerError(message), Vec::new())
        }
        FrameAction::Ignore => (Inbound::Ignored, Vec::new()),
    })
}

/// The rule of the profile that takes a typed frame.
#[derive(Debug, Clone, Copy)]
pub enum Rule<'p> {
    /// `[frames.types."KIND"]`.
    Own(&'p FrameRule),
    /// `[frames.other]`: the type has no rule of its own.
    Other(&'p FrameRule),
    /// A greeting or acknowledgement (`[frames] control`) without a rule of its own.
    Control,
    /// No rule: ignored.
    Nothing,
}

/// A typed frame as the profile reads it (the one reading `parse_frame` and the probe
/// share).
#[derive(Debug, Clone)]
pub struct Picked<'p, 'v> {
    /// The type that picks the rule: the wrapped one where an envelope is taken off.
    pub kind: String,
    /// The frame with its envelope taken off (the wrapped type also under `type_field`);
    /// the frame itself when it had none.
    pub value: Cow<'v, Value>,
    pub wrapped: bool,
    pub rule: Rule<'p>,
}

/// Reads a typed frame (`own_kind`: its `type_field` value): its envelope taken off, and
/// the rule that takes it.
pub fn pick<'p, 'v>(profile: &'p Profile, value: &'v Value, own_kind: String) -> Picked<'p, 'v> {
    let frames = &profile.frames;
    // A wrapped payload is read as what it wraps, whatever the frame's own type.
    let unwrapped = unwrap(&profile.fields, value, Some(&frames.type_field));
    let wrapped = unwrapped.is_some();
    let value = unwrapped.map_or(Cow::Borrowed(value), Cow::Owned);
    let kind = lookup(&value, &frames.type_field)
        .and_then(Value::as_str)
        .map_or(own_kind, str::to_string);
    let rule = match frames.types.get(&kind) {
        Some(rule) => Rule::Own(rule),
        // Without a rule of their own, greetings are control frames, not notifications.
        None if frames.is_control(&kind) => Rule::Control,
        None => frames.other.as_ref().map_or(Rule::Nothing, Rule::Other),
    };
    Picked {
        kind,
        value,
        wrapped,
        rule,
    }
}

/// How one frame arrived: its own type, and whether its payload came wrapped.
struct Route<'a> {
    own_kind: &'a str,
    wrapped: bool,
}

/// The event's own time (the `created_at` value as sent), if it has one.
fn own_time<'a>(fields: &FieldsSection, item: &'a Value) -> Option<&'a Value> {
    if fields.created_at.is_empty() || is_template(&fields.created_at) {
        return None;
    }
    lookup(item, &fields.created_at).filter(|t| !t.is_null())
}

/// One notification from a frame: an [`Inbound::Event`] when its id is derived.
fn one(
    fields: &FieldsSection,
    account: &str,
    item: &Value,
    route: Option<Route>,
) -> Result<Inbound, FrameError> {
    let n = to_notification(fields, account, item)?;
    if !fields.id.is_empty() {
        return Ok(Inbound::Notifications(vec![n]));
    }
    let wrapped = route.as_ref().is_some_and(|r| r.wrapped);
    let twin = TwinKey {
        content: content_key(&n),
        route: fnv1a(
            serde_json::json!([route.as_ref().map(|r| r.own_kind), wrapped])
                .to_string()
                .as_bytes(),
        ),
        timeless: fields.envelope.is_some() && own_time(fields, item).is_none(),
    };
    Ok(Inbound::Event {
        notification: n,
        twin,
    })
}

/// Where `[fields] data` holds an envelope (see [`crate::profile::Envelope`]): the item
/// with the kind, the data and the time taken from inside it (also under `type_field`,
/// which picks a frame's rule).
fn unwrap(fields: &FieldsSection, item: &Value, type_field: Option<&str>) -> Option<Value> {
    let envelope = fields.envelope.as_ref()?;
    if fields.data.is_empty() || fields.data == "." {
        return None;
    }
    let wrapped = lookup(item, &fields.data)?.as_object()?;
    let kind = wrapped.get(&envelope.kind)?.as_str()?.to_string();
    let inner = wrapped.get(&envelope.data)?.clone();
    let time = wrapped.get(&envelope.time).cloned();
    let mut out = item.clone();
    let plain = |path: &str| !path.is_empty() && path != "." && !is_template(path);
    for path in [Some(fields.kind.as_str()), type_field]
        .into_iter()
        .flatten()
    {
        if plain(path) {
            set_path(&mut out, path, Value::String(kind.clone()));
        }
    }
    set_path(&mut out, &fields.data, inner);
    if let Some(t) = time {
        if plain(&fields.created_at) {
            set_path(&mut out, &fields.created_at, t);
        }
    }
    Some(out)
}

/// An item as the `[fields]` read it: with its envelope taken off where it has one.
pub fn without_envelope(fields: &FieldsSection, item: &Value) -> Value {
    unwrap(fields, item, None).unwrap_or_else(|| item.clone())
}

/// The payload of an item: its `[fields] data` value, or the whole item.
pub fn payload<'a>(fields: &FieldsSection, item: &'a Value) -> &'a Value {
    if fields.data.is_empty() || fields.data == "." {
        return item;
    }
    lookup(item, &fields.data).unwrap_or(&Value::Null)
}

/// Maps the items of the profile's REST list (`[fields]` with `[rest.fields]`), each with its
/// kind's own `[frames.types]` fields where it has them (the titles a frame would get).
pub fn list_items(profile: &Profile, account: &str, items: &[Value]) -> (Inbound, Vec<FrameError>) {
    let base = profile.rest_fields();
    let has_own = profile.frames.types.values().any(|r| !r.fields.is_empty());
    if !has_own {
        return to_notifications(&base, account, items);
    }
    let mut good = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for item in items {
        let unwrapped = unwrap(&base, item, None);
        let plain = unwrapped.as_ref().unwrap_or(item);
        let rule = lookup(plain, &base.kind)
            .and_then(Value::as_str)
            .and_then(|kind| profile.frames.types.get(kind))
            .filter(|r| !r.fields.is_empty());
        let fields = match rule {
            Some(rule) => std::borrow::Cow::Owned(rule.fields.apply(&base)),
            None => std::borrow::Cow::Borrowed(&*base),
        };
        match to_notification(&fields, account, item) {
            Ok(n) => good.push(n),
            Err(e) => errors.push(e),
        }
    }
    (Inbound::Notifications(good), errors)
}

/// Maps a list of server objects, keeping the good ones and reporting the bad ones.
pub fn to_notifications(
    fields: &FieldsSection,
    account: &str,
    items: &[Value],
) -> (Inbound, Vec<FrameError>) {
    let mut good = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for item in items {
        match to_notification(fields, account, item) {
            Ok(n) => good.push(n),
            Err(e) => errors.push(e),
        }
    }
    (Inbound::Notifications(good), errors)
}

/// Maps one server object onto a notification. Unknown fields are ignored; a missing id
/// is an error (an id-less item could never be de-duplicated or marked read). People never
/// read raw JSON or half-filled templates: a title that cannot be filled is the kind in
/// words ("Nueva solicitud"), and a body that cannot be is the payload's plain fields
/// ("servicioId: 1 · clienteId: 123").
pub fn to_notification(
    fields: &FieldsSection,
    account: &str,
    item: &Value,
) -> Result<Notification, FrameError> {
    if !item.is_object() {
        return Err(bad(
            crate::ErrorCode::BadNotification,
            "notification is not a JSON object; skipped",
        ));
    }
    let unwrapped = unwrap(fields, item, None);
    let item = unwrapped.as_ref().unwrap_or(item);
    let field = |spec: &str| -> Result<Option<String>, FrameError> {
        if spec.is_empty() {
            return Ok(None);
        }
        if is_template(spec) {
            let text = template::render(spec, item)
                .map_err(|e| bad(crate::ErrorCode::BadNotification, e.to_string()))?;
            return Ok(Some(text).filter(|t| !t.is_empty()));
        }
        Ok(lookup(item, spec).map(to_text).filter(|t| !t.is_empty()))
    };
    // Title and body: for people.
    let for_people = |spec: &str| -> Result<Option<String>, FrameError> {
        if spec.is_empty() {
            return Ok(None);
        }
        let text = if is_template(spec) {
            template::render_complete(spec, item, readable::text)
                .map_err(|e| bad(crate::ErrorCode::BadNotification, e.to_string()))?
        } else {
            lookup(item, spec).map(readable::text)
        };
        Ok(text.filter(|t| readable::has_words(t)))
    };
    let id = if !fields.id.is_empty() {
        field(&fields.id)?
    } else if fields.envelope.is_some() {
        // The event itself: kind, payload and (when it came wrapped) its own time. The
        // same event wrapped or bare, replayed or live, gets the same id.
        let kind = field(&fields.kind)?;
        let event = serde_json::json!([kind, payload(fields, item), own_time(fields, item)]);
        Some(stable_id(&event))
    } else {
        Some(stable_id(item))
    };
    let id = match id {
        Some(id) if id.len() <= 200 => id,
        Some(_) => {
            return Err(bad(
                crate::ErrorCode::BadNotification,
                "notification id is longer than 200 bytes",
            ))
        }
        None => {
            return Err(bad(
                crate::ErrorCode::BadNotification,
                format!("notification has no `{}`", fields.id),
            ))
        }
    };
    let kind = clip(field(&fields.kind)?.unwrap_or_else(|| "notification".into()));
    let title = for_people(&fields.title)?;
    // A body the server sent empty is no body; one it did not send (or a template it
    // cannot fill) is the payload's plain fields, as is the body of a title in words.
    let sent_empty = !fields.body.is_empty()
        && !is_template(&fields.body)
        && lookup(item, &fields.body)
            .is_some_and(|v| v.as_str().is_some_and(|s| s.trim().is_empty()));
    let body = match for_people(&fields.body)? {
        Some(body) => body,
        None if !sent_empty && (title.is_none() || !fields.body.is_empty()) => {
            readable::summary(payload(fields, item))
        }
        None => String::new(),
    };
    let title = clip(title.unwrap_or_else(|| readable::humanize(&kind)));
    let body = clip(body);
    let url = field(&fields.url)?.map(clip);
    let created_at = normalize_time(field(&fields.created_at)?.as_deref());
    let read = match lookup(item, &fields.read) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    };
    let data = if fields.data.is_empty() {
        Value::Null
    } else if fields.data == "." {
        item.clone()
    } else {
        lookup(item, &fields.data).cloned().unwrap_or(Value::Null)
    };
    Ok(Notification {
        account: account.to_string(),
        id,
        kind,
        title,
        body,
        url,
        created_at,
        read,
        data,
    })
}

/// A stable id for an event the server gave none: `h` + 16 hex digits of a 64-bit FNV-1a
/// hash of the object's JSON. serde_json writes an object's keys in a fixed order (sorted;
/// as received where `preserve_order` is on), so the same event always gets the same id,
/// across restarts: a replayed event is de-duplicated like any other. Two identical events (same name,
/// same payload, same timestamp) are taken as one.
pub fn stable_id(value: &Value) -> String {
    format!("h{:016x}", fnv1a(value.to_string().as_bytes()))
}

/// 64-bit FNV-1a: tiny, stable by definition (unlike `std`'s `DefaultHasher`, whose output
/// may change between Rust releases), and plenty against accidental collisions at the
/// scale of one account's notifications.
/// What twins share: the kind and the payload (`data`), as [`TwinKey::content`].
pub fn content_key(n: &Notification) -> u64 {
    fnv1a(serde_json::json!([n.kind, n.data]).to_string().as_bytes())
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn clip(mut s: String) -> String {
    if let Some((cut, _)) = s.char_indices().nth(MAX_TEXT_CHARS) {
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Parses an RFC 3339 time or a naive ISO time (taken as UTC; Django without USE_TZ sends
/// those) and returns it as RFC 3339 UTC. Missing or unparsable: now.
pub fn normalize_time(text: Option<&str>) -> String {
    let parsed = text.and_then(|t| {
        OffsetDateTime::parse(t, &Rfc3339).ok().or_else(|| {
            let fmt = time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
            );
            PrimitiveDateTime::parse(t, fmt)
                .ok()
                .map(|p| p.assume_utc())
        })
    });
    let t = parsed
        .unwrap_or_else(OffsetDateTime::now_utc)
        .to_offset(UtcOffset::UTC);
    t.format(&Rfc3339).unwrap_or_default()
}

/// Microseconds since the epoch of an RFC 3339 time (for ordering in the store).
pub fn time_micros(rfc3339: &str) -> i64 {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000) as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    fn smartsales() -> Profile {
        Profile::load("smartsales").unwrap()
    }

    #[test]
    fn seed_000_frame_maps_onto_a_notification() {
        let frame = r#"{"id": 42, "tipo": "nueva_compra", "titulo": "Nueva Compra Realizada",
            "mensaje": "Cliente Ana realizó compra #1042 por $350.00", "url": "/admin/orders/1042/",
            "datos": {"compra_id": 1042, "total": "350.00"}, "creada": "2025-11-17T10:30:00.123456+00:00",
            "leida": false, "extra": "ignored"}"#;
        let (inbound, errors) = parse_frame(&smartsales(), "acc", frame).unwrap();
        assert!(errors.is_empty());
        let Inbound::Notifications(ns) = inbound else {
            panic!("{inbound:?}")
        };
        let n = &ns[0];
        assert_eq!(n.id, "42");
        assert_eq!(n.kind, "nueva_compra");
        assert_eq!(n.url.as_deref(), Some("/admin/orders/1042/"));
        assert_eq!(n.created_at, "2025-11-17T10:30:00.123456Z");
        assert_eq!(n.data["total"], "350.00");
        assert!(!n.read);
    }

    #[test]
    fn bad_frames_are_errors_not_panics() {
        let p = smartsales();
        for (text, code) in [
            ("not json", "bad_frame"),
            ("{\"tipo\": \"x\"}", "bad_notification"),
            ("[1,2]", "bad_notification"),
            ("\"str\"", "bad_notification"),
        ] {
            let err = parse_frame(&p, "a", text).unwrap_err();
            assert_eq!(err.code.as_str(), code, "{text}: {err}");
        }
        let big = format!("{{\"id\": 1, \"titulo\": \"{}\"}}", "x".repeat(2 << 20));
        assert_eq!(
            parse_frame(&p, "a", &big).unwrap_err().code,
            crate::ErrorCode::FrameTooLarge
        );
    }

    fn gateway() -> Profile {
        Profile::load("socketio-gateway").unwrap()
    }

    fn event(profile: &Profile, name: &str, data: Value) -> (Notification, Option<TwinKey>) {
        let frame = crate::transport::socketio::event_frame(name, &[data]);
        match parse_frame(profile, "a", &frame).unwrap().0 {
            Inbound::Event { notification, twin } => (notification, Some(twin)),
            Inbound::Notifications(mut ns) => (ns.remove(0), None),
            other => panic!("{name}: {other:?}"),
        }
    }

    /// Seed 003 read three ways: the specific event with the whole envelope (our first test
    /// server), a generic `business_event` with the envelope, the specific event with only
    /// `data`. All three are one `reserva:creada` with the preset's title and body.
    #[test]
    fn a_business_event_reads_the_same_wrapped_or_bare_generic_or_specific() {
        let p = gateway();
        let data = serde_json::json!({"reserva": {"id": 7, "estado": "confirmada",
            "fecha": "2024-11-15", "hora": "14:30"}});
        let envelope = serde_json::json!({"type": "reserva:creada", "data": data,
            "timestamp": "2024-11-15T14:30:00Z"});
        let (specific, k1) = event(&p, "reserva:creada", envelope.clone());
        let (generic, k2) = event(&p, "business_event", envelope.clone());
        let (bare, k3) = event(&p, "reserva:creada", data.clone());
        for n in [&specific, &generic, &bare] {
            assert_eq!(n.kind, "reserva:creada");
            assert_eq!(n.title, "Nueva reserva #7");
            assert_eq!(n.body, "2024-11-15 14:30 · Estado: confirmada");
            assert_eq!(n.data, data);
        }
        assert_eq!(specific.id, generic.id, "the same wrapped event, same id");
        assert_eq!(specific.created_at, "2024-11-15T14:30:00Z");
        let (k1, k2, k3) = (k1.unwrap(), k2.unwrap(), k3.unwrap());
        assert_eq!((k1.content, k2.content), (k3.content, k3.content));
        assert!(k1.route != k3.route && k2.route != k3.route && k1.route != k2.route);
        assert!(k3.timeless && !k1.timeless);
        // A history endpoint lists the envelope itself: the same id as live.
        let Inbound::Notifications(listed) = list_items(&p, "a", std::slice::from_ref(&envelope)).0
        else {
            unreachable!()
        };
        let listed = &listed[0];
        assert_eq!(listed.id, specific.id);
        assert_eq!(listed.title, "Nueva reserva #7");
        // The same sale a second later is another event.
        let mut later = envelope.clone();
        later["timestamp"] = "2024-11-15T14:30:01Z".into();
        assert_ne!(event(&p, "business_event", later).0.id, specific.id);
    }

    /// No raw JSON, no "#?", no empty separators: a kind without a rule reads as words and
    /// its payload's plain fields; a template missing its fields falls back the same way.
    #[test]
    fn people_never_read_json_or_half_filled_templates() {
        let p = gateway();
        let payload = serde_json::json!({"servicioId": 1, "clienteId": 123});
        let (role, _) = event(&p, "nueva_solicitud", payload.clone());
        assert_eq!(role.title, "Nueva solicitud");
        assert_eq!(role.body, "clienteId: 123 · servicioId: 1");
        let wrapped = serde_json::json!({"type": "nueva_solicitud", "data": payload,
            "timestamp": "2026-01-01T00:00:00Z"});
        let (generic, _) = event(&p, "notification", wrapped);
        assert_eq!(
            (generic.title.as_str(), generic.kind.as_str()),
            ("Nueva solicitud", "nueva_solicitud")
        );
        assert_eq!(generic.body, role.body);
        let (pago, _) = event(&p, "pago:procesado", serde_json::json!({"monto": 50000}));
        assert_eq!(pago.title, "Pago procesado");
        assert_eq!(pago.body, "monto: 50000");
        let (reserva, _) = event(
            &p,
            "reserva:creada",
            serde_json::json!({"reserva": {"estado": "pendiente"}}),
        );
        assert_eq!(reserva.title, "Reserva creada");
        assert_eq!(reserva.body, "estado: pendiente");
        for n in [&role, &generic, &pago, &reserva] {
            for text in [&n.title, &n.body] {
                assert!(
                    !text.contains(['{', '?']) && !text.trim().starts_with('·'),
                    "{text:?}"
                );
            }
        }
    }

    /// A body the server sent empty stays empty; one it did not send is the payload's words.
    #[test]
    fn an_empty_body_is_the_servers_word_a_missing_one_is_not() {
        let p = smartsales();
        let empty = r#"{"id": 1, "tipo": "stock_bajo", "titulo": "Stock agotado", "mensaje": "", "datos": {"sku": "A1"}}"#;
        let Inbound::Notifications(ns) = parse_frame(&p, "a", empty).unwrap().0 else {
            unreachable!()
        };
        assert_eq!(ns[0].body, "");
        let missing =
            r#"{"id": 2, "tipo": "stock_bajo", "titulo": "Stock agotado", "datos": {"sku": "A1"}}"#;
        let Inbound::Notifications(ns) = parse_frame(&p, "a", missing).unwrap().0 else {
            unreachable!()
        };
        assert_eq!(ns[0].body, "sku: A1");
    }

    /// Greetings are control frames, whatever the server names them, in any dialect.
    #[test]
    fn greetings_are_not_notifications() {
        let p = gateway();
        let frame = crate::transport::socketio::event_frame(
            "connected",
            &[serde_json::json!({"message": "Conectado", "socketId": "abc"})],
        );
        let (inbound, _) = parse_frame(&p, "a", &frame).unwrap();
        assert_eq!(
            inbound,
            Inbound::Control {
                event: "connected".into(),
                data: serde_json::json!({"message": "Conectado", "socketId": "abc"})
            }
        );
        let furniture = Profile::load("furniture").unwrap();
        let hello =
            r#"{"type": "connection_established", "message": "Conectado", "client_id": "x"}"#;
        assert!(matches!(
            parse_frame(&furniture, "a", hello).unwrap().0,
            Inbound::Control { .. }
        ));
        // A rule of the profile's own wins: a `welcome` it wants as a notification is one.
        let mut mine = furniture.clone();
        mine.frames.types.insert(
            "welcome".into(),
            mine.frames.types["furniture_created"].clone(),
        );
        let welcome = r#"{"type": "welcome", "data": {"nombre": "Mesa"}}"#;
        assert!(matches!(
            parse_frame(&mine, "a", welcome).unwrap().0,
            Inbound::Event { .. }
        ));
    }

    #[test]
    fn naive_times_are_utc() {
        assert_eq!(
            normalize_time(Some("2025-11-17T10:30:00")),
            "2025-11-17T10:30:00Z"
        );
        assert_eq!(
            normalize_time(Some("2025-11-17T12:30:00+02:00")),
            "2025-11-17T10:30:00Z"
        );
    }

    #[test]
    fn long_text_is_clipped() {
        let fields = smartsales().fields;
        let item = serde_json::json!({"id": 1, "titulo": "t".repeat(10_000)});
        let n = to_notification(&fields, "a", &item).unwrap();
        assert_eq!(n.title.chars().count(), MAX_TEXT_CHARS + 1);
    }
}
