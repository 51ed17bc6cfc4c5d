//! The Redis backend against a real `redis-server`: the conformance suite every backend runs, two handles
//! (two replicas) sharing tokens and leases, and concurrent claims from several replicas never taking a job twice.

use std::collections::HashSet;

use wxgate_store::{JobState, NewJob, OutboxStore, conformance};
use wxgate_store_redis::RedisStore;
use wxgate_store_redis::testing::TestRedis;

/// An unleased job of `openid` in account `acct`.
fn job(openid: &str, key: &str) -> NewJob {
    NewJob {
        account: "acct".into(),
        openid: openid.into(),
        dedup_key: key.into(),
        push: Vec::new(),
        accepted_at: 1,
        lease: None,
        from_appid: None,
        not_before: 0,
    }
}

async fn store(redis: &TestRedis, name: &str) -> RedisStore {
    RedisStore::connect(redis.url(), &TestRedis::prefix(name)).await.expect("connect to the test redis")
}

#[tokio::test]
async fn conforms() {
    let Some(redis) = TestRedis::start() else { return };
    conformance::outbox(&store(&redis, "outbox").await).await;
    conformance::outbox_adoption(&store(&redis, "adoption").await).await;
    conformance::outbox_long_queue(&store(&redis, "long-queue").await).await;
    conformance::outbox_many_asleep(&store(&redis, "many-asleep").await).await;
    conformance::conversations(&store(&redis, "conversations").await).await;
    conformance::token_store(&store(&redis, "tokens").await).await;
    conformance::media_cache(&store(&redis, "media").await).await;
    let (a, b) = (store(&redis, "shared").await, store(&redis, "shared").await);
    conformance::token_store_shared(&a, &b).await;
    conformance::attempt_counter(&store(&redis, "attempts").await).await;
    conformance::work_claims(&store(&redis, "claims").await).await;
    conformance::windows(&store(&redis, "windows").await).await;
    conformance::replay_guard(&store(&redis, "replay").await).await;
}

#[tokio::test]
async fn prefixes_keep_deployments_apart() {
    let Some(redis) = TestRedis::start() else { return };
    let (a, b) = (store(&redis, "one").await, store(&redis, "two").await);
    let job = NewJob { push: b"<xml/>".to_vec(), ..job("o", "same") };
    a.accept(job.clone()).await.unwrap();
    b.accept(job).await.unwrap();
    assert_eq!(a.list(JobState::Awaiting, 10).await.unwrap().len(), 1);
    assert_eq!(b.list(JobState::Awaiting, 10).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_claiming_at_once_never_take_a_job_twice() {
    let Some(redis) = TestRedis::start() else { return };
    let first = store(&redis, "race").await;
    const USERS: usize = 50;
    for u in 0..USERS {
        for m in 0..2 {
            let id = first.accept(job(&format!("user{u}"), &format!("k{u}-{m}"))).await.unwrap();
            first.set_answer(id, Some(format!("\"{u}-{m}\""))).await.unwrap();
        }
    }
    // Four replicas, each with its own connection, claim and acknowledge until nothing is left.
    let mut tasks = Vec::new();
    for r in 0..4 {
        let replica = store(&redis, "race").await;
        tasks.push(tokio::spawn(async move {
            let worker = format!("replica{r}");
            let mut sent = Vec::new();
            let mut idle = 0;
            while idle < 20 {
                let jobs = replica.claim(&worker, 1_000, 60_000, 7).await.unwrap();
                idle = if jobs.is_empty() { idle + 1 } else { 0 };
                for j in jobs {
                    assert!(replica.ack(j.id, &worker).await.unwrap(), "the claimant holds the job");
                    sent.push(j.answer.unwrap());
                }
                tokio::task::yield_now().await;
            }
            sent
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), USERS * 2, "every job sent once");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), USERS * 2, "no job sent twice");
    assert_eq!(first.list(JobState::Done, 1_000).await.unwrap().len(), USERS * 2);
}

/// The script calls the server has run so far (`INFO commandstats`).
async fn script_calls(redis: &TestRedis) -> u64 {
    let mut conn = redis::Client::open(redis.url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut conn).await.unwrap();
    let line = info.lines().find(|l| l.starts_with("cmdstat_evalsha:")).unwrap_or_default();
    line.split(['=', ',']).nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn acknowledgements_arriving_together_go_in_few_calls_and_each_gets_its_own_answer() {
    let Some(redis) = TestRedis::start() else { return };
    let s = store(&redis, "acks").await;
    const JOBS: usize = 100;
    for u in 0..JOBS {
        let id = s.accept(job(&format!("user{u}"), &format!("k{u}"))).await.unwrap();
        s.set_answer(id, Some("\"x\"".into())).await.unwrap();
    }
    let jobs = s.claim("w", 1_000, 60_000, JOBS).await.unwrap();
    assert_eq!(jobs.len(), JOBS);
    // The script is loaded (a job nobody holds is not acknowledged), so each call below is one EVALSHA.
    assert!(!s.ack(jobs[0].id, "nobody").await.unwrap());
    let before = script_calls(&redis).await;
    // Every other job is acknowledged by a worker that does not hold it. All are spawned before any runs (one
    // thread), so they arrive while the first call is under way.
    let acks: Vec<_> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let (s, id) = (s.clone(), j.id);
            tokio::spawn(async move { s.ack(id, if i % 2 == 0 { "w" } else { "other" }).await.unwrap() })
        })
        .collect();
    for (i, ack) in acks.into_iter().enumerate() {
        assert_eq!(ack.await.unwrap(), i % 2 == 0, "job {i}: acknowledged only by its holder");
    }
    let calls = script_calls(&redis).await - before;
    assert!((1..=3).contains(&calls), "{JOBS} acknowledgements took {calls} script calls");
    assert_eq!(s.list(JobState::Done, 1_000).await.unwrap().len(), JOBS / 2);
    assert_eq!(s.list(JobState::Ready, 1_000).await.unwrap().len(), JOBS / 2, "the others are still held");
}

#[tokio::test]
async fn a_users_second_job_waits_for_the_first_to_be_acknowledged() {
    let Some(redis) = TestRedis::start() else { return };
    let s = store(&redis, "order").await;
    let mut ids = Vec::new();
    for m in 0..2 {
        let id = s.accept(job("o", &format!("k{m}"))).await.unwrap();
        s.set_answer(id, Some("\"x\"".into())).await.unwrap();
        ids.push(id);
    }
    let a = s.claim("a", 1_000, 60_000, 10).await.unwrap();
    assert_eq!(a.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[0]]);
    assert!(s.claim("b", 1_000, 60_000, 10).await.unwrap().is_empty(), "the second waits while the first is leased");
    assert!(s.ack(ids[0], "a").await.unwrap());
    let b = s.claim("b", 1_000, 60_000, 10).await.unwrap();
    assert_eq!(b.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[1]]);
}

