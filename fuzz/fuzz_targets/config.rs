//! Config files as a user may write them: loading never panics; every mistake is an error that names what to fix.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(e) = wxgate_server::config::load_str(text, "fuzz.toml", Vec::new()) {
        assert!(!e.to_string().is_empty());
    }
});
