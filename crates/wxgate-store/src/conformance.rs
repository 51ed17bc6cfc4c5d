//! The conformance suite: every backend's tests call these, so all backends behave alike.
//!
//! Each function panics (with the rule it checks) on the first difference. Keys start with `conf:`, so a
//! suite can run against a store that holds other data.

use crate::outbox::{JobState, NewJob, OutboxStore};
use crate::{ConversationStore, Turn};

/// Conversations: empty by default, saved whole, per user, cleared on demand.
pub async fn conversations(store: &dyn ConversationStore) {
    assert!(store.load("acct", "alice").await.unwrap().is_empty());
    let turns = vec![Turn::new("user", "你好"), Turn::new("assistant", "hello")];
    store.save("acct", "alice", &turns).await.unwrap();
    assert_eq!(store.load("acct", "alice").await.unwrap(), turns);
    assert!(store.load("acct", "bob").await.unwrap().is_empty(), "users are apart");
    assert!(store.load("other", "alice").await.unwrap().is_empty(), "accounts are apart");
    store.save("acct", "alice", &turns[1..]).await.unwrap();
    assert_eq!(store.load("acct", "alice").await.unwrap(), turns[1..].to_vec(), "save replaces");
    store.clear("acct", "alice").await.unwrap();
    assert!(store.load("acct", "alice").await.unwrap().is_empty());
}

/// The ids of `jobs`, in order.
fn ids(jobs: Vec<crate::Job>) -> Vec<i64> {
    jobs.into_iter().map(|j| j.id).collect()
}

fn job(key: &str, openid: &str) -> NewJob {
    NewJob {
        account: "acct".into(),
        openid: openid.into(),
        dedup_key: key.into(),
        push: format!("<xml>{key}</xml>").into_bytes(),
        accepted_at: 1_000,
        lease: None,
        from_appid: None,
        not_before: 0,
    }
}

fn leased(key: &str, owner: &str, until: i64) -> NewJob {
    NewJob { lease: Some(crate::Lease { owner: owner.into(), until }), ..job(key, "dave") }
}

/// Awaited work and its owners: a job's lease is renewed by its owner, runs out when nobody renews it, and an
/// unowned or abandoned job is adopted by one process only; a restarted instance adopts its earlier life's jobs
/// at once; an answered job is free to be sent at once.
pub async fn outbox_adoption(store: &dyn OutboxStore) {
    let mine = store.accept(leased("a1", "p1#1", 10_000)).await.unwrap();
    let nobodys = store.accept(job("a2", "erin")).await.unwrap();
    let theirs = store.accept(leased("a3", "p2#1", 10_000)).await.unwrap();

    assert_eq!(ids(store.adopt("p3#1", None, 5_000, 20_000, 10).await.unwrap()), [nobodys], "only the unowned job");
    assert!(store.adopt("p4#1", None, 5_000, 10_000, 10).await.unwrap().is_empty(), "adopted once");
    assert_eq!(store.renew("p1#1", 20_000).await.unwrap(), 1, "the owner renews its lease");
    assert_eq!(ids(store.adopt("p3#1", None, 15_000, 10_000, 10).await.unwrap()), [theirs], "an abandoned job");
    assert_eq!(
        ids(store.adopt("p1#2", Some("p1#"), 16_000, 10_000, 10).await.unwrap()),
        [mine],
        "a restarted instance takes its earlier life's job before the lease runs out"
    );
    assert!(store.adopt("p1#2", Some("p1#"), 16_000, 10_000, 10).await.unwrap().is_empty(), "but not its own");
    assert_eq!(store.renew("p1#1", 30_000).await.unwrap(), 0, "the earlier life lost it");

    store.set_answer(mine, Some("\"answer\"".into())).await.unwrap();
    let claimed = store.claim("w", 16_000, 1_000, 10).await.unwrap();
    assert_eq!(ids(claimed), [mine], "an answered job is sent at once, whoever held it while it was awaited");
    assert_eq!(store.renew("p1#2", 40_000).await.unwrap(), 0, "answered jobs are not renewed");
    assert!(store.ack(mine, "w").await.unwrap());

    // A job accepted to be sent no earlier than a given time waits for it once answered, whatever the user sends.
    let held = store.accept(NewJob { not_before: 50_000, ..job("a4", "fay") }).await.unwrap();
    store.set_answer(held, Some("\"held\"".into())).await.unwrap();
    store.wake("acct", "fay").await.unwrap();
    assert!(store.claim("w", 49_999, 1_000, 10).await.unwrap().is_empty(), "not before its time");
    assert_eq!(ids(store.claim("w", 50_000, 1_000, 10).await.unwrap()), [held], "then at once");
}