/// Two replicas spooled one user's answers while Redis was away and forward them in the opposite order: each job
/// takes its place by its acceptance time, and the wait it is forwarded with lets the older one arrive before the
/// later one may go out.
#[tokio::test]
async fn jobs_forwarded_late_take_their_place_by_acceptance_time() {
    let Some(redis) = TestRedis::start() else { return };
    let s = store(&redis, "forwarded").await;
    let later = s.accept(NewJob { accepted_at: 2_000, not_before: 10_000, ..job("o", "q1") }).await.unwrap();
    s.set_answer(later, Some("\"q1\"".into())).await.unwrap();
    assert!(s.claim("w", 9_999, 60_000, 10).await.unwrap().is_empty(), "a forwarded answer waits");
    let earlier = s.accept(NewJob { accepted_at: 1_000, not_before: 10_500, ..job("o", "q0") }).await.unwrap();
    s.set_answer(earlier, Some("\"q0\"".into())).await.unwrap();
    assert!(s.claim("w", 10_000, 60_000, 10).await.unwrap().is_empty(), "the later one waits for the older one");
    let first = s.claim("w", 10_500, 60_000, 10).await.unwrap();
    assert_eq!(first.iter().map(|j| j.id).collect::<Vec<_>>(), [earlier], "the older one goes first");
    assert!(s.ack(earlier, "w").await.unwrap());
    let second = s.claim("w", 10_500, 60_000, 10).await.unwrap();
    assert_eq!(second.iter().map(|j| j.id).collect::<Vec<_>>(), [later]);
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = RedisStore::connect(&format!("redis://127.0.0.1:{port}/"), "x:").await.unwrap_err();
    assert!(e.to_string().contains("storage backend failed"), "{e}");
    assert!(RedisStore::connect("http://not-redis", "x:").await.is_err(), "a URL that is not Redis");
}

/// The users with answers asleep are read from an index of their own (one range per page instead of a lookup per
/// job), which forgets a job once it no longer sleeps; a job put to sleep by a version that kept no such index is
/// still found, and indexed when it is.
#[tokio::test]
async fn the_users_asleep_are_read_from_their_index_and_it_forgets_them() {
    let Some(redis) = TestRedis::start() else { return };
    let prefix = TestRedis::prefix("sleepers");
    let s = RedisStore::connect(redis.url(), &prefix).await.unwrap();
    let mut raw = redis::Client::open(redis.url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let sleepers = format!("{prefix}sleepers");
    let mut ids = Vec::new();
    for user in ["ann", "bob", "cy"] {
        let id = s.accept(job(user, user)).await.unwrap();
        s.set_answer(id, Some("\"x\"".into())).await.unwrap();
        ids.push(id);
    }
    assert_eq!(s.claim("w", 1_000, 60_000, 10).await.unwrap().len(), 3);
    for &id in &ids {
        assert!(s.sleep(id, "w").await.unwrap());
    }
    let indexed: i64 = redis::cmd("ZCARD").arg(&sleepers).query_async(&mut raw).await.unwrap();
    assert_eq!(indexed, 3);
    // Bob's as an older version left it.
    let _: i64 =
        redis::cmd("ZREMRANGEBYSCORE").arg(&sleepers).arg(ids[1]).arg(ids[1]).query_async(&mut raw).await.unwrap();
    let asleep = |names: &[&str]| names.iter().map(|n| ("acct".to_owned(), n.to_string())).collect::<Vec<_>>();
    let mut users = s.sleeping_users(10).await.unwrap();
    users.sort();
    assert_eq!(users, asleep(&["ann", "bob", "cy"]));

    assert!(s.remove(ids[2]).await.unwrap());
    assert_eq!(s.wake("acct", "ann").await.unwrap(), 1);
    let woken = s.claim("w", 2_000, 60_000, 10).await.unwrap();
    assert_eq!(woken.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[0]]);
    assert!(s.ack(ids[0], "w").await.unwrap());
    let indexed: i64 = redis::cmd("ZCARD").arg(&sleepers).query_async(&mut raw).await.unwrap();
    assert_eq!(indexed, 1, "sent and removed jobs leave the index; bob's is back");
    assert_eq!(s.sleeping_users(10).await.unwrap(), asleep(&["bob"]));
}
