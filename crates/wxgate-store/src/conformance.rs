//! The conformance suite: every backend's tests call these, so all backends behave alike.
//!
//! Each function panics (with the rule it checks) on the first difference.

use crate::outbox::{JobState, NewJob, OutboxStore};

fn job(key: &str, openid: &str) -> NewJob {
    NewJob {
        account: "acct".into(),
        openid: openid.into(),
        dedup_key: key.into(),
        push: format!("<xml>{key}</xml>").into_bytes(),
        accepted_at: 1_000,
    }
}

/// The outbox rules: idempotent accept, per-user order, leases, acknowledgement by the holder only, retry
/// back-off, dead letters, revive and remove.
pub async fn outbox(store: &dyn OutboxStore) {
    let a1 = store.accept(job("k1", "alice")).await.unwrap();
    assert_eq!(store.accept(job("k1", "alice")).await.unwrap(), a1, "accept is idempotent per dedup key");
    let a2 = store.accept(job("k2", "alice")).await.unwrap();
    let b1 = store.accept(job("k3", "bob")).await.unwrap();
    assert!(a1 < a2, "ids increase in acceptance order");
    assert_eq!(store.list(JobState::Awaiting, 10).await.unwrap().len(), 3);
    assert_eq!(store.list(JobState::Awaiting, 10).await.unwrap()[0].push, b"<xml>k1</xml>", "the push is kept");

    // Alice's second answer is ready first, but her first is still awaited: nothing of hers may go out.
    store.set_answer(a2, Some("\"second\"".into())).await.unwrap();
    store.set_answer(b1, Some("\"bob\"".into())).await.unwrap();
    let claimed = store.claim("w1", 10_000, 1_000, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![b1], "per-user order holds");
    assert_eq!(claimed[0].answer.as_deref(), Some("\"bob\""));
    assert!(store.claim("w2", 10_000, 1_000, 10).await.unwrap().is_empty(), "a leased job is not claimed twice");

    store.set_answer(a1, Some("\"first\"".into())).await.unwrap();
    let claimed = store.claim("w2", 10_000, 1_000, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a1], "the oldest job of a user first");
    assert!(!store.ack(a1, "w1").await.unwrap(), "only the lease holder acknowledges");
    assert!(store.ack(a1, "w2").await.unwrap());
    assert_eq!(store.claim("w2", 10_000, 1_000, 10).await.unwrap().iter().map(|j| j.id).collect::<Vec<_>>(), vec![a2]);

    // Retry with back-off: not claimable before its time, claimable after.
    assert!(store.retry(a2, "w2", 20_000, "errcode -1").await.unwrap());
    assert!(store.claim("w3", 15_000, 1_000, 10).await.unwrap().iter().all(|j| j.id != a2), "back-off respected");
    let again = store.claim("w3", 20_000, 1_000, 10).await.unwrap();
    let a2_job = again.iter().find(|j| j.id == a2).expect("claimable after back-off");
    assert_eq!(a2_job.attempts, 1);
    assert_eq!(a2_job.last_error.as_deref(), Some("errcode -1"));

    // Partial progress is kept by the holder only; a wake makes a user's backed-off jobs due.
    assert!(store.set_remaining(a2, "w3", "\"rest\"").await.unwrap());
    assert!(!store.set_remaining(a2, "w9", "\"x\"").await.unwrap(), "only the holder records progress");
    assert!(store.retry(a2, "w3", i64::MAX / 4, "waiting for the user").await.unwrap());
    assert!(store.claim("w3", 20_000, 1_000, 10).await.unwrap().iter().all(|j| j.id != a2));
    assert_eq!(store.wake("acct", "alice").await.unwrap(), 1);
    let woken = store.claim("w3", 20_000, 1_000, 10).await.unwrap();
    assert_eq!(woken.iter().find(|j| j.id == a2).and_then(|j| j.answer.clone()).as_deref(), Some("\"rest\""));

    // A dead worker's lease runs out and another worker takes the job.
    let stolen = store.claim("w4", 20_000 + 1_001, 1_000, 10).await.unwrap();
    assert!(stolen.iter().any(|j| j.id == a2), "an expired lease is reclaimed");
    assert!(!store.ack(a2, "w3").await.unwrap(), "the old holder lost the job");
    assert_eq!(stolen.iter().find(|j| j.id == a2).map(|j| j.attempts), Some(2));

    // Dead letters.
    assert!(store.kill(a2, "w4", "45015 window closed").await.unwrap());
    let dead = store.list(JobState::Dead, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("45015 window closed"));
    assert!(store.revive(a2).await.unwrap());
    assert!(!store.revive(a2).await.unwrap(), "only dead jobs are revived");
    assert_eq!(store.list(JobState::Ready, 10).await.unwrap().len(), 2);

    // Nothing to say: the job is finished without sending.
    let quiet = store.accept(job("k4", "carol")).await.unwrap();
    store.set_answer(quiet, None).await.unwrap();
    assert!(store.list(JobState::Done, 10).await.unwrap().iter().any(|j| j.id == quiet));

    assert!(store.remove(quiet).await.unwrap());
    assert!(!store.remove(quiet).await.unwrap());
    let fresh = store.accept(job("k4", "carol")).await.unwrap();
    assert_ne!(fresh, quiet, "a removed job's key can be accepted again");
}
