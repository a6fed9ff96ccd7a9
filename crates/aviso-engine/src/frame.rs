//! Frame parsing: turns a server's text (a WebSocket frame or a REST item) into notifications
//! and control messages, as the profile's `[frames]` and `[fields]` sections say.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::model::Notification;
use crate::profile::{FieldsSection, FrameAction, Profile};
use crate::template::{self, is_template, lookup, to_text};

/// Text fields are cut at this many characters: a notification is a line in a panel and a
/// toast, and an unbounded title from a hostile server should not bloat the store.
const MAX_TEXT_CHARS: usize = 4_000;

/// What one inbound frame meant.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Notifications(Vec<Notification>),
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
    Ignored,
}

/// A frame that could not be used. The session reports it and goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FrameError {
    /// `bad_frame`, `frame_too_large`, `bad_notification`.
    pub code: &'static str,
    pub message: String,
}

fn bad(code: &'static str, message: impl Into<String>) -> FrameError {
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
            "frame_too_large",
            format!(
                "frame of {} bytes exceeds the limit of {} bytes; skipped",
                text.len(),
                profile.websocket.max_frame_bytes
            ),
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        bad(
            "bad_frame",
            format!("frame is not valid JSON ({e}); skipped"),
        )
    })?;
    let frames = &profile.frames;
    if frames.type_field.is_empty() {
        let item = lookup(&value, &frames.path)
            .ok_or_else(|| bad("bad_frame", format!("no `{}` in frame", frames.path)))?;
        let n = to_notification(&profile.fields, account, item)?;
        return Ok((Inbound::Notifications(vec![n]), Vec::new()));
    }
    let Some(kind) = lookup(&value, &frames.type_field).and_then(Value::as_str) else {
        return Err(bad(
            "bad_frame",
            format!("frame has no `{}` field", frames.type_field),
        ));
    };
    let Some(rule) = frames.types.get(kind).or(frames.other.as_ref()) else {
        return Ok((Inbound::Ignored, Vec::new()));
    };
    let at = |path: &str| {
        lookup(&value, path)
            .ok_or_else(|| bad("bad_frame", format!("`{kind}` frame has no `{path}`")))
    };
    let fields = if rule.fields.is_empty() {
        std::borrow::Cow::Borrowed(&profile.fields)
    } else {
        std::borrow::Cow::Owned(rule.fields.apply(&profile.fields))
    };
    Ok(match rule.action {
        FrameAction::Notification => {
            let n = to_notification(&fields, account, at(&rule.path)?)?;
            (Inbound::Notifications(vec![n]), Vec::new())
        }
        FrameAction::Notifications => {
            let items = at(&rule.path)?
                .as_array()
                .ok_or_else(|| bad("bad_frame", format!("`{}` is not a list", rule.path)))?;
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
            let message = lookup(&value, &rule.path).map(to_text).unwrap_or_default();
            (Inbound::ServerError(message), Vec::new())
        }
        FrameAction::Ignore => (Inbound::Ignored, Vec::new()),
    })
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
/// is an error (an id-less item could never be de-duplicated or marked read).
pub fn to_notification(
    fields: &FieldsSection,
    account: &str,
    item: &Value,
) -> Result<Notification, FrameError> {
    if !item.is_object() {
        return Err(bad(
            "bad_notification",
            "notification is not a JSON object; skipped",
        ));
    }
    let field = |spec: &str| -> Result<Option<String>, FrameError> {
        if spec.is_empty() {
            return Ok(None);
        }
        if is_template(spec) {
            let text =
                template::render(spec, item).map_err(|e| bad("bad_notification", e.to_string()))?;
            return Ok(Some(text).filter(|t| !t.is_empty()));
        }
        Ok(lookup(item, spec).map(to_text).filter(|t| !t.is_empty()))
    };
    let id = if fields.id.is_empty() {
        Some(stable_id(item))
    } else {
        field(&fields.id)?
    };
    let id = match id {
        Some(id) if id.len() <= 200 => id,
        Some(_) => {
            return Err(bad(
                "bad_notification",
                "notification id is longer than 200 bytes",
            ))
        }
        None => {
            return Err(bad(
                "bad_notification",
                format!("notification has no `{}`", fields.id),
            ))
        }
    };
    let kind = clip(field(&fields.kind)?.unwrap_or_else(|| "notification".into()));
    let title = clip(field(&fields.title)?.unwrap_or_else(|| kind.clone()));
    let body = clip(field(&fields.body)?.unwrap_or_default());
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
            assert_eq!(err.code, code, "{text}: {err}");
        }
        let big = format!("{{\"id\": 1, \"titulo\": \"{}\"}}", "x".repeat(2 << 20));
        assert_eq!(
            parse_frame(&p, "a", &big).unwrap_err().code,
            "frame_too_large"
        );
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
