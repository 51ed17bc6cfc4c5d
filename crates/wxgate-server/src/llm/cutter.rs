//! Cutting a streamed Markdown answer into finished customer-service messages while it is still being written.
//!
//! Text is converted block by block: a block is finished at a blank line outside a code fence, so Markdown is
//! never converted half-written. When the unfinished block could complete a message, it is converted up to its
//! last line break, or, in a single long line, up to its last sentence end — so an answer without blank lines is
//! sent as it is written too. A message is cut off only once the converted text holds more than one passive
//! reply could (the answer must go by customer service anyway) and is cut where the whole answer would be — at the
//! best boundary within [`PART_ROOM`] bytes, leaving room for the continuation hint — so streaming sends no more
//! messages than splitting the finished answer.

use wxgate_proto::reply::MAX_TEXT_BYTES;
use wxgate_proto::text::{markdown_to_text, split};

use crate::answer::PART_ROOM;

/// Turns streamed pieces of Markdown into finished plain-text messages.
#[derive(Debug, Default)]
pub(crate) struct Cutter {
    /// Markdown not yet converted (the unfinished block).
    raw: String,
    /// Converted text not yet cut off.
    text: String,
    /// What joins the next converted piece to `text`: a paragraph break after a finished block, else what the
    /// early conversion cut at (a line break, a space, or nothing).
    joiner: &'static str,
}

impl Cutter {
    /// Adds a piece of the answer; returns the messages it finished (often none).
    pub(crate) fn push(&mut self, delta: &str) -> Vec<String> {
        self.raw.push_str(delta);
        let full = self.text.len() + self.raw.len() > MAX_TEXT_BYTES;
        let scan = Scan::of(&self.raw);
        let end = scan.block_end.map(|end| (end, "\n\n"));
        if let Some((end, joiner)) = end.or_else(|| full.then(|| scan.early_end(&self.raw)).flatten()) {
            let block = markdown_to_text(&self.raw[..end]);
            self.raw.drain(..end);
            self.append(&block);
            self.joiner = joiner;
        }
        let mut done = Vec::new();
        while self.text.len() > MAX_TEXT_BYTES {
            let first = split(&self.text, PART_ROOM)[0].len();
            let part = self.text[..first].trim().to_owned();
            let rest = self.text[first..].trim_start().to_owned();
            self.text = rest;
            if !part.is_empty() {
                done.push(part);
            }
        }
        done
    }

    /// The rest of the answer, once the model has finished.
    pub(crate) fn finish(mut self) -> String {
        let block = markdown_to_text(&self.raw);
        self.append(&block);
        self.text.trim().to_owned()
    }

    fn append(&mut self, block: &str) {
        let block = block.trim();
        if block.is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push_str(if self.joiner.is_empty() && self.text.ends_with(|c: char| c.is_ascii()) {
                " "
            } else {
                self.joiner
            });
        }
        self.text.push_str(block);
    }
}

/// One pass over the unconverted Markdown: where its blocks and lines end outside code fences, and whether a
/// fence is still open.
struct Scan {
    /// The end of the last finished block: after the last blank line that is not inside a code fence.
    block_end: Option<usize>,
    /// After the last line break that is not inside a code fence.
    line_end: Option<usize>,
    /// A code fence is open at the end.
    in_fence: bool,
}

impl Scan {
    fn of(raw: &str) -> Scan {
        let bytes = raw.as_bytes();
        let (mut fences, mut block_end, mut line_end, mut i) = (0usize, None, None, 0);
        while i < bytes.len() {
            if bytes[i..].starts_with(b"```") {
                fences += 1;
                i += 3;
            } else if bytes[i..].starts_with(b"\n\n") && fences.is_multiple_of(2) {
                (block_end, line_end) = (Some(i + 2), Some(i + 2));
                i += 2;
            } else {
                if bytes[i] == b'\n' && fences.is_multiple_of(2) {
                    line_end = Some(i + 1);
                }
                i += 1;
            }
        }
        Scan { block_end, line_end, in_fence: !fences.is_multiple_of(2) }
    }