/// The outbox rules: idempotent accept, per-user order, leases, acknowledgement by the holder only, retry
/// back-off, dead letters, revive and remove.
pub async fn outbox(store: &dyn OutboxStore) {
    let reused = store.accept(NewJob { from_appid: Some("wxreuse".into()), ..job("k0", "zoe") }).await.unwrap();
    let listed = store.list(JobState::Awaiting, 10).await.unwrap();
    assert_eq!(listed[0].from_appid.as_deref(), Some("wxreuse"), "the reusing account is kept with the push");
    assert!(store.remove(reused).await.unwrap());
    let a1 = store.accept(job("k1", "alice")).await.unwrap();
    assert_eq!(store.accept(job("k1", "alice")).await.unwrap(), a1, "accept is idempotent per dedup key");
    let a2 = store.accept(job("k2", "alice")).await.unwrap();
    let b1 = store.accept(job("k3", "bob")).await.unwrap();
    assert!(a1 < a2, "ids increase in acceptance order");
    assert_eq!(store.list(JobState::Awaiting, 10).await.unwrap().len(), 3);
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.awaiting, counts.ready, counts.sleeping, counts.dead), (3, 0, 0, 0), "{counts:?}");
    assert_eq!(counts.oldest_ready_accepted_at, None);
    assert_eq!(store.list(JobState::Awaiting, 10).await.unwrap()[0].push, b"<xml>k1</xml>", "the push is kept");

    // More follows a job when the same user has a later unfinished one.
    assert!(store.has_later("acct", "alice", a1).await.unwrap(), "alice's second job follows her first");
    assert!(!store.has_later("acct", "alice", a2).await.unwrap(), "nothing follows alice's last job");
    assert!(!store.has_later("acct", "bob", b1).await.unwrap(), "other users' jobs do not count");

    // Alice's second answer is ready first, but her first is still awaited: nothing of hers may go out.
    store.set_answer(a2, Some("\"second\"".into())).await.unwrap();
    store.set_answer(b1, Some("\"bob\"".into())).await.unwrap();
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.awaiting, counts.ready), (1, 2), "{counts:?}");
    assert!(counts.oldest_ready_accepted_at.is_some());
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

    // Partial progress is kept by the holder only; a sleeping job waits for the user's next message.
    assert!(store.set_remaining(a2, "w3", "\"rest\"").await.unwrap());
    assert!(!store.set_remaining(a2, "w9", "\"x\"").await.unwrap(), "only the holder records progress");
    assert!(!store.sleep(a2, "w9").await.unwrap(), "only the holder puts a job to sleep");
    assert!(store.sleep(a2, "w3").await.unwrap());
    assert_eq!(ids(store.list(JobState::Sleeping, 10).await.unwrap()), [a2]);
    assert_eq!(store.sleeping_users(10).await.unwrap(), [("acct".to_owned(), "alice".to_owned())]);
    assert!(store.claim("w3", 20_000, 1_000, 10).await.unwrap().iter().all(|j| j.id != a2), "asleep");
    assert_eq!(store.wake("acct", "alice").await.unwrap(), 1);
    let woken = store.claim("w3", 20_000, 1_000, 10).await.unwrap();
    let woken = woken.iter().find(|j| j.id == a2).expect("claimable once woken");
    assert_eq!(woken.answer.as_deref(), Some("\"rest\""));
    assert_eq!(woken.state, JobState::Sleeping, "the worker can tell it was waiting for the user");

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
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.sleeping, counts.dead), (0, 1), "{counts:?}");
    assert!(store.revive(a2).await.unwrap());
    assert!(!store.revive(a2).await.unwrap(), "only dead jobs are revived");
    assert_eq!(store.list(JobState::Ready, 10).await.unwrap().len(), 2);

    // Nothing to say: the job is finished without sending.
    let quiet = store.accept(job("k4", "carol")).await.unwrap();
    assert!(store.has_later("acct", "carol", quiet - 1).await.unwrap());
    store.set_answer(quiet, None).await.unwrap();
    assert!(!store.has_later("acct", "carol", quiet - 1).await.unwrap(), "finished jobs do not count");
    assert!(store.list(JobState::Done, 10).await.unwrap().iter().any(|j| j.id == quiet));

    assert!(store.remove(quiet).await.unwrap());
    assert!(!store.remove(quiet).await.unwrap());
    let fresh = store.accept(job("k4", "carol")).await.unwrap();
    assert_ne!(fresh, quiet, "a removed job's key can be accepted again");

    // A sleeping answer holds the user's later answers back, until it is woken and sent; a failed send of a
    // woken job backs off as Ready.
    let e1 = store.accept(job("k6", "erin")).await.unwrap();
    let e2 = store.accept(job("k7", "erin")).await.unwrap();
    store.set_answer(e1, Some("\"part two\"".into())).await.unwrap();
    store.set_answer(e2, Some("\"next\"".into())).await.unwrap();
    let erins = |jobs: Vec<crate::Job>| ids(jobs).into_iter().filter(|id| [e1, e2].contains(id)).collect::<Vec<_>>();
    assert_eq!(erins(store.claim("w5", 30_000, 1_000, 10).await.unwrap()), [e1]);
    assert!(store.sleep(e1, "w5").await.unwrap());
    assert!(store.has_later("acct", "erin", e1).await.unwrap());
    assert_eq!(erins(store.claim("w5", 30_000, 1_000, 10).await.unwrap()), [0; 0], "order holds while asleep");
    assert_eq!(store.wake("acct", "erin").await.unwrap(), 1, "the sleeping job (the one behind it was due)");
    assert_eq!(erins(store.claim("w5", 30_000, 1_000, 10).await.unwrap()), [e1]);
    assert!(store.retry(e1, "w5", 40_000, "errcode -1").await.unwrap());
    assert_eq!(store.list(JobState::Ready, 10).await.unwrap().iter().filter(|j| j.id == e1).count(), 1);
    assert_eq!(erins(store.claim("w5", 35_000, 1_000, 10).await.unwrap()), [0; 0], "back-off respected");
    assert_eq!(erins(store.claim("w5", 40_000, 1_000, 10).await.unwrap()), [e1]);
    assert!(store.ack(e1, "w5").await.unwrap());
    assert_eq!(erins(store.claim("w5", 40_000, 1_000, 10).await.unwrap()), [e2]);
    assert!(store.ack(e2, "w5").await.unwrap());
}

