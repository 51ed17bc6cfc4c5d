//! The characters XML 1.0 allows in a document (the `Char` production): every C0 control but tab, line feed and
//! carriage return is forbidden, as are the surrogates and U+FFFE, U+FFFF. A push may carry them (raw in CDATA,
//! or as JSON escapes); the field tree drops them as it reads, and every writer drops them again, so no reply,
//! stored push or customer-service body holds one.

use std::borrow::Cow;

/// True for a character XML 1.0 allows in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` without the characters XML 1.0 does not allow; borrowed when it has none.
pub fn xml_clean(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_xml_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| is_xml_char(c)).collect())
    }
}
