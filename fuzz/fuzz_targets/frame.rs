//! Fuzzes frame parsing: any bytes a server can send, through every built-in profile.
#![no_main]

use std::sync::OnceLock;

use aviso_engine::frame::parse_frame;
use aviso_engine::Profile;
use libfuzzer_sys::fuzz_target;

fn profiles() -> &'static [Profile] {
    static P: OnceLock<Vec<Profile>> = OnceLock::new();
    P.get_or_init(|| Profile::presets().iter().map(|(n, _)| Profile::load(n).unwrap()).collect())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for profile in profiles() {
        if let Ok((_, errors)) = parse_frame(profile, "fuzz", text) {
            for e in errors {
                assert!(!e.message.is_empty());
            }
        }
    }
});