/// Claims in a long queue: a claim finds a due job behind many that may not go yet (a user's later answers) — 64
/// of them, so a store that reads its queue a chunk at a time must not skip what follows the jobs it took — a
/// job in flight is not claimed again while its lease holds, and is once the lease runs out.
pub async fn outbox_long_queue(store: &dyn OutboxStore) {
    let mut pauls = Vec::new();
    for n in 0..64 {
        let id = store.accept(job(&format!("k-paul-{n}"), "paul")).await.unwrap();
        store.set_answer(id, Some("\"paul\"".into())).await.unwrap();
        pauls.push(id);
    }
    let quinn = store.accept(job("k-quinn", "quinn")).await.unwrap();
    store.set_answer(quinn, Some("\"quinn\"".into())).await.unwrap();
    assert_eq!(ids(store.claim("w6", 50_000, 1_000, 2).await.unwrap()), [pauls[0], quinn], "each user's first");
    assert_eq!(ids(store.claim("w6", 50_000, 1_000, 2).await.unwrap()), [0; 0], "both in flight");
    assert!(store.ack(pauls[0], "w6").await.unwrap());
    assert_eq!(ids(store.claim("w7", 50_000, 1_000, 2).await.unwrap()), [pauls[1]]);
    assert_eq!(ids(store.claim("w7", 51_001, 1_000, 2).await.unwrap()), [pauls[1], quinn], "leases run out");
}

/// Many users asleep (more than a backend reads at once): `sleeping_users` names every one of them, up to its
/// limit, and no user whose job is not asleep.
pub async fn outbox_many_asleep(store: &dyn OutboxStore) {
    const USERS: usize = 2_500;
    for n in 0..USERS {
        let id = store.accept(job(&format!("k-asleep-{n}"), &format!("sleeper-{n:04}"))).await.unwrap();
        store.set_answer(id, Some("\"later\"".into())).await.unwrap();
    }
    let awake = store.accept(job("k-awake", "awake")).await.unwrap();
    store.set_answer(awake, Some("\"now\"".into())).await.unwrap();
    let claimed = store.claim("w8", 60_000, 1_000, USERS + 1).await.unwrap();
    assert_eq!(claimed.len(), USERS + 1, "every user's job is claimed");
    for j in claimed.iter().filter(|j| j.openid != "awake") {
        assert!(store.sleep(j.id, "w8").await.unwrap());
    }
    let mut users = store.sleeping_users(USERS + 10).await.unwrap();
    users.sort();
    let expected: Vec<(String, String)> = (0..USERS).map(|n| ("acct".to_owned(), format!("sleeper-{n:04}"))).collect();
    assert_eq!(users, expected, "every sleeping user, and only them");
    assert_eq!(store.sleeping_users(1_234).await.unwrap().len(), 1_234, "up to the limit");
    assert!(store.sleeping_users(0).await.unwrap().is_empty());
}

