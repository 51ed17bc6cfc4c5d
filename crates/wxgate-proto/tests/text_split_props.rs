//! Property tests of the text splitter: no part over the limit, the parts concatenate to the input, no grapheme
//! cluster is ever broken, and the trimmed form is exactly the lossless cuts trimmed.

use proptest::prelude::*;
use unicode_segmentation::UnicodeSegmentation;
use wxgate_proto::text::{split, split_trimmed};

/// Pieces that stress the splitter: ASCII words and punctuation, CJK with 。！？, whitespace and blank lines,
/// emoji ZWJ sequences, flags, skin tones and combining marks.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z]{1,12}",
        Just(" ".to_owned()),
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        Just(". ".to_owned()),
        Just("? ".to_owned()),
        Just("你好世界".to_owned()),
        Just("。".to_owned()),
        Just("！".to_owned()),
        Just("？".to_owned()),
        Just("👨\u{200d}👩\u{200d}👧\u{200d}👦".to_owned()),
        Just("🇨🇳".to_owned()),
        Just("👍🏽".to_owned()),
        Just("e\u{301}\u{302}".to_owned()),
        Just("\r\n".to_owned()),
        any::<char>().prop_map(String::from),
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(piece(), 0..300).prop_map(|v| v.concat())
}

/// Byte offsets of every grapheme boundary of `s`.
fn boundaries(s: &str) -> std::collections::HashSet<usize> {
    s.grapheme_indices(true).map(|(i, _)| i).chain([s.len()]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn parts_fit_concatenate_and_keep_graphemes(text in text(), max in 64usize..600) {
        let longest = text.graphemes(true).map(str::len).max().unwrap_or(0);
        prop_assume!(longest <= max);
        let parts = split(&text, max);
        prop_assert_eq!(parts.concat(), text.clone());
        let cuts = boundaries(&text);
        let mut offset = 0;
        for p in &parts {
            prop_assert!(!p.is_empty());
            prop_assert!(p.len() <= max, "part of {} bytes over {}", p.len(), max);
            offset += p.len();
            prop_assert!(cuts.contains(&offset), "cut at {} breaks a grapheme cluster", offset);
        }
    }

    #[test]
    fn the_default_limit_holds(text in text()) {
        for p in split(&text, 2048) {
            prop_assert!(p.len() <= 2048);
        }
    }

    #[test]
    fn trimmed_is_the_lossless_cuts_trimmed(text in text(), max in 16usize..300) {
        let expected: Vec<&str> = split(&text, max).into_iter().map(str::trim).filter(|p| !p.is_empty()).collect();
        let trimmed = split_trimmed(&text, max);
        prop_assert_eq!(&trimmed, &expected);
        let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        prop_assert_eq!(squash(&trimmed.concat()), squash(&text));
    }

    #[test]
    fn tiny_limits_still_terminate_and_lose_nothing(text in "\\PC{0,200}", max in 0usize..8) {
        let parts = split(&text, max);
        prop_assert_eq!(parts.concat(), text.clone());
        prop_assert!(parts.iter().all(|p| p.len() <= max.max(1) || p.chars().count() == 1));
    }
}

#[test]
fn a_paragraph_break_wins_over_a_later_sentence_end() {
    let first = format!("{}.\n\n", "word ".repeat(60)); // ~302 bytes
    let second = format!("{} Next sentence. And more", "x".repeat(100));
    let text = format!("{first}{second}{}", " tail".repeat(200));
    let parts = split(&text, 500);
    assert_eq!(parts[0], first, "the cut is after the blank line, whitespace kept with the earlier part");
}
