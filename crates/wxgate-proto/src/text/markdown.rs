//! Markdown to plain text for WeChat, which shows no Markdown: LLM answers arrive with `**bold**`, lists,
//! headings, code fences and links. Parsing is pulldown-cmark's (CommonMark + tables + strikethrough + task
//! lists); this module only decides how each element reads as plain text:
//!
//! * emphasis, strong, strikethrough, inline code: the text alone;
//! * headings and paragraphs: their text, separated by a blank line;
//! * lists: `• item` (ordered: `1. item`), nested lists indented by two spaces; task items `☐` / `☑`;
//! * links: `text (url)`, or just the URL when the text is the URL; images: their alt text;
//! * code blocks: verbatim; block quotes: lines prefixed `> `; rules: `———`;
//! * tables: cells joined by ` | `, one row per line; inline HTML passes through (WeChat renders `<a href>`);
//! * characters XML 1.0 forbids, which a character reference such as `&#4;` can bring in, are left out.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// Converts Markdown to plain text (see the module doc for the rendering of each element).
pub fn markdown_to_text(markdown: &str) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut r = Renderer::default();
    for event in Parser::new_ext(markdown, opts) {
        r.event(event);
    }
    let text = r.finish();
    match crate::xml_chars::xml_clean(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(clean) => clean.trim_end().to_owned(),
    }
}

#[derive(Default)]
struct Renderer {
    out: String,
    /// One entry per open list: `Some(next number)` for ordered lists.
    lists: Vec<Option<u64>>,
    quote_depth: usize,
    /// Link destinations of open links, with the output length at their start.
    links: Vec<(String, usize)>,
    in_code_block: bool,
    table_cell: usize,
}

impl Renderer {
    fn block_break(&mut self) {
        let trimmed = self.out.trim_end_matches([' ', '\t', '\n']).len();
        self.out.truncate(trimmed);
        if !self.out.is_empty() {
            self.out.push_str("\n\n");
        }
        self.line_prefix();
    }

    fn line_break(&mut self) {
        let trimmed = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(trimmed);
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.line_prefix();
    }

    fn line_prefix(&mut self) {
        for _ in 0..self.quote_depth {
            self.out.push_str("> ");
        }
    }

    fn push_text(&mut self, text: &str) {
        if self.quote_depth > 0 && text.contains('\n') {
            let prefix = "> ".repeat(self.quote_depth);
            self.out.push_str(&text.replace('\n', &format!("\n{prefix}")));
        } else {
            self.out.push_str(text);
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.push_text(&t),
            Event::Code(t) => self.out.push_str(&t),
            Event::InlineMath(t) | Event::DisplayMath(t) => self.out.push_str(&t),
            Event::Html(t) | Event::InlineHtml(t) => self.out.push_str(&t),
            Event::FootnoteReference(t) => self.out.push_str(&format!("[{t}]")),
            Event::SoftBreak | Event::HardBreak => self.line_break(),
            Event::Rule => {
                self.block_break();
                self.out.push_str("———");
            }
            Event::TaskListMarker(done) => self.out.push_str(if done { "☑ " } else { "☐ " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::Heading { .. } if self.lists.is_empty() => self.block_break(),
            Tag::BlockQuote(_) => {
                self.block_break();
                self.quote_depth += 1;
            }
            Tag::CodeBlock(kind) => {
                self.block_break();
                self.in_code_block = matches!(kind, CodeBlockKind::Fenced(_) | CodeBlockKind::Indented);
            }
            Tag::List(first) => {
                if self.lists.is_empty() {
                    self.block_break();
                }
                self.lists.push(first);
            }
            Tag::Item => {
                self.line_break();
                let depth = self.lists.len().saturating_sub(1);
                self.out.push_str(&"  ".repeat(depth));
                match self.lists.last_mut() {
                    Some(Some(n)) => {
                        self.out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => self.out.push_str("• "),
                }
            }
            Tag::Table(_) => self.block_break(),
            Tag::TableHead | Tag::TableRow => {
                self.line_break();
                self.table_cell = 0;
            }
            Tag::TableCell => {
                if self.table_cell > 0 {
                    self.out.push_str(" | ");
                }
                self.table_cell += 1;
            }
            Tag::Link { dest_url, .. } => self.links.push((dest_url.to_string(), self.out.len())),
            Tag::Image { dest_url, .. } => self.links.push((dest_url.to_string(), self.out.len())),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::BlockQuote(_) => self.quote_depth = self.quote_depth.saturating_sub(1),
            TagEnd::CodeBlock => self.in_code_block = false,
            TagEnd::List(_) => {
                self.lists.pop();
            }
            TagEnd::Link => {
                if let Some((url, start)) = self.links.pop() {
                    let text = self.out[start..].trim().to_owned();
                    if text.is_empty() {
                        self.out.push_str(&url);
                    } else if text != url && !url.is_empty() {
                        self.out.push_str(&format!(" ({url})"));
                    }
                }
            }
            TagEnd::Image => {
                self.links.pop();
            }
            _ => {}
        }
    }

    fn finish(self) -> String {
        let mut out = String::with_capacity(self.out.len());
        let mut blank_run = 0;
        for line in self.out.trim().lines() {
            let line = if self.in_code_block { line } else { line.trim_end() };
            if line.is_empty() {
                blank_run += 1;
                if blank_run > 1 {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            out.push_str(line);
            out.push('\n');
        }
        out.truncate(out.trim_end().len());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_llm_answer() {
        let md = "# 标题\n\n这是 **重点** 和 *强调*，见 [文档](https://example.com)。\n\n- 第一\n- 第二\n  1. 子项\n\n```rust\nfn main() {}\n```\n\n> 引用\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |";
        let text = markdown_to_text(md);
        assert_eq!(
            text,
            "标题\n\n这是 重点 和 强调，见 文档 (https://example.com)。\n\n• 第一\n• 第二\n  1. 子项\n\nfn main() {}\n\n> 引用\n\n———\n\na | b\n1 | 2"
        );
    }

    #[test]
    fn autolink_and_tasks() {
        assert_eq!(markdown_to_text("<https://a.b>"), "https://a.b");
        assert_eq!(markdown_to_text("- [x] done\n- [ ] todo"), "• ☑ done\n• ☐ todo");
        assert_eq!(markdown_to_text("plain"), "plain");
        assert_eq!(markdown_to_text(""), "");
    }
}
