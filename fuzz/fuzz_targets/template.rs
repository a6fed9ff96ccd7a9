//! Fuzzes template rendering: the first line is the template, the rest a JSON value.
#![no_main]

use aviso_engine::template::render;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (template, json) = text.split_once('\n').unwrap_or((text, "{}"));
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or(serde_json::Value::Null);
    if let Ok(out) = render(template, &value) {
        // Rendering never grows without bound: placeholders expand to values from the input.
        assert!(out.len() <= template.len() + json.len() * template.matches('{').count().max(1));
    }
});
