//! Text shaping for customer-service messages: WeChat shows plain text of limited size, while answers (often
//! from an LLM) are long and written in Markdown.
//!
//! * [`split()`]: cut text into parts of at most N UTF-8 bytes at the best boundary (paragraph, sentence, word),
//!   never inside a grapheme cluster.
//! * [`markdown_to_text`]: Markdown to readable plain text.

pub mod markdown;
pub mod split;

pub use markdown::markdown_to_text;
pub use split::{split, split_trimmed};
