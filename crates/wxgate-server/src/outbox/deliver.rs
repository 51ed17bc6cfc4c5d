//! Fitting an answer into the user's remaining quota.

use wxgate_proto::ReplyBody;
use wxgate_proto::reply::MAX_TEXT_BYTES;

/// Appended to the last part that fits when the rest must wait for the user's next message.
pub const CONTINUE_HINT: &str = "\n\n（回复任意文字继续）";

/// The longest part of a split answer: the text limit less the hint, so whichever part ends up last within the
/// user's quota can carry it.
pub const PART_ROOM: usize = MAX_TEXT_BYTES - CONTINUE_HINT.len();

/// Splits `parts` into what to send now (at most `remaining` messages; when something is left over — of these
/// parts, or `followed` by a later answer of the same user — the last one sent tells the user how to get the
/// rest) and what must wait for the next interaction.
pub fn pack(mut parts: Vec<ReplyBody>, remaining: u32, followed: bool) -> (Vec<ReplyBody>, Vec<ReplyBody>) {
    let n = remaining as usize;
    if parts.len() < n || (parts.len() == n && !followed) {
        return (parts, Vec::new());
    }
    let rest = parts.split_off(n);
    if let Some(ReplyBody::Text { content }) = parts.last_mut()
        && content.len() + CONTINUE_HINT.len() <= MAX_TEXT_BYTES
    {
        content.push_str(CONTINUE_HINT);
    }
    (parts, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_into_the_quota() {
        let parts: Vec<_> = (0..7).map(|i| ReplyBody::text(format!("p{i}"))).collect();
        let (now, later) = pack(parts.clone(), 5, false);
        assert_eq!(now.len(), 5);
        assert_eq!(later.len(), 2);
        assert_eq!(now[4], ReplyBody::text(format!("p4{CONTINUE_HINT}")));
        let (now, later) = pack(parts[..3].to_vec(), 5, true);
        assert_eq!((now.len(), later.len()), (3, 0));
        assert_eq!(now[2], ReplyBody::text("p2"));
        // Exactly filling the quota: the hint only when another answer follows.
        assert_eq!(pack(parts[..5].to_vec(), 5, false).0[4], ReplyBody::text("p4"));
        let (now, later) = pack(parts[..5].to_vec(), 5, true);
        assert_eq!((now[4].clone(), later.len()), (ReplyBody::text(format!("p4{CONTINUE_HINT}")), 0));
    }
}
