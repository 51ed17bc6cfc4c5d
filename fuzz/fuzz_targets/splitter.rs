//! Splitting a long answer into messages: lossless, every part within the limit (a limit of at least 4 bytes
//! fits any character), and the sending form's parts non-empty and trimmed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wxgate_proto::text::{split, split_trimmed};

fuzz_target!(|input: (u16, &str)| {
    let (limit, text) = input;
    let max = usize::from(limit % 4096).max(4);
    let parts = split(text, max);
    assert_eq!(parts.concat(), text, "lossless");
    assert!(parts.iter().all(|p| !p.is_empty() && p.len() <= max), "{max}: {parts:?}");
    for part in split_trimmed(text, max) {
        assert!(!part.is_empty() && part.len() <= max && part.trim() == part);
    }
});
