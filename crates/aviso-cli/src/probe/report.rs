//! What a probe saw: each frame's outcomes counted, what looks wrong in it (warnings), and
//! per type what a better profile needs to know (for `--suggest`). Pure: no I/O.

use std::collections::{BTreeSet, HashMap};

use aviso_engine::frame::{payload, Became, Tapped};
use aviso_engine::profile::{FieldsSection, FrameAction, Profile};
use aviso_engine::readable;
use aviso_engine::template::{is_template, lookup, placeholders, render_complete};
use serde::Serialize;
use serde_json::Value;

use super::reading::{read, Reading, Taken};

/// At most this many fields in a suggested body: as many as the engine's own summary of a
/// payload shows (`readable::summary`), so the suggestion reads no longer than the fallback.
const MAX_FIELDS: usize = 8;

/// The outcomes in the order the summary lists them (the engine's names for them).
pub const OUTCOMES: &[&str] = &[
    "notification",
    "twin",
    "stream",
    "control",
    "read_ack",
    "pong",
    "server_error",
    "ignored",
    "error",
];

/// The name of an outcome (as `--json` writes it in `became[].as`).
pub fn outcome(b: &Became) -> &'static str {
    match b {
        Became::Notification { .. } => "notification",
        Became::Twin { .. } => "twin",
        Became::Stream { .. } => "stream",
        Became::Control { .. } => "control",
        Became::ReadAck { .. } => "read_ack",
        Became::Pong => "pong",
        Became::ServerError { .. } => "server_error",
        Became::Ignored => "ignored",
        Became::Error { .. } => "error",
    }
}

/// A notification's title or body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Title,
    Body,
}

/// Something in a frame a person would want changed in the profile. Equal warnings are
/// counted together in the summary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Warning {
    /// The template (or path) for this part could not be filled: the engine showed its
    /// readable fallback (the kind in words, the payload's plain fields). `missing`: the
    /// placeholders without a value in this frame (empty: all had one, but the filled text
    /// has no letters or digits).
    FellBack {
        kind: String,
        part: Part,
        template: String,
        missing: Vec<String>,
    },
    /// The text shown starts with `{` or `[`: JSON, not words.
    JsonDump { kind: String, part: Part },
    /// No rule of the profile names this type: `[frames.other]` took it (`other`) or it was
    /// ignored.
    NoRule { kind: String, other: bool },
    /// The same kind, title and body came on two connections under different ids: an id
    /// that changes on every reconnect shows the same event again each time.
    IdChanges { kind: String },
}

/// What the frames of one type showed, for a suggested rule.
#[derive(Debug, Clone)]
pub struct KindSeen {
    /// How its last frame was taken.
    pub taken: Taken,
    /// Its title fell back in some frame: the templates, and every placeholder missing.
    pub title_fell_back: Option<(String, BTreeSet<String>)>,
    /// Ignored with an object payload in some frame (worth a rule).
    pub object_payload: bool,
    /// The plain fields of its payload present in every frame of it that was read, as
    /// (key, path the fields read); `None` before the first.
    pub fields: Option<Vec<(String, String)>>,
}

#[derive(Debug, Default)]
pub struct Report {
    pub frames: u64,
    counts: HashMap<&'static str, u64>,
    /// In the order first seen.
    warnings: Vec<(Warning, u64)>,
    /// (kind, title, body) → the (connection, id) pairs it came with.
    seen: HashMap<(String, String, String), Vec<(u64, String)>>,
    /// By the type that picks the rule, sorted (the suggestion's order).
    pub kinds: std::collections::BTreeMap<String, KindSeen>,
}

