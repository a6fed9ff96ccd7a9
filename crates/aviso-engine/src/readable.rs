//! Text for people from values made for programs: an event name in words, a payload as
//! its plain fields. Used where a profile's template cannot be filled, so nobody reads raw
//! JSON, "#?" or a line of empty separators.

use serde_json::Value;

/// At most this many `key: value` parts in a summary.
const MAX_PARTS: usize = 8;
/// A value longer than this is cut (with `…`).
const MAX_VALUE_CHARS: usize = 120;

/// An event name in words: `nueva_solicitud` → "Nueva solicitud", `reserva:creada` →
/// "Reserva creada", `furnitureCreated` → "Furniture created".
pub fn humanize(kind: &str) -> String {
    let mut words = String::with_capacity(kind.len() + 4);
    let mut prev_lower = false;
    for c in kind.chars() {
        if matches!(c, '_' | ':' | '-' | '.' | '/' | ' ') {
            if !words.ends_with(' ') && !words.is_empty() {
                words.push(' ');
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        words.extend(c.to_lowercase());
    }
    let words = words.trim();
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A value as text for people: scalars as written, an object as its [`summary`], a list
/// of scalars joined with commas, anything else empty.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(_) => summary(value),
        Value::Array(items) => items
            .iter()
            .filter(|v| !v.is_object() && !v.is_array())
            .map(text)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// An object's plain fields, `key: value` joined by ` · ` ("clienteId: 123 · servicioId:
/// 1", in serde_json's key order); the plain fields of objects inside it follow (one level down, under their own
/// keys). Lists and deeper objects are left out.
pub fn summary(value: &Value) -> String {
    let Value::Object(map) = value else {
        return scalar(value).unwrap_or_default();
    };
    let mut parts: Vec<String> = Vec::new();
    let mut push = |key: &str, v: &Value| {
        if parts.len() < MAX_PARTS {
            if let Some(t) = scalar(v) {
                parts.push(format!("{key}: {t}"));
            }
        }
    };
    for (k, v) in map {
        push(k, v);
    }
    for v in map.values() {
        if let Value::Object(inner) = v {
            for (k, v) in inner {
                push(k, v);
            }
        }
    }
    parts.join(" · ")
}

fn scalar(value: &Value) -> Option<String> {
    let t = match value {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    Some(match t.char_indices().nth(MAX_VALUE_CHARS) {
        Some((cut, _)) => format!("{}…", &t[..cut]),
        None => t,
    })
}

/// True when a rendered line says something: it has a letter or a digit (not only
/// separators and placeholders' leftovers like "#?" or " · ").
pub fn has_words(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_read_as_words() {
        assert_eq!(humanize("nueva_solicitud"), "Nueva solicitud");
        assert_eq!(humanize("reserva:creada"), "Reserva creada");
        assert_eq!(humanize("furnitureCreated"), "Furniture created");
        assert_eq!(humanize("pago:procesado"), "Pago procesado");
        assert_eq!(humanize("__x"), "X");
        assert_eq!(humanize(""), "");
    }

    #[test]
    fn payloads_read_as_their_plain_fields() {
        assert_eq!(
            summary(&json!({"servicioId": 1, "clienteId": 123})),
            "clienteId: 123 · servicioId: 1",
            "keys in serde_json's order (sorted)"
        );
        assert_eq!(
            summary(&json!({"reserva": {"id": 1, "estado": "confirmada", "tags": [1]}})),
            "estado: confirmada · id: 1"
        );
        assert_eq!(summary(&json!({"a": null, "b": "  ", "c": []})), "");
        assert_eq!(text(&json!(["a", 2, {"x": 1}])), "a, 2");
        assert!(!has_words(" #? · "));
        assert!(has_words("Pedido #5"));
    }
}