fn tok(token: &str, expires_at_ms: u64) -> crate::StoredToken {
    crate::StoredToken { token: token.into(), expires_at_ms, obtained_at_ms: expires_at_ms.saturating_sub(7_200_000) }
}

/// The token store rules: put-if-newer, compare-and-invalidate, no resurrection of an invalidated token, keys
/// kept apart, and the refresh lease (exclusive, renewable by its holder, expiring, released only by its holder).
pub async fn token_store(store: &dyn crate::TokenStore) {
    let key = "conf:wxA:stable";
    assert_eq!(store.get(key).await.unwrap(), None, "empty at first");
    assert!(store.put_if_newer(key, &tok("T1", 10_000)).await.unwrap(), "the first token is stored");
    assert_eq!(store.get(key).await.unwrap(), Some(tok("T1", 10_000)));
    assert!(!store.put_if_newer(key, &tok("T0", 9_000)).await.unwrap(), "an older token never overwrites");
    assert!(!store.put_if_newer(key, &tok("T0", 10_000)).await.unwrap(), "nor one expiring at the same time");
    assert!(!store.put_if_newer(key, &tok("T1", 12_000)).await.unwrap(), "the same token is not stored twice");
    assert!(store.put_if_newer(key, &tok("T2", 20_000)).await.unwrap(), "a newer token replaces");
    assert_eq!(store.get(key).await.unwrap().map(|t| t.token), Some("T2".into()));

    assert!(!store.invalidate(key, "T1", 5_000).await.unwrap(), "invalidating an old token keeps the newer one");
    assert_eq!(store.get(key).await.unwrap().map(|t| t.token), Some("T2".into()));
    assert!(store.invalidate(key, "T2", 5_000).await.unwrap(), "the used token is invalidated");
    assert_eq!(store.get(key).await.unwrap(), None, "an invalidated token is not handed out");
    assert!(!store.invalidate(key, "T2", 5_000).await.unwrap(), "invalidation happens once");
    assert!(!store.put_if_newer(key, &tok("T2", 30_000)).await.unwrap(), "an invalidated token is not brought back");
    assert!(store.put_if_newer(key, &tok("T3", 15_000)).await.unwrap(), "any other token replaces an invalidated one");
    assert_eq!(store.get(key).await.unwrap(), Some(tok("T3", 15_000)));
    assert!(store.invalidate(key, "T3", 5_000).await.unwrap());
    let again = crate::StoredToken { token: "T3".into(), expires_at_ms: 16_000, obtained_at_ms: 6_000 };
    assert!(store.put_if_newer(key, &again).await.unwrap(), "the same token obtained after invalidation is valid");
    assert_eq!(store.get(key).await.unwrap(), Some(again));

    assert_eq!(store.get("conf:wxB:stable").await.unwrap(), None, "keys are separate");
    assert_eq!(store.get("conf:wxA:classic").await.unwrap(), None, "endpoints are separate");

    let lease = "conf:wxA:lease";
    assert!(store.try_lease(lease, "p1", 1_000, 500).await.unwrap(), "a free lease is taken");
    assert!(!store.try_lease(lease, "p2", 1_200, 500).await.unwrap(), "a held lease is exclusive");
    assert!(store.try_lease(lease, "p1", 1_300, 500).await.unwrap(), "the holder renews");
    assert!(!store.try_lease(lease, "p2", 1_700, 500).await.unwrap(), "the renewal counts from its time");
    assert!(store.try_lease(lease, "p2", 1_800, 500).await.unwrap(), "an expired lease is taken over");
    store.release_lease(lease, "p1").await.unwrap();
    assert!(!store.try_lease(lease, "p3", 1_900, 500).await.unwrap(), "only the holder releases");
    store.release_lease(lease, "p2").await.unwrap();
    assert!(store.try_lease(lease, "p3", 1_900, 500).await.unwrap(), "a released lease is free");
    store.release_lease(lease, "p3").await.unwrap();
}

