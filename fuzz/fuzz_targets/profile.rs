//! Fuzzes profile loading: any TOML a user may write (with or without `extends`).
#![no_main]

use aviso_engine::Profile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Profile::parse("fuzz", text) {
        // A profile that loads must survive a round trip through TOML.
        let again = toml_round_trip(&p);
        assert!(again.is_some(), "a valid profile did not re-parse");
    }
});

fn toml_round_trip(p: &Profile) -> Option<Profile> {
    let text = toml::to_string(p).ok()?;
    Profile::parse("again", &text).ok()
}
