//! Which of WeChat's attempts a request is, when several replicas receive the attempts of one push.
//!
//! Each process counts the attempts it sees in its in-flight table. Replicas behind a load balancer that spreads
//! a push's attempts also count them in the store they share, so the last attempt is known wherever it lands.
//! The shared count is started as the attempt arrives and read only when the budget has run out: a passive
//! answer never waits for it, and a slow or hanging store costs at most [`COUNT_GRACE`] after the budget (the
//! count has had the whole budget to come back; the attempt must still be answered within WeChat's 5 s).
//!
//! When the shared count cannot be read (the store is down or slow), the attempt is judged by the push's age
//! ([`by_age`]) as well as by this process's own count: with attempts spread over replicas, a replica that saw
//! one attempt would otherwise take WeChat's last for an earlier one and hold it, and the user would get
//! 「该公众号暂时无法提供服务」.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use wxgate_store::{AttemptCounter, StoreError};

/// How long a push may wait for state shared with other replicas (its attempt number, the user's window) before
/// it goes on with what this process knows: the answer must still reach WeChat within 5 seconds.
pub(crate) const SHARED_STATE_WAIT: Duration = Duration::from_millis(500);

/// How long a count not back when the attempt's budget has run out is waited for still.
const COUNT_GRACE: Duration = Duration::from_millis(50);

/// How long an entry stays joinable at least (and at most twice that): all of WeChat's attempts (~15 s), with room.
pub(crate) const ENTRY_TTL: Duration = Duration::from_secs(30);

/// An attempt being counted in the shared store.
pub(crate) struct Counting(Option<JoinHandle<Result<u32, StoreError>>>);

/// Starts counting this attempt in the store shared with the other replicas, when there is one.
pub(crate) fn count_shared(key: Option<String>, counter: Option<&Arc<dyn AttemptCounter>>) -> Counting {
    let (Some(counter), Some(key)) = (counter, key) else { return Counting(None) };
    let counter = counter.clone();
    Counting(Some(tokio::spawn(async move { counter.count_attempt(&key, ENTRY_TTL.as_millis() as u64).await })))
}

impl Counting {
    /// Which attempt this is: the count shared with the other replicas when there is one (another replica may
    /// have received the earlier attempts), else this process's own (`local`); when the shared count cannot be
    /// read, the later of `local` and the attempt `aged` (see [`by_age`]).
    pub(crate) async fn attempt(self, account: &str, local: u32, aged: impl FnOnce() -> u32) -> u32 {
        let Some(counting) = self.0 else { return local };
        let reason = match tokio::time::timeout(COUNT_GRACE, counting).await {
            Ok(Ok(Ok(n))) => return n.max(local),
            Ok(Ok(Err(e))) => e.to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer within the attempt's budget".to_owned(),
        };
        let attempt = local.max(aged());
        tracing::warn!(account, error = %reason, attempt, "cannot count the attempt in the store; judged by the push's age");
        attempt
    }
}

/// The share of WeChat's retry interval by which a push may look younger than it is and still count as the
/// later attempt: `CreateTime` is in whole seconds and the clocks of WeChat and of this machine may differ.
const DOUBT: f64 = 0.6;

/// Which of `attempts` a push `age_ms` old is, when WeChat retries `retry_after` after each attempt (attempt k
/// arrives about (k − 1) × `retry_after` after `CreateTime`).
///
/// The age is read generously: a push within [`DOUBT`] of an interval of the next attempt's time counts as that
/// attempt (with WeChat's 5 s: younger than 2 s the first, younger than 7 s the second, then the last). A push
/// taken for a later attempt than it is hands its slow answer over early, which costs one customer-service
/// message; one taken for an earlier attempt than it is would be held past WeChat's last attempt, and the user
/// would see the notice. So this machine's clock may run up to 3 s behind WeChat's (and about 1 s ahead) before
/// the guess goes wrong the costly way; keep it synchronised (NTP).
pub(crate) fn by_age(age_ms: i64, retry_after: Duration, attempts: u32) -> u32 {
    let interval = retry_after.as_millis().max(1) as f64;
    let passed = ((age_ms.max(0) as f64 + DOUBT * interval) / interval).floor() as u32;
    (passed + 1).clamp(1, attempts.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_age_tells_the_attempt_erring_towards_the_last() {
        let wechat = Duration::from_secs(5);
        let at = |age_ms| by_age(age_ms, wechat, 3);
        // Attempt 1 arrives at once, attempt 2 about 5 s later, attempt 3 about 10 s later (CreateTime is whole
        // seconds, so each may look up to a second older).
        assert_eq!([at(0), at(1_000), at(1_999)], [1, 1, 1]);
        assert_eq!([at(5_000), at(6_000), at(2_500)], [2, 2, 2]);
        assert_eq!([at(10_000), at(11_000), at(60_000)], [3, 3, 3]);
        // This machine 3 s behind WeChat: the last attempt still looks like the last.
        assert_eq!(at(10_000 - 3_000), 3);
        // A push from the future (clock ahead) is a first attempt; one attempt configured means every one is last.
        assert_eq!(at(-4_000), 1);
        assert_eq!(by_age(0, wechat, 1), 1);
    }
}