impl Report {
    /// Counts one frame (`connection`: which connection of its socket brought it) and
    /// returns its warnings.
    pub fn observe(&mut self, profile: &Profile, tapped: &Tapped, connection: u64) -> Vec<Warning> {
        self.frames += 1;
        for b in &tapped.became {
            *self.counts.entry(outcome(b)).or_default() += 1;
        }
        let reading = read(profile, &tapped.frame);
        let mut warnings = Vec::new();
        let mut push = |w: Warning| {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        };
        let shown: Vec<(&String, &String, &String, &String)> = tapped
            .became
            .iter()
            .filter_map(|b| match b {
                Became::Notification {
                    id,
                    kind,
                    title,
                    body,
                } => Some((id, kind, title, body)),
                _ => None,
            })
            .collect();
        let ignored = tapped.became.iter().any(|b| matches!(b, Became::Ignored));
        if let Some(r) = &reading {
            if let Some(kind) = &r.kind {
                match r.taken {
                    Taken::Other(_) => push(Warning::NoRule {
                        kind: kind.clone(),
                        other: true,
                    }),
                    Taken::Nothing => push(Warning::NoRule {
                        kind: kind.clone(),
                        other: false,
                    }),
                    _ => {}
                }
            }
        }
        let mut title_fell_back = None;
        if let (Some(r), false) = (&reading, shown.is_empty()) {
            let kind = r.kind.clone().unwrap_or_else(|| shown[0].1.clone());
            for item in &r.items {
                for (part, spec) in [(Part::Title, &r.fields.title), (Part::Body, &r.fields.body)] {
                    let Some(missing) = unfilled(spec, item) else {
                        continue;
                    };
                    if part == Part::Title {
                        let fell: &mut (String, BTreeSet<String>) =
                            title_fell_back.get_or_insert_with(|| (spec.clone(), BTreeSet::new()));
                        fell.1.extend(missing.iter().cloned());
                    }
                    push(Warning::FellBack {
                        kind: kind.clone(),
                        part,
                        template: spec.clone(),
                        missing,
                    });
                }
            }
        }
        for (id, kind, title, body) in &shown {
            let kind = reading
                .as_ref()
                .and_then(|r| r.kind.clone())
                .unwrap_or_else(|| kind.to_string());
            for (part, text) in [(Part::Title, title), (Part::Body, body)] {
                if text.trim_start().starts_with(['{', '[']) {
                    push(Warning::JsonDump {
                        kind: kind.clone(),
                        part,
                    });
                }
            }
            let key = (kind.clone(), title.to_string(), body.to_string());
            let before = self.seen.entry(key).or_default();
            if before.iter().any(|(c, i)| *c != connection && i != *id) {
                push(Warning::IdChanges { kind });
            }
            before.push((connection, id.to_string()));
        }
        if let Some(r) = reading {
            if !shown.is_empty() || ignored {
                self.remember(r, title_fell_back);
            }
        }
        for w in &warnings {
            match self.warnings.iter_mut().find(|(seen, _)| seen == w) {
                Some((_, n)) => *n += 1,
                None => self.warnings.push((w.clone(), 1)),
            }
        }
        warnings
    }

    /// What a suggested rule for this frame's type needs.
    fn remember(&mut self, r: Reading, title_fell_back: Option<(String, BTreeSet<String>)>) {
        let Some(kind) = r.kind else { return };
        let fields: Vec<Vec<(String, String)>> = r
            .items
            .iter()
            .map(|item| plain_fields(&r.fields, item))
            .collect();
        let object_payload = matches!(r.taken, Taken::Nothing)
            && r.items.iter().any(|i| payload(&r.fields, i).is_object());
        let seen = self.kinds.entry(kind).or_insert_with(|| KindSeen {
            taken: r.taken.clone(),
            title_fell_back: None,
            object_payload: false,
            fields: None,
        });
        seen.taken = r.taken;
        seen.object_payload |= object_payload;
        if let Some((template, missing)) = title_fell_back {
            seen.title_fell_back
                .get_or_insert_with(|| (template, BTreeSet::new()))
                .1
                .extend(missing);
        }
        for these in fields {
            seen.fields = Some(match seen.fields.take() {
                None => these,
                Some(common) => common.into_iter().filter(|f| these.contains(f)).collect(),
            });
        }
    }

    /// How many frames became each outcome, in [`OUTCOMES`] order, the ones seen only.
    pub fn counts(&self) -> Vec<(&'static str, u64)> {
        OUTCOMES
            .iter()
            .filter_map(|o| self.counts.get(o).map(|n| (*o, *n)))
            .collect()
    }

    /// Each distinct warning once, with how many frames had it.
    pub fn warnings(&self) -> &[(Warning, u64)] {
        &self.warnings
    }
}

/// `None` when `spec` gives the text for people (or there is none to give: an empty spec
/// is no template); else the placeholders that had no value in `item` (empty: all had
/// one, and the text has no words), as the engine decides to fall back.
fn unfilled(spec: &str, item: &Value) -> Option<Vec<String>> {
    if spec.is_empty() {
        return None;
    }
    let has_value = |path: &str| lookup(item, path).is_some_and(|v| !readable::text(v).is_empty());
    if !is_template(spec) {
        let words = lookup(item, spec).is_some_and(|v| readable::has_words(&readable::text(v)));
        return match (words, has_value(spec)) {
            (true, _) => None,
            (false, true) => Some(Vec::new()),
            (false, false) => Some(vec![spec.to_string()]),
        };
    }
    // A template that does not parse was refused when the profile loaded.
    let missing: Vec<String> = placeholders(spec)
        .unwrap_or_default()
        .into_iter()
        .filter(|(path, fallback)| !fallback && !has_value(path))
        .map(|(path, _)| path)
        .collect();
    if !missing.is_empty() {
        return Some(missing);
    }
    let text = render_complete(spec, item, readable::text).ok().flatten();
    match text {
        Some(t) if readable::has_words(&t) => None,
        _ => Some(Vec::new()),
    }
}

