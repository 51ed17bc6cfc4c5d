//! Keeping a conversation within budget: at most `max_turns` exchanges and about `max_tokens` tokens, dropping
//! the oldest first (a turn is never cut in half).

use crate::chat::ChatMessage;

/// A rough token count that needs no tokenizer: CJK characters count one each, other text one per four bytes.
pub fn approx_tokens(text: &str) -> usize {
    let (mut cjk, mut other) = (0usize, 0usize);
    for c in text.chars() {
        if c as u32 >= 0x2E80 { cjk += 1 } else { other += c.len_utf8() }
    }
    cjk + other.div_ceil(4)
}

/// Trims `history` (alternating user / assistant messages, oldest first) to the budget.
pub fn trim(history: &mut Vec<ChatMessage>, max_turns: usize, max_tokens: usize) {
    let max_messages = max_turns * 2;
    if history.len() > max_messages {
        history.drain(..history.len() - max_messages);
    }
    let mut total: usize = history.iter().map(|m| approx_tokens(&m.text_content())).sum();
    while total > max_tokens && history.len() >= 2 {
        let removed: Vec<ChatMessage> = history.drain(..2).collect();
        total -= removed.iter().map(|m| approx_tokens(&m.text_content())).sum::<usize>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Role;

    fn turns(n: usize, text: &str) -> Vec<ChatMessage> {
        (0..n)
            .flat_map(|i| {
                [
                    ChatMessage::text(Role::User, format!("{text}{i}")),
                    ChatMessage::text(Role::Assistant, format!("a{i}")),
                ]
            })
            .collect()
    }

    #[test]
    fn keeps_the_newest_turns_within_both_budgets() {
        let mut h = turns(12, "q");
        trim(&mut h, 10, 10_000);
        assert_eq!(h.len(), 20);
        assert_eq!(h[0].text_content(), "q2");
        let mut h = turns(5, &"长".repeat(100));
        trim(&mut h, 10, 250);
        assert_eq!(h.len(), 4, "two turns of ~101 tokens fit in 250");
        assert_eq!(h.last().unwrap().text_content(), "a4");
        assert_eq!(approx_tokens("hello world!"), 3);
        assert_eq!(approx_tokens("你好"), 2);
    }
}