/// Two handles on the same storage (two processes on one SQLite file, two Redis clients) see each other's
/// tokens and leases.
pub async fn token_store_shared(a: &dyn crate::TokenStore, b: &dyn crate::TokenStore) {
    let key = "conf:shared:stable";
    assert!(a.put_if_newer(key, &tok("S1", 50_000)).await.unwrap());
    assert_eq!(b.get(key).await.unwrap().map(|t| t.token), Some("S1".into()), "b sees a's token");
    assert!(!b.put_if_newer(key, &tok("S0", 40_000)).await.unwrap(), "b cannot overwrite with an older token");
    assert!(b.invalidate(key, "S1", 5_000).await.unwrap());
    assert_eq!(a.get(key).await.unwrap(), None, "a sees b's invalidation");
    let lease = "conf:shared:lease";
    assert!(a.try_lease(lease, "pa", 1_000, 10_000).await.unwrap());
    assert!(!b.try_lease(lease, "pb", 2_000, 10_000).await.unwrap(), "b waits for a's lease");
    a.release_lease(lease, "pa").await.unwrap();
    assert!(b.try_lease(lease, "pb", 2_000, 10_000).await.unwrap());
    b.release_lease(lease, "pb").await.unwrap();
}

/// The media cache rules: keyed by account, hash and type; entries expire; compare-and-remove.
pub async fn media_cache(cache: &dyn crate::MediaCache) {
    use crate::{CachedMedia, MediaKey};
    let key = |account: &str, media_type: &str| MediaKey {
        account: account.into(),
        content_hash: "ab12".into(),
        media_type: media_type.into(),
    };
    let m1 = CachedMedia { media_id: "M1".into(), expires_at_ms: 10_000 };
    assert_eq!(cache.get(&key("wxA", "image"), 0).await.unwrap(), None);
    cache.put(&key("wxA", "image"), &m1).await.unwrap();
    assert_eq!(cache.get(&key("wxA", "image"), 9_999).await.unwrap(), Some(m1.clone()));
    assert_eq!(cache.get(&key("wxA", "image"), 10_000).await.unwrap(), None, "expired at expires_at_ms");
    assert_eq!(cache.get(&key("wxB", "image"), 0).await.unwrap(), None, "accounts are separate");
    assert_eq!(cache.get(&key("wxA", "thumb"), 0).await.unwrap(), None, "media types are separate");
    let m2 = CachedMedia { media_id: "M2".into(), expires_at_ms: 20_000 };
    cache.put(&key("wxA", "image"), &m2).await.unwrap();
    assert_eq!(cache.get(&key("wxA", "image"), 15_000).await.unwrap(), Some(m2), "a new upload replaces");
    assert!(!cache.remove(&key("wxA", "image"), "M1").await.unwrap(), "removing a stale id keeps the new one");
    assert!(cache.remove(&key("wxA", "image"), "M2").await.unwrap());
    assert_eq!(cache.get(&key("wxA", "image"), 0).await.unwrap(), None);
}

