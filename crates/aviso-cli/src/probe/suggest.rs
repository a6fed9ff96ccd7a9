//! `probe --suggest`: a profile (TOML) that maps what the probe saw better than the one it ran
//! with, starting from it: a rule of their own for the types that had none (taken by
//! `[frames.other]`, or ignored while carrying an object), and for those and every type whose
//! title fell back, a title and body built from the plain fields its frames actually had.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use aviso_engine::profile::{FieldsOverride, FrameAction, FrameRule, Profile};
use aviso_engine::readable;

use super::reading::Taken;
use super::report::{makes_notifications, KindSeen, Report};
use crate::i18n::Text;

/// Keys that name what a payload is about, best first: the title's placeholder is the
/// first of these the frames had, else an identifier, else their first plain field.
const TITLE_KEYS: &[&str] = &[
    "titulo",
    "title",
    "nombre",
    "name",
    "asunto",
    "subject",
    "mensaje",
    "message",
    "descripcion",
    "description",
];

/// Why a type gets a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Its title template could not be filled: the template, the placeholders missing.
    TitleFellBack {
        template: String,
        missing: Vec<String>,
    },
    /// `[frames.other]` took it.
    Other,
    /// No rule took it.
    Ignored,
}

/// The suggested profile's TOML. `used`: the preset name or file the probe ran with;
/// `account` and `frames`: for the header.
pub fn suggest(used: &str, report: &Report, account: &str, text: Text) -> Result<String> {
    let rules: Vec<(String, Why, FrameRule)> = report
        .kinds
        .iter()
        .filter_map(|(kind, seen)| {
            rule_for(kind, seen).map(|(why, rule)| (kind.clone(), why, rule))
        })
        .collect();
    let mut out = String::new();
    for line in text.suggest_header(account, report.frames).lines() {
        writeln!(out, "# {line}")?;
    }
    match Profile::preset_source(used) {
        Some(_) => writeln!(out, "extends = {}", quoted(used))?,
        None => {
            // `extends` names presets only: a file is copied, with the rules it gets here
            // left out of the copy (they are written below, whole).
            writeln!(out, "# {}", text.suggest_from_file(used))?;
            let source =
                std::fs::read_to_string(used).with_context(|| text.file_does_not_exist(used))?;
            let mut table: toml::Table = source.parse().with_context(|| text.not_toml(used))?;
            if let Some(types) = table
                .get_mut("frames")
                .and_then(|f| f.get_mut("types"))
                .and_then(toml::Value::as_table_mut)
            {
                for (kind, _, _) in &rules {
                    types.remove(kind);
                }
            }
            out.push_str(&toml::to_string(&table).context(text.cannot_print_profile())?);
        }
    }
    if rules.is_empty() {
        writeln!(out, "\n# {}", text.suggest_nothing())?;
    }
    for (kind, why, rule) in &rules {
        writeln!(out)?;
        writeln!(out, "# {}", text.suggest_why(kind, why))?;
        write_rule(&mut out, kind, rule)?;
    }
    // What is printed must load: a suggestion that does not is this code's bug.
    Profile::parse("suggested", &out)
        .map_err(anyhow::Error::from)
        .with_context(|| text.bad_suggestion())?;
    Ok(out)
}

/// The rule a type should have, and why; `None` when its frames mapped well.
fn rule_for(kind: &str, seen: &KindSeen) -> Option<(Why, FrameRule)> {
    let (why, mut rule) = match &seen.taken {
        Taken::Own(rule) if makes_notifications(rule.action) => {
            let (template, missing) = seen.title_fell_back.clone()?;
            let why = Why::TitleFellBack {
                template,
                missing: missing.into_iter().collect(),
            };
            (why, rule.clone())
        }
        Taken::Other(rule) if makes_notifications(rule.action) => (Why::Other, rule.clone()),
        Taken::Nothing if seen.object_payload => {
            let rule = FrameRule {
                action: FrameAction::Notification,
                path: String::new(),
                channel: String::new(),
                fields: FieldsOverride::default(),
            };
            (Why::Ignored, rule)
        }
        _ => return None,
    };
    let fields = seen.fields.clone().unwrap_or_default();
    let (title, body) = texts(kind, &fields);
    rule.fields.title = Some(title);
    rule.fields.body = Some(body);
    Some((why, rule))
}