/// The plain fields (strings, numbers, booleans) of an item's payload as (key, path the
/// `[fields]` read): its own first, then those of the objects in it, one level down (the
/// order of the engine's `readable::summary`). Keys a path cannot name are left out.
pub fn plain_fields(fields: &FieldsSection, item: &Value) -> Vec<(String, String)> {
    let Value::Object(map) = payload(fields, item) else {
        return Vec::new();
    };
    let prefix = if fields.data.is_empty() || fields.data == "." {
        String::new()
    } else {
        format!("{}.", fields.data)
    };
    let plain = |v: &Value| match v {
        Value::String(s) => !s.trim().is_empty(),
        Value::Number(_) | Value::Bool(_) => true,
        _ => false,
    };
    let nameable = |k: &str| !k.is_empty() && k.trim() == k && !k.contains(['.', '{', '}', '|']);
    let mut out = Vec::new();
    for (k, v) in map {
        if plain(v) && nameable(k) {
            out.push((k.clone(), format!("{prefix}{k}")));
        }
    }
    for (outer, v) in map {
        let Value::Object(inner) = v else { continue };
        if !nameable(outer) {
            continue;
        }
        for (k, v) in inner {
            if plain(v) && nameable(k) {
                out.push((k.clone(), format!("{prefix}{outer}.{k}")));
            }
        }
    }
    out.truncate(MAX_FIELDS);
    out
}

/// Whether a rule's frames become notifications (and so read `fields`).
pub fn makes_notifications(action: FrameAction) -> bool {
    matches!(
        action,
        FrameAction::Notification | FrameAction::Notifications
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tapped(frame: &str, became: Vec<Became>) -> Tapped {
        Tapped {
            account: "a".into(),
            channel: None,
            frame: frame.into(),
            became,
            connection: 1,
        }
    }

    fn note(id: &str, kind: &str, title: &str, body: &str) -> Became {
        Became::Notification {
            id: id.into(),
            kind: kind.into(),
            title: title.into(),
            body: body.into(),
        }
    }

    #[test]
    fn a_template_missing_its_fields_is_named() {
        let p = Profile::load("furniture").unwrap();
        let frame = r#"{"type":"furniture_created","data":{"nombre":"Silla"}}"#;
        let mut report = Report::default();
        let w = report.observe(
            &p,
            &tapped(
                frame,
                vec![note("h1", "furniture_created", "Furniture created", "")],
            ),
            1,
        );
        assert_eq!(
            w,
            vec![Warning::FellBack {
                kind: "furniture_created".into(),
                part: Part::Title,
                template: p.frames.types["furniture_created"]
                    .fields
                    .title
                    .clone()
                    .unwrap(),
                missing: vec![
                    "data.material".into(),
                    "data.ancho".into(),
                    "data.altura".into()
                ],
            }]
        );
        let seen = &report.kinds["furniture_created"];
        assert!(seen.title_fell_back.is_some());
        assert_eq!(
            seen.fields.as_deref(),
            Some(&[("nombre".to_string(), "data.nombre".to_string())][..])
        );
    }

    #[test]
    fn json_titles_rules_and_changing_ids_are_warned_once_each() {
        let p = Profile::load("socketio-gateway").unwrap();
        let frame = r#"{"event":"nueva_solicitud","data":{"clienteId":123}}"#;
        let mut report = Report::default();
        let shown = note("h1", "nueva_solicitud", "Nueva solicitud", "clienteId: 123");
        let w = report.observe(&p, &tapped(frame, vec![shown.clone()]), 1);
        assert_eq!(
            w,
            vec![Warning::NoRule {
                kind: "nueva_solicitud".into(),
                other: true
            }]
        );
        // The same id on another connection: the same event (the store keeps one).
        let w = report.observe(&p, &tapped(frame, vec![shown]), 2);
        assert!(!w.iter().any(|w| matches!(w, Warning::IdChanges { .. })));
        let again = note("h2", "nueva_solicitud", "Nueva solicitud", "clienteId: 123");
        let w = report.observe(&p, &tapped(frame, vec![again]), 3);
        assert!(w.contains(&Warning::IdChanges {
            kind: "nueva_solicitud".into()
        }));
        let dump = note("h3", "x", "{\"a\":1}", "[1]");
        let w = report.observe(&p, &tapped(r#"{"event":"x","data":{}}"#, vec![dump]), 1);
        assert!(w.contains(&Warning::JsonDump {
            kind: "x".into(),
            part: Part::Title
        }));
        assert!(w.contains(&Warning::JsonDump {
            kind: "x".into(),
            part: Part::Body
        }));
        let no_rule = report
            .warnings()
            .iter()
            .find(|(w, _)| matches!(w, Warning::NoRule { kind, .. } if kind == "nueva_solicitud"))
            .unwrap();
        assert_eq!(no_rule.1, 3);
        assert_eq!(report.counts(), vec![("notification", 4)]);
    }

    #[test]
    fn plain_fields_are_paths_the_fields_read() {
        let p = Profile::load("socketio-gateway").unwrap();
        let item =
            json!({"event": "x", "data": {"reserva": {"id": 1, "tags": [1]}, "n": "a", "e": ""}});
        assert_eq!(
            plain_fields(&p.fields, &item),
            vec![
                ("n".to_string(), "data.n".to_string()),
                ("id".to_string(), "data.reserva.id".to_string())
            ]
        );
    }
}
