//! Fuzzes template rendering: the first line is the template, the rest a JSON value.
#![no_main]

use aviso_engine::template::render;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (template, json) = text.split_once('\n').unwrap_or((text, "{}"));
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or(serde_json::Value::Null);
    if let Ok(out) = render(template, &value) {
        // Rendering never grows without bound: each placeholder expands to a value from the
        // input, whose text is at most its JSON text (a number's shortest form may add a
        // few characters: `1E2` is `100.0`... at most 24 more).
        let placeholders = template.matches('{').count().max(1);
        assert!(out.len() <= template.len() + (json.len() + 24) * placeholders);
    }
});
