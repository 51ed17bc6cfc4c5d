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
    if !has_forbidden(s) { Cow::Borrowed(s) } else { Cow::Owned(s.chars().filter(|&c| is_xml_char(c)).collect()) }
}

/// True when `s` holds a character XML 1.0 forbids, judged on the bytes (this runs on every field read and
/// written): in UTF-8 the forbidden ones are the bytes below 0x20 but tab, line feed and carriage return, and
/// U+FFFE / U+FFFF (`EF BF BE`, `EF BF BF`); a `str` holds no surrogates. Text without a byte below 0x20 or an
/// `EF` (ASCII and most CJK) is passed in one quick scan.
fn has_forbidden(s: &str) -> bool {
    let b = s.as_bytes();
    if !has_suspect_byte(b) {
        return false;
    }
    b.iter().enumerate().any(|(i, &c)| match c {
        b'\t' | b'\n' | b'\r' => false,
        0..0x20 => true,
        0xEF => b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)),
        _ => false,
    })
}

/// The quick scan: true when a byte is below 0x20 or an `EF`. It looks at 32 bytes at a time without stopping
/// inside a chunk, so the compiler turns each chunk into a few vector compares (a byte-at-a-time loop that stops
/// at the first hit cannot be vectorised, and an encrypted push's `Encrypt` alone is 400 bytes or more). The tail,
/// and most fields are shorter than a chunk, is copied into a chunk of spaces and scanned the same way.
fn has_suspect_byte(b: &[u8]) -> bool {
    const CHUNK: usize = 32;
    fn any_suspect(chunk: &[u8; CHUNK]) -> bool {
        chunk.iter().fold(false, |any, &c| any | (c < 0x20) | (c == 0xEF))
    }
    let mut chunks = b.chunks_exact(CHUNK);
    for chunk in &mut chunks {
        if any_suspect(chunk.try_into().expect("a whole chunk")) {
            return true;
        }
    }
    let tail = chunks.remainder();
    let mut last = [b' '; CHUNK];
    last[..tail.len()].copy_from_slice(tail);
    any_suspect(&last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_scan_agrees_with_the_character_rule() {
        let samples = [
            "plain ascii",
            "查询订单，全角（括号）～",
            "tab\tline\ncr\r",
            "bell\u{7}",
            "nul\u{0}",
            "replacement \u{FFFD} is allowed",
            "\u{FFFE} and \u{FFFF} are not",
            "\u{FFFF}",
            "\u{EFFF}\u{F8FF}\u{FF0C}",
            "emoji 😀👍🏽",
            "",
        ];
        for s in samples {
            assert_eq!(has_forbidden(s), !s.chars().all(is_xml_char), "{s:?}");
        }
        // Longer text: the quick scan goes 32 bytes at a time, so put each sample at every offset of a long run,
        // in a whole chunk and in the remainder.
        for s in samples {
            for at in 0..70 {
                let long = format!("{}{s}{}", "a".repeat(at), "b".repeat(70 - at));
                assert_eq!(has_forbidden(&long), !long.chars().all(is_xml_char), "{long:?}");
            }
        }
    }
}
