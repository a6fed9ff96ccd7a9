//! How a profile reads one frame, as the engine's `frame::parse_frame` does: the frame's type
//! (the wrapped one where an envelope is taken off), the rule that takes it, and the objects
//! its notifications are built from, as the `[fields]` read them. The engine's tap says what a
//! frame became; the probe needs this to say why (which template, which rule).

use aviso_engine::frame::{pick, without_envelope, Rule};
use aviso_engine::profile::{FieldsSection, FrameAction, FrameRule, Profile};
use aviso_engine::template::lookup;
use serde_json::Value;

/// Which rule of the profile took a frame.
#[derive(Debug, Clone)]
pub enum Taken {
    /// `[frames.types."KIND"]`.
    Own(FrameRule),
    /// `[frames.other]`: the type has no rule of its own.
    Other(FrameRule),
    /// A greeting or acknowledgement (`[frames] control`), without a rule of its own.
    Control,
    /// No rule: ignored.
    Nothing,
    /// `[frames] type_field` is empty: every frame is one notification.
    Untyped,
}

/// One frame as the profile reads it.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The type that picks the rule (`None` when the profile has no `type_field`).
    pub kind: Option<String>,
    pub taken: Taken,
    /// The `[fields]` in force for it: the profile's, with its rule's `fields` applied.
    pub fields: FieldsSection,
    /// The objects its notifications come from, as the fields read them. For a frame no
    /// rule took: the frame itself (what a rule with `path = ""` would read).
    pub items: Vec<Value>,
}

/// `None` for a frame that is not JSON or has no type (the engine's `bad_frame`).
pub fn read(profile: &Profile, frame: &str) -> Option<Reading> {
    let value: Value = serde_json::from_str(frame).ok()?;
    let frames = &profile.frames;
    if frames.type_field.is_empty() {
        let item = lookup(&value, &frames.path)?;
        return Some(Reading {
            kind: None,
            taken: Taken::Untyped,
            fields: profile.fields.clone(),
            items: objects(&profile.fields, std::slice::from_ref(item)),
        });
    }
    let own = lookup(&value, &frames.type_field)?.as_str()?.to_string();
    // The engine's own reading: the envelope taken off, the rule that takes it.
    let picked = pick(profile, &value, own);
    let (kind, value) = (picked.kind, picked.value.into_owned());
    let taken = match picked.rule {
        Rule::Own(rule) => Taken::Own(rule.clone()),
        Rule::Other(rule) => Taken::Other(rule.clone()),
        Rule::Control => Taken::Control,
        Rule::Nothing => Taken::Nothing,
    };
    let (fields, items) = match &taken {
        Taken::Own(rule) | Taken::Other(rule) => {
            let fields = rule.fields.apply(&profile.fields);
            let at = lookup(&value, &rule.path);
            let items = match (rule.action, at) {
                (FrameAction::Notification, Some(item)) => {
                    objects(&fields, std::slice::from_ref(item))
                }
                (FrameAction::Notifications, Some(Value::Array(items))) => objects(&fields, items),
                _ => Vec::new(),
            };
            (fields, items)
        }
        Taken::Nothing => (profile.fields.clone(), vec![value]),
        Taken::Control | Taken::Untyped => (profile.fields.clone(), Vec::new()),
    };
    Some(Reading {
        kind: Some(kind),
        taken,
        fields,
        items,
    })
}

/// The objects among `items`, as the fields read them (a non-object is the engine's
/// `bad_notification`).
fn objects(fields: &FieldsSection, items: &[Value]) -> Vec<Value> {
    items
        .iter()
        .filter(|i| i.is_object())
        .map(|i| without_envelope(fields, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway() -> Profile {
        Profile::load("socketio-gateway").unwrap()
    }

    #[test]
    fn a_wrapped_event_is_read_as_what_it_wraps() {
        let frame = r#"{"event":"business_event","data":{"type":"reserva:creada","data":{"reserva":{"id":1}},"timestamp":"2024-11-15T14:30:00Z"}}"#;
        let r = read(&gateway(), frame).unwrap();
        assert_eq!(r.kind.as_deref(), Some("reserva:creada"));
        assert!(matches!(r.taken, Taken::Own(_)));
        assert_eq!(r.items.len(), 1);
        assert_eq!(
            lookup(&r.items[0], "data.reserva.id"),
            Some(&Value::from(1))
        );
        assert_eq!(r.fields.title, "Nueva reserva #{data.reserva.id}");
    }

    #[test]
    fn rules_of_their_own_other_control_and_nothing() {
        let role = r#"{"event":"nueva_solicitud","data":{"servicioId":1}}"#;
        assert!(matches!(
            read(&gateway(), role).unwrap().taken,
            Taken::Other(_)
        ));
        let hello = r#"{"event":"connected","data":{"socketId":"x"}}"#;
        assert!(matches!(
            read(&gateway(), hello).unwrap().taken,
            Taken::Control
        ));
        let furniture = Profile::load("furniture").unwrap();
        let stock = r#"{"type":"stock_bajo","data":{"sku":"A1"}}"#;
        let r = read(&furniture, stock).unwrap();
        assert!(matches!(r.taken, Taken::Nothing));
        assert_eq!(r.items.len(), 1, "the frame, as a rule would read it");
        assert!(read(&furniture, "not json").is_none());
        let smartsales = Profile::load("smartsales").unwrap();
        let r = read(&smartsales, r#"{"id":1,"titulo":"x"}"#).unwrap();
        assert!(matches!(r.taken, Taken::Untyped));
        assert_eq!(r.kind, None);
    }
}