    /// Where to convert an unfinished block early, and what then joins the pieces: after its last line break
    /// outside a code fence (a line break), else after the last sentence end of `raw` (nothing; a space after
    /// Latin text); never inside a code block.
    fn early_end(&self, raw: &str) -> Option<(usize, &'static str)> {
        if self.in_fence {
            return None; // inside a code block: wait for its end
        }
        if let Some(line) = self.line_end {
            return Some((line, "\n"));
        }
        raw.rmatch_indices(['。', '！', '？', '.', '!', '?'])
            .find(|(i, m)| !m.is_ascii() || raw[i + m.len()..].starts_with(' '))
            .map(|(i, m)| (i + m.len(), ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(answer: &str, piece: usize) -> (Vec<String>, String) {
        let mut c = Cutter::default();
        let chars: Vec<char> = answer.chars().collect();
        let mut parts = Vec::new();
        for chunk in chars.chunks(piece) {
            parts.extend(c.push(&chunk.iter().collect::<String>()));
        }
        (parts, c.finish())
    }

    #[test]
    fn a_short_answer_is_never_cut() {
        let (parts, rest) = feed("**Hello**\n\nworld, this is short.", 3);
        assert!(parts.is_empty());
        assert_eq!(rest, "Hello\n\nworld, this is short.");
    }

    #[test]
    fn a_long_answer_is_cut_like_the_whole_answer() {
        let para = "这是一个很长的段落，用来测试流式切分。".repeat(20);
        let answer: String = (0..12).map(|i| format!("## 第{i}节\n\n{para}\n\n")).collect();
        let (parts, rest) = feed(&answer, 7);
        assert!(parts.len() >= 3, "{} parts", parts.len());
        assert!(parts.iter().all(|p| p.len() <= PART_ROOM && !p.is_empty()));
        assert!(!rest.is_empty(), "the last part always stays for the final answer");
        let whole = wxgate_proto::text::split_trimmed(&markdown_to_text(&answer), PART_ROOM).len();
        assert_eq!(parts.len() + split(&rest, PART_ROOM).len(), whole, "no more messages than the whole answer");
        let squash = |t: &str| t.split_whitespace().collect::<String>();
        let joined: String = parts.iter().map(String::as_str).chain([rest.as_str()]).collect();
        assert_eq!(squash(&joined), squash(&markdown_to_text(&answer)), "nothing lost or repeated");
    }

    #[test]
    fn one_long_paragraph_is_still_sent_as_it_is_written() {
        let answer = "A model writes a long answer one piece at a time. ".repeat(120);
        let mut c = Cutter::default();
        let mut first_at = None;
        for (i, piece) in answer.as_bytes().chunks(24).enumerate() {
            if !c.push(std::str::from_utf8(piece).unwrap()).is_empty() && first_at.is_none() {
                first_at = Some(i * 24);
            }
        }
        let first_at = first_at.expect("a part before the end");
        assert!(first_at < answer.len() / 2, "first part after {first_at} of {} bytes", answer.len());
        let early_end = |raw: &str| Scan::of(raw).early_end(raw);
        assert_eq!(early_end(&"x```".repeat(2000)), None, "never inside a code block");
        assert_eq!(early_end("One. Two 2.5 three"), Some((4, "")), "after a sentence end, not inside a number");
        assert_eq!(early_end("**a\nb** c。d"), Some((4, "\n")), "a line break first");
    }

    #[test]
    fn code_fences_are_not_cut_open() {
        let last_block_end = |raw: &str| Scan::of(raw).block_end;
        assert_eq!(last_block_end("a\n\n```\ncode\n\nmore"), Some(3));
        assert_eq!(last_block_end("```\nx\n```\n\nb"), Some(11));
        assert_eq!(last_block_end("no break"), None);
    }
}