/// The claim rules: the first owner wins and others find it held; the owner may claim again (renewing); a lease
/// renewed lives on, one not renewed is taken over; a result ends the lease, is seen by everyone, and is kept once.
pub async fn work_claims(claims: &dyn crate::WorkClaims) {
    use crate::Claim;
    use std::time::Duration;
    // Leases of 1 s, looked at 0.6 s apart: each check holds with 0.4 s to spare for a slow machine.
    const LEASE: u64 = 1000;
    let pause = || tokio::time::sleep(Duration::from_millis(600));
    assert_eq!(claims.claim("conf:c1", "a", LEASE).await.unwrap(), Claim::Won, "the first claim wins");
    assert_eq!(claims.claim("conf:c1", "b", LEASE).await.unwrap(), Claim::Held, "another owner finds it held");
    assert_eq!(claims.claim("conf:c1", "a", LEASE).await.unwrap(), Claim::Won, "the owner may claim again");
    assert_eq!(claims.claim("conf:c2", "b", LEASE).await.unwrap(), Claim::Won, "pushes are apart");
    pause().await;
    let (c1, c2, c3) = ("conf:c1".to_owned(), "conf:c2".to_owned(), "conf:c3".to_owned());
    let both = [c1.clone(), c3.clone()];
    assert_eq!(claims.renew_claims(&both, "a", LEASE).await.unwrap(), [true, false], "the owner renews what it holds");
    assert_eq!(claims.renew_claims(&both, "b", LEASE).await.unwrap(), [false, false], "another owner cannot renew");
    assert_eq!(claims.renew_claims(&[], "a", LEASE).await.unwrap(), [false; 0], "nothing to renew");
    pause().await;
    assert_eq!(claims.claim("conf:c1", "b", LEASE).await.unwrap(), Claim::Held, "a renewed lease lives on");
    assert_eq!(claims.claim("conf:c2", "a", LEASE).await.unwrap(), Claim::Won, "a lease not renewed is taken over");
    assert_eq!(claims.renew_claims(&[c2], "b", LEASE).await.unwrap(), [false], "the old owner has lost it");
    claims.finish_claim("conf:c1", "a", "result one", LEASE).await.unwrap();
    assert_eq!(claims.claim("conf:c1", "b", LEASE).await.unwrap(), Claim::Finished("result one".into()));
    assert_eq!(claims.renew_claims(&[c1], "a", LEASE).await.unwrap(), [false], "a result ends the lease");
    claims.finish_claim("conf:c1", "b", "result two", LEASE).await.unwrap();
    assert_eq!(
        claims.claim("conf:c1", "a", LEASE).await.unwrap(),
        Claim::Finished("result one".into()),
        "the first result stays"
    );
    pause().await;
    pause().await;
    assert_eq!(claims.claim("conf:c1", "b", LEASE).await.unwrap(), Claim::Won, "a result is forgotten after its time");
}

/// The attempt counter rules: numbers count up from 1 per key, keys are apart, and a count is forgotten after
/// its time to live (the suite waits for that, so keep `ttl_ms` short: it uses 300 ms).
pub async fn attempt_counter(counter: &dyn crate::AttemptCounter) {
    assert_eq!(counter.count_attempt("conf:push-1", 300).await.unwrap(), 1, "the first attempt");
    assert_eq!(counter.count_attempt("conf:push-1", 300).await.unwrap(), 2, "a retry");
    assert_eq!(counter.count_attempt("conf:push-2", 300).await.unwrap(), 1, "pushes are apart");
    assert_eq!(counter.count_attempt("conf:push-1", 300).await.unwrap(), 3, "the time to live runs from the first");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(counter.count_attempt("conf:push-1", 300).await.unwrap(), 1, "forgotten after its time");
}

/// The replay rule: a query's first body is kept for its time to live; the same body again is a retry, another
/// one a replay; queries are apart.
pub async fn replay_guard(guard: &dyn crate::ReplayGuard) {
    assert!(guard.first_body("conf:q1", "body-a", 300).await.unwrap(), "the first body");
    assert!(guard.first_body("conf:q1", "body-a", 300).await.unwrap(), "the same body again: a retry");
    assert!(!guard.first_body("conf:q1", "body-b", 300).await.unwrap(), "another body: a replay");
    assert!(guard.first_body("conf:q2", "body-b", 300).await.unwrap(), "queries are apart");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(guard.first_body("conf:q1", "body-b", 300).await.unwrap(), "forgotten after its time");
}

/// The window rules: none until put, replaced whole, spent down to zero and no further, users apart.
pub async fn windows(store: &dyn crate::WindowStore) {
    use crate::StoredWindow;
    assert_eq!(store.window("acct", "conf-alice").await.unwrap(), None, "none until an interaction");
    store.spend("acct", "conf-alice").await.unwrap();
    assert_eq!(store.window("acct", "conf-alice").await.unwrap(), None, "spending opens nothing");
    store.put_window("acct", "conf-alice", StoredWindow { until: 10_000, remaining: 2 }).await.unwrap();
    assert_eq!(store.window("acct", "conf-bob").await.unwrap(), None, "users are apart");
    assert_eq!(store.window("other", "conf-alice").await.unwrap(), None, "accounts are apart");
    for _ in 0..3 {
        store.spend("acct", "conf-alice").await.unwrap();
    }
    let spent = store.window("acct", "conf-alice").await.unwrap();
    assert_eq!(spent, Some(StoredWindow { until: 10_000, remaining: 0 }), "never below zero");
    store.put_window("acct", "conf-alice", StoredWindow { until: 20_000, remaining: 5 }).await.unwrap();
    assert_eq!(store.window("acct", "conf-alice").await.unwrap(), Some(StoredWindow { until: 20_000, remaining: 5 }));
}
