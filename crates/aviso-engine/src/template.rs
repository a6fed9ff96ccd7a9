//! A small template language: `{path}` placeholders filled from JSON values and parameters.
//!
//! `{datos.total}` looks a dotted path up in the event (array items by index: `{items.0}`),
//! `{path|fallback}` gives a fallback text when the value is missing or empty, and `{{`/`}}`
//! are literal braces. Profiles use it for URLs, titles and bodies so that a user's own
//! backend needs a profile file and no code.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template `{template}`: {message}")]
pub struct TemplateError {
    pub template: String,
    pub message: String,
}

/// True when `s` contains a placeholder (so it is a template, not a plain path).
pub fn is_template(s: &str) -> bool {
    s.contains('{')
}

/// Looks a dotted path up in a JSON value; "" is the value itself.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    let mut current = value;
    for part in path.split('.') {
        current = match current {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// [`lookup`], for taking the value out.
pub fn lookup_mut<'a>(value: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    if path.is_empty() {
        return Some(value);
    }
    let mut current = value;
    for part in path.split('.') {
        current = match current {
            Value::Object(map) => map.get_mut(part)?,
            Value::Array(items) => items.get_mut(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// A JSON scalar as text (strings unquoted); objects and arrays as compact JSON; null as "".
pub fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Renders `template`, resolving each placeholder with `resolve` (None = missing).
pub fn render_with(
    template: &str,
    mut resolve: impl FnMut(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    render_with_fallbacks(template, |path, _| resolve(path))
}

/// [`render_with`], also telling the resolver each placeholder's fallback.
fn render_with_fallbacks(
    template: &str,
    mut resolve: impl FnMut(&str, Option<&str>) -> Option<String>,
) -> Result<String, TemplateError> {
    let err = |message: &str| TemplateError {
        template: template.into(),
        message: message.into(),
    };
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(pos) = rest.find(['{', '}']) {
        out.push_str(&rest[..pos]);
        let brace = rest.as_bytes()[pos];
        let after = &rest[pos + 1..];
        if after.as_bytes().first() == Some(&brace) {
            out.push(brace as char);
            rest = &after[1..];
            continue;
        }
        if brace == b'}' {
            return Err(err("unmatched `}` (write `}}` for a literal brace)"));
        }
        let end = after.find('}').ok_or_else(|| err("unclosed `{`"))?;
        let inner = &after[..end];
        let (path, fallback) = match inner.split_once('|') {
            Some((p, f)) => (p.trim(), Some(f)),
            None => (inner.trim(), None),
        };
        if path.is_empty() || path.contains('{') {
            return Err(err("empty or nested placeholder"));
        }
        match resolve(path, fallback).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(&v),
            None => out.push_str(fallback.unwrap_or("")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The placeholders of `template`: (path, whether it has a `|fallback`).
pub fn placeholders(template: &str) -> Result<Vec<(String, bool)>, TemplateError> {
    let mut found = Vec::new();
    render_with_fallbacks(template, |path, fallback| {
        found.push((path.to_string(), fallback.is_some()));
        None
    })?;
    Ok(found)
}

/// Renders `template` for people: each value through `text`, and `None` when a placeholder
/// without a `|fallback` has no value, so the caller can fall back to something readable
/// instead of a half-filled line ("Nueva reserva #", "  · estado:").
pub fn render_complete(
    template: &str,
    value: &Value,
    text: impl Fn(&Value) -> String,
) -> Result<Option<String>, TemplateError> {
    let mut complete = true;
    let out = render_with_fallbacks(template, |path, fallback| {
        let found = lookup(value, path).map(&text).filter(|t| !t.is_empty());
        if found.is_none() && fallback.is_none() {
            complete = false;
        }
        found
    })?;
    Ok(complete.then_some(out))
}

/// Sets a dotted path in a JSON object, making the objects on the way; false when a value
/// on the way is not an object.
pub fn set_path(value: &mut Value, path: &str, new: Value) -> bool {
    let mut current = value;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Value::Object(map) = current else {
            return false;
        };
        if parts.peek().is_none() {
            map.insert(part.to_string(), new);
            return true;
        }
        current = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    false
}

/// Renders `template` against a JSON value.
pub fn render(template: &str, value: &Value) -> Result<String, TemplateError> {
    render_with(template, |path| lookup(value, path).map(to_text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_paths_fallbacks_and_braces() {
        let v = json!({"datos": {"total": "350.00", "items": [{"n": "Mesa"}]}, "id": 7});
        assert_eq!(render("#{id}: ${datos.total}", &v).unwrap(), "#7: $350.00");
        assert_eq!(render("{datos.items.0.n}", &v).unwrap(), "Mesa");
        assert_eq!(render("{missing|sin dato}", &v).unwrap(), "sin dato");
        assert_eq!(render("{missing}", &v).unwrap(), "");
        assert_eq!(render("{{literal}}", &v).unwrap(), "{literal}");
    }

    #[test]
    fn complete_rendering_says_when_a_placeholder_is_missing() {
        let v = json!({"a": 1, "o": {"x": 2}});
        let text = |v: &Value| to_text(v);
        assert_eq!(
            render_complete("#{a}", &v, text).unwrap().as_deref(),
            Some("#1")
        );
        assert_eq!(render_complete("#{b}", &v, text).unwrap(), None);
        assert_eq!(
            render_complete("{a} {b|sin b}", &v, text)
                .unwrap()
                .as_deref(),
            Some("1 sin b")
        );
        let mut w = json!({"o": {}});
        assert!(set_path(&mut w, "o.x.y", json!(3)));
        assert_eq!(w, json!({"o": {"x": {"y": 3}}}));
        assert!(!set_path(&mut json!({"o": 1}), "o.x", json!(3)));
    }

    #[test]
    fn placeholders_are_listed_with_their_fallbacks() {
        assert_eq!(
            placeholders("{ws_origin}/ws/{channel}/{consumidor_id}/?x={y|1}").unwrap(),
            vec![
                ("ws_origin".to_string(), false),
                ("channel".to_string(), false),
                ("consumidor_id".to_string(), false),
                ("y".to_string(), true),
            ]
        );
        assert!(placeholders("{{\"type\":\"ping\"}}").unwrap().is_empty());
    }

    #[test]
    fn malformed_templates_are_errors() {
        let v = json!({});
        assert!(render("{open", &v).is_err());
        assert!(render("close}", &v).is_err());
        assert!(render("{}", &v).is_err());
    }

    /// Found by `cargo fuzz` (template target, crash-3d17836f): serde_json's fast float
    /// parsing read `4660158E-154` one ulp off, and the title showed
    /// `4.6601579999999996e-148`. Numbers are now parsed exactly (`float_roundtrip`), so a
    /// price renders as the server sent it.
    #[test]
    fn numbers_render_as_sent() {
        let v: Value =
            serde_json::from_str(r#"[4660158E-154, 350.1, 0.3, 1300.55, 1e21]"#).unwrap();
        assert_eq!(render("{0}", &v).unwrap(), "4.660158e-148");
        assert_eq!(
            render("{1} {2} {3} {4}", &v).unwrap(),
            "350.1 0.3 1300.55 1e+21"
        );
        let crash = "=\u{0}\u{0}\u{0};\u{0}\u{0}{0}{0}!\u{11}\u{2}\u{0}";
        let out = render(crash, &v).unwrap();
        assert_eq!(out.matches("4.660158e-148").count(), 2, "{out:?}");
    }
}
