//! Cutting a streamed Markdown answer into finished customer-service messages while it is still being written.
//!
//! Text is converted block by block: a block is finished at a blank line outside a code fence, so Markdown is
//! never converted half-written. A message is cut off only once the converted text holds more than one passive
//! reply could (the answer must go by customer service anyway) and is cut where the whole answer would be — at the
//! best boundary within [`ROOM`] bytes, leaving room for the continuation hint — so streaming sends no more
//! messages than splitting the finished answer.

use wxgate_proto::reply::MAX_TEXT_BYTES;
use wxgate_proto::text::{markdown_to_text, split};

use crate::outbox::CONTINUE_HINT;

/// The longest message cut off: the text limit less the continuation hint.
pub const ROOM: usize = MAX_TEXT_BYTES - CONTINUE_HINT.len();

/// Turns streamed pieces of Markdown into finished plain-text messages.
#[derive(Debug, Default)]
pub struct Cutter {
    /// Markdown not yet converted (the unfinished block).
    raw: String,
    /// Converted text not yet cut off.
    text: String,
}

impl Cutter {
    /// Adds a piece of the answer; returns the messages it finished (often none).
    pub fn push(&mut self, delta: &str) -> Vec<String> {
        self.raw.push_str(delta);
        if let Some(end) = last_block_end(&self.raw) {
            let block = markdown_to_text(&self.raw[..end]);
            self.raw.drain(..end);
            self.append(&block);
        }
        let mut done = Vec::new();
        while self.text.len() > MAX_TEXT_BYTES {
            let first = split(&self.text, ROOM)[0].len();
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
    pub fn finish(mut self) -> String {
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
            self.text.push_str("\n\n");
        }
        self.text.push_str(block);
    }
}

/// The end of the last finished block: the last blank line that is not inside a code fence.
fn last_block_end(raw: &str) -> Option<usize> {
    let mut fences = 0usize;
    let mut end = None;
    let mut i = 0;
    let bytes = raw.as_bytes();
    while i < bytes.len() {
        if bytes[i..].starts_with(b"```") {
            fences += 1;
            i += 3;
        } else if bytes[i..].starts_with(b"\n\n") {
            if fences.is_multiple_of(2) {
                end = Some(i + 2);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    end
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
        assert!(parts.iter().all(|p| p.len() <= ROOM && !p.is_empty()));
        assert!(!rest.is_empty(), "the last part always stays for the final answer");
        let whole = wxgate_proto::text::split_trimmed(&markdown_to_text(&answer), ROOM).len();
        assert_eq!(parts.len() + split(&rest, ROOM).len(), whole, "no more messages than the whole answer");
        let squash = |t: &str| t.split_whitespace().collect::<String>();
        let joined: String = parts.iter().map(String::as_str).chain([rest.as_str()]).collect();
        assert_eq!(squash(&joined), squash(&markdown_to_text(&answer)), "nothing lost or repeated");
    }

    #[test]
    fn code_fences_are_not_cut_open() {
        assert_eq!(last_block_end("a\n\n```\ncode\n\nmore"), Some(3));
        assert_eq!(last_block_end("```\nx\n```\n\nb"), Some(11));
        assert_eq!(last_block_end("no break"), None);
    }
}
