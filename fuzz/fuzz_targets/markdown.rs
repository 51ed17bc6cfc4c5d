//! A model's Markdown to the plain text WeChat shows: never panics, and the text is clean (no characters XML 1.0
//! forbids get in that were not in the input).

#![no_main]

use libfuzzer_sys::fuzz_target;
use wxgate_proto::text::markdown_to_text;
use wxgate_proto::write::is_xml_char;

fuzz_target!(|markdown: &str| {
    let text = markdown_to_text(markdown);
    if markdown.chars().all(is_xml_char) {
        assert!(text.chars().all(is_xml_char), "{markdown:?} → {text:?}");
    }
});