/// A title and body for a type from the plain fields all its frames had: "Stock bajo:
/// {data.sku}" and "sku: {data.sku} · cantidad: {data.cantidad}". A constant title would be
/// read as a path, so the title carries one field; without fields both are empty (the kind in
/// words and the payload's plain fields, as the engine shows them).
fn texts(kind: &str, fields: &[(String, String)]) -> (String, String) {
    let Some(key) = title_field(fields) else {
        return (String::new(), String::new());
    };
    let title = format!("{}: {{{key}}}", escape(&readable::humanize(kind)));
    let body = fields
        .iter()
        .map(|(k, path)| format!("{}: {{{path}}}", escape(k)))
        .collect::<Vec<_>>()
        .join(" · ");
    (title, body)
}

fn title_field(fields: &[(String, String)]) -> Option<&str> {
    let path_of = |wanted: &dyn Fn(&str) -> bool| {
        fields
            .iter()
            .find(|(k, _)| wanted(k))
            .map(|(_, path)| path.as_str())
    };
    let is_id = |k: &str| {
        k.eq_ignore_ascii_case("id")
            || k.ends_with("_id")
            || k.ends_with("Id")
            || ["sku", "codigo", "code"].contains(&k.to_lowercase().as_str())
    };
    TITLE_KEYS
        .iter()
        .find_map(|name| path_of(&|k| k.eq_ignore_ascii_case(name)))
        .or_else(|| path_of(&is_id))
        .or_else(|| fields.first().map(|(_, path)| path.as_str()))
}

/// Text as a template's literal part (`{` and `}` doubled).
fn escape(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

/// A TOML string (quoted and escaped), also as a key.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn write_rule(out: &mut String, kind: &str, rule: &FrameRule) -> Result<()> {
    writeln!(out, "[frames.types.{}]", quoted(kind))?;
    writeln!(out, "action = {}", toml::Value::try_from(rule.action)?)?;
    if !rule.path.is_empty() {
        writeln!(out, "path = {}", quoted(&rule.path))?;
    }
    if !rule.channel.is_empty() {
        writeln!(out, "channel = {}", quoted(&rule.channel))?;
    }
    let f = &rule.fields;
    let given: Vec<String> = [
        ("id", &f.id),
        ("kind", &f.kind),
        ("title", &f.title),
        ("body", &f.body),
        ("url", &f.url),
        ("created_at", &f.created_at),
        ("read", &f.read),
        ("data", &f.data),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key} = {}", quoted(v))))
    .collect();
    if !given.is_empty() {
        writeln!(out, "fields = {{ {} }}", given.join(", "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_carry_a_field_and_bodies_every_field() {
        let fields = vec![
            ("cantidad".to_string(), "data.cantidad".to_string()),
            ("sku".to_string(), "data.sku".to_string()),
        ];
        assert_eq!(
            texts("stock_bajo", &fields),
            (
                "Stock bajo: {data.sku}".to_string(),
                "cantidad: {data.cantidad} · sku: {data.sku}".to_string()
            )
        );
        assert_eq!(texts("x", &[]), (String::new(), String::new()));
        let furniture = [
            (
                "autor_username".to_string(),
                "data.autor_username".to_string(),
            ),
            ("descripcion".to_string(), "data.descripcion".to_string()),
            ("nombre".to_string(), "data.nombre".to_string()),
        ];
        assert_eq!(title_field(&furniture), Some("data.nombre"), "a name first");
        assert_eq!(escape("a{b}"), "a{{b}}");
        assert_eq!(quoted("reserva:creada"), "\"reserva:creada\"");
    }
}
