//! Key names. Parts that come from users (openids, dedup keys) are joined with the unit separator `\x1f`,
//! which no account name, openid or token contains, so two different tuples never share a key.

use crate::RedisStore;

impl RedisStore {
    /// The stored form of a job.
    pub(crate) fn job_key(&self, id: i64) -> String {
        format!("{}job:{id}", self.prefix)
    }

    /// The set of jobs in `state`.
    pub(crate) fn state_key(&self, state: &str) -> String {
        format!("{}state:{state}", self.prefix)
    }

    /// The ids of a user's unfinished jobs.
    pub(crate) fn user_key(&self, account: &str, openid: &str) -> String {
        format!("{}user:{account}\u{1f}{openid}", self.prefix)
    }

    /// A token (or its refresh lease, or a push's attempt count) by the caller's key.
    pub(crate) fn token_key(&self, kind: &str, key: &str) -> String {
        format!("{}{kind}:{key}", self.prefix)
    }

    /// A cached media id.
    pub(crate) fn media_key(&self, key: &wxgate_store::MediaKey) -> String {
        format!("{}media:{}\u{1f}{}\u{1f}{}", self.prefix, key.account, key.media_type, key.content_hash)
    }

    /// A user's customer-service window.
    pub(crate) fn window_key(&self, account: &str, openid: &str) -> String {
        format!("{}window:{account}\u{1f}{openid}", self.prefix)
    }

    /// A user's conversation.
    pub(crate) fn conversation_key(&self, account: &str, openid: &str) -> String {
        format!("{}conv:{account}\u{1f}{openid}", self.prefix)
    }
}
