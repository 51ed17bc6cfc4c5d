//! Splitting long text into parts of at most `max_bytes` UTF-8 bytes.
//!
//! Rules, in order:
//!
//! 1. **Lossless.** [`split`] returns slices of the input whose concatenation is exactly the input, byte for
//!    byte. Whitespace at a split point is never dropped: it stays at the **end of the earlier part** (the cut
//!    is placed after the whitespace run). [`split_trimmed`] is the sending form: the same cuts, each part
//!    trimmed of leading/trailing whitespace, empty parts left out.
//! 2. **Never inside a grapheme cluster** (emoji ZWJ sequences, flags, combining marks), found with
//!    `unicode-segmentation`. The one exception: a single cluster longer than `max_bytes` (only in hostile
//!    input) is cut at `char` boundaries, since it could not be sent otherwise (and a limit below 4 bytes may leave a
//!    single `char` longer than the limit as a part of its own).
//! 3. **Best boundary.** In the longest prefix that fits, the cut goes at the last paragraph break (a blank
//!    line), else the last sentence end (UAX #29, which includes Chinese 。！？), else after the last
//!    whitespace, else at the last word boundary (UAX #29; CJK ideographs are words of their own), else at the
//!    last grapheme boundary. A boundary counts only if it lies in the second half of the prefix, so a part is
//!    never needlessly short (each part costs one of the 5 messages a user interaction allows); when no level
//!    has a boundary there, the same order is tried over the whole prefix.

use unicode_segmentation::UnicodeSegmentation;

/// Splits losslessly: the parts concatenate to `text`; every part is at most `max_bytes` long (see the module
/// doc for the one exception). `max_bytes` of 0 is treated as 1. Empty input gives no parts.
pub fn split(text: &str, max_bytes: usize) -> Vec<&str> {
    let max = max_bytes.max(1);
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.len() <= max {
            parts.push(rest);
            break;
        }
        let cut = cut_point(rest, max);
        let (head, tail) = rest.split_at(cut);
        parts.push(head);
        rest = tail;
    }
    parts
}

/// The sending form: the cuts of [`split`], each part trimmed, empty parts dropped.
pub fn split_trimmed(text: &str, max_bytes: usize) -> Vec<&str> {
    split(text, max_bytes).into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Where to cut `rest` (longer than `max`): a byte offset in `1..=max`.
fn cut_point(rest: &str, max: usize) -> usize {
    // The longest prefix ending on a grapheme boundary.
    let mut window = 0;
    for (i, g) in rest.grapheme_indices(true) {
        if i + g.len() > max {
            break;
        }
        window = i + g.len();
    }
    if window == 0 {
        // One cluster longer than the limit: cut it at the last char boundary that fits.
        // (A limit smaller than one char keeps that char whole.)
        let first_char = rest.chars().next().map_or(1, char::len_utf8);
        return (1..=max).rev().find(|&i| rest.is_char_boundary(i)).unwrap_or(first_char);
    }
    let prefix = &rest[..window];
    let graphemes: std::collections::HashSet<usize> =
        prefix.grapheme_indices(true).map(|(i, _)| i).chain([window]).collect();
    // Sentence and word rules look ahead, and a segmenter always ends a segment at the end of its input: run
    // them over a longer slice and ignore that slice's own end.
    let ahead = (window + LOOKAHEAD..rest.len()).find(|&i| rest.is_char_boundary(i)).unwrap_or(rest.len());
    let context = &rest[..ahead];
    let levels: [Vec<usize>; 4] = [
        paragraph_ends(prefix),
        bounded(sentence_ends(context), ahead),
        whitespace_ends(prefix),
        bounded(word_ends(context), ahead),
    ];
    for min in [window / 2, 1] {
        for level in &levels {
            if let Some(&p) = level.iter().rev().find(|&&p| p >= min && p <= window && graphemes.contains(&p)) {
                return p;
            }
        }
    }
    window
}

/// Bytes of text after the prefix the sentence and word segmenters see.
const LOOKAHEAD: usize = 256;

/// Drops the offset that is only the end of the segmented slice.
fn bounded(mut ends: Vec<usize>, slice_end: usize) -> Vec<usize> {
    ends.retain(|&e| e < slice_end);
    ends
}

/// Offsets just after a blank line and the whitespace that follows it.
fn paragraph_ends(s: &str) -> Vec<usize> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = s[i..].find('\n') {
        let nl = i + off;
        // Is the next line blank (only spaces/tabs/\r before another \n)?
        let mut j = nl + 1;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\r') {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'\n' {
            let mut end = j;
            while end < bytes.len() && bytes[end].is_ascii_whitespace() {
                end += 1;
            }
            out.push(end);
            i = end;
        } else {
            i = nl + 1;
        }
        if i >= bytes.len() {
            break;
        }
    }
    out
}

/// Sentence ends (UAX #29 sentence boundaries already include the trailing spaces).
fn sentence_ends(s: &str) -> Vec<usize> {
    s.split_sentence_bound_indices().map(|(i, sent)| i + sent.len()).collect()
}

/// Offsets just after a whitespace run.
fn whitespace_ends(s: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev_ws = false;
    for (i, c) in s.char_indices() {
        let ws = c.is_whitespace();
        if prev_ws && !ws {
            out.push(i);
        }
        prev_ws = ws;
    }
    if prev_ws {
        out.push(s.len());
    }
    out
}

/// Word boundaries (UAX #29).
fn word_ends(s: &str) -> Vec<usize> {
    s.split_word_bound_indices().map(|(i, w)| i + w.len()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_paragraph_then_sentence_then_word() {
        let text = format!("{}\n\n{}", "a".repeat(30), "b".repeat(30));
        assert_eq!(split(&text, 40), vec![format!("{}\n\n", "a".repeat(30)).as_str(), &"b".repeat(30)]);
        let text = "One sentence here. Two sentence here. Three.";
        assert_eq!(split(text, 40), vec!["One sentence here. Two sentence here. ", "Three."]);
        let text = "alpha beta gamma delta epsilon";
        assert_eq!(split(text, 20), vec!["alpha beta gamma ", "delta epsilon"]);
    }

    #[test]
    fn chinese_sentences() {
        let text = "今天天气很好。我们去公园吧！你觉得呢？好的";
        // 7 chars × 3 bytes = 21 per sentence.
        assert_eq!(split(text, 45), vec!["今天天气很好。我们去公园吧！", "你觉得呢？好的"]);
    }

    #[test]
    fn never_breaks_emoji_or_combining_marks() {
        let family = "👨\u{200d}👩\u{200d}👧\u{200d}👦"; // 25 bytes
        let text = family.repeat(4);
        for part in split(&text, 30) {
            assert_eq!(part, family);
        }
        let e = "e\u{301}"; // 3 bytes
        assert!(split(&e.repeat(10), 4).iter().all(|p| *p == e));
    }

    #[test]
    fn oversized_cluster_is_cut_at_char_boundaries() {
        let zalgo = format!("a{}", "\u{301}".repeat(20)); // 41 bytes, one cluster
        let parts = split(&zalgo, 10);
        assert!(parts.iter().all(|p| p.len() <= 10));
        assert_eq!(parts.concat(), zalgo);
    }

    #[test]
    fn trimmed_drops_whitespace_at_cuts() {
        let text = "first part.   \n\n   second part.";
        assert_eq!(split_trimmed(text, 20), vec!["first part.", "second part."]);
        assert!(split("", 10).is_empty());
        assert!(split_trimmed("   ", 10).is_empty());
    }
}
