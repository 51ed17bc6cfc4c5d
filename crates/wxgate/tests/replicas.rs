//! Several replicas on one Redis: two real `wxgate serve` processes share the outbox, the access token and the
//! conversations. Each user's first message goes to replica A, which is killed with `kill -9` while the model
//! still thinks; the next ones go to replica B. B adopts the pushes A left once A's lease runs out and works
//! them again (only those: B's own are not redone). Every user receives every answer exactly once and in
//! order, across both replicas, and the platform issued one access token. Behind a round-robin balancer that
//! spreads one push's three attempts over both replicas, the last attempt is still known as the last (the
//! count is kept in Redis) and hands the slow answer over: no system notice, one answer. A long answer uses the
//! user's quota of 5 messages whichever replica sends it, and the rest follows the user's next message even
//! when that message reaches the other replica.
//!
//! With every attempt alternating between the replicas and answers taking 0.1 to 20 s, each push's work runs
//! once (the replica that saw it first claims it in Redis; the other waits for its result), and when a replica is
//! killed mid-run only the pushes it held run again.

mod common;

use std::time::Duration;

use common::{
    Server, answers, assert_one_answer_each_in_order, free_port, round_robin, serve, text_parts, wait_for_answers,
    wait_healthy,
};
use wxgate_llm::fake::FakeModel;
use wxgate_sim::{Account, Item, Settings, Simulator, Verdict};
use wxgate_store::{JobState, OutboxStore};
use wxgate_store_redis::RedisStore;
use wxgate_store_redis::testing::TestRedis;

const APPID: &str = "wx2c2769f8efd9abc2";
const GH: &str = "gh_0123456789ab";
const TOKEN: &str = "replica-token";
const USERS: usize = 3;
const MESSAGES: usize = 3;

/// A replica's config: the same account, model and Redis for every replica, its own port.
fn replica_config(
    dir: &std::path::Path,
    name: &str,
    sim: &Simulator,
    model: &FakeModel,
    redis: &str,
    deadline: &str,
) -> (u16, std::path::PathBuf) {
    let port = free_port();
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nbackend = \"redis\"\nurl = \"{redis}\"\nprefix = \"{}\"\nwork_lease_ms = 2000\n\
             spool = \"{}\"\n\
             [[accounts]]\nname = \"acct\"\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\n\
             secret = \"replica-secret\"\napi_base = \"{}\"\ndeadline = {{ {deadline} }}\n\
             [accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\nstream = false\nrate_per_minute = 100\n\
             [[accounts.rules]]\nkeyword = \"继续\"\nreply = {{ type = \"text\", content = \"好的\" }}\n",
            TestRedis::prefix("replicas"),
            dir.join(format!("{name}-spool.sqlite")).display(),
            sim.base_url(),
            model.base_url()
        ),
    )
    .unwrap();
    (port, config)
}

async fn start(config: &std::path::Path, port: u16) -> Server {
    let server = serve(config);
    wait_healthy(port).await;
    server
}

/// The push URL of the server on `port`.
fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/wx")
}

/// Replicas A and B of the account, running on one Redis, and the directory of their configs and logs.
struct Pair {
    dir: std::path::PathBuf,
    config_a: std::path::PathBuf,
    port_a: u16,
    port_b: u16,
    a: Server,
    _b: Server,
}

impl Pair {
    async fn start(name: &str, sim: &Simulator, model: &FakeModel, redis: &str, deadline: &str) -> Pair {
        let dir = std::env::temp_dir().join(format!("wxgate-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (port_a, config_a) = replica_config(&dir, "a", sim, model, redis, deadline);
        let (port_b, config_b) = replica_config(&dir, "b", sim, model, redis, deadline);
        let (a, _b) = (start(&config_a, port_a).await, start(&config_b, port_b).await);
        Pair { dir, config_a, port_a, port_b, a, _b }
    }
}

async fn send_round(sim: &Simulator, users: &[String], m: usize) {
    for u in users {
        let outcome = sim.user(APPID, u).send_text(&format!("question {m}")).await.unwrap();
        assert!(matches!(outcome.verdict, Verdict::Nothing), "{u} message {m}: {:?}", outcome.verdict);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_the_outbox_and_the_token() {
    let Some(redis) = TestRedis::start() else { return };
    let model = FakeModel::start().await.unwrap();
    model.set_delay(Duration::from_millis(1500));
    let settings = Settings { push_attempts: 1, ..Settings::default() };
    let sim = Simulator::builder().settings(settings).start().await.unwrap();
    let mut pair = Pair::start("replicas", &sim, &model, redis.url(), "budget_ms = 300, attempts = 1").await;
    sim.add_account(Account::new(APPID, "replica-secret", GH, TOKEN).with_url(url(pair.port_a))).unwrap();
    let users: Vec<String> = (0..USERS).map(|u| format!("oReplicaUser{u:016}")).collect();
    for u in &users {
        sim.add_user(APPID, u).unwrap();
    }

    // The first message of every user reaches A, which dies while the model still thinks.
    send_round(&sim, &users, 0).await;
    pair.a.kill();
    let store = RedisStore::connect(redis.url(), &TestRedis::prefix("replicas")).await.unwrap();
    let awaiting = store.list(JobState::Awaiting, 100).await.unwrap();
    assert!(
        awaiting.iter().any(|j| String::from_utf8_lossy(&j.push).contains("question 0")),
        "A died with work in hand: {awaiting:?}"
    );
    // The next ones reach B (were they sent to A, the dead replica would fail the push).
    sim.set_url(APPID, url(pair.port_b)).unwrap();
    for m in 1..MESSAGES {
        send_round(&sim, &users, m).await;
    }

    // B answers its own pushes, but a user's later answers wait in the shared queue behind the first, which
    // A left unfinished, until A's lease has run out and B has adopted it.
    wait_for_answers(&sim, APPID, &users, MESSAGES).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_one_answer_each_in_order(&sim, APPID, &users, MESSAGES);
    assert_eq!(sim.counters().tokens_issued, 1, "the replicas shared one access token");
    let asked = model.requests().len();
    assert!(asked <= USERS * MESSAGES + USERS, "only A's unfinished pushes were worked again: {asked} model calls");
    assert!(store.list(JobState::Awaiting, 100).await.unwrap().is_empty());
    std::fs::remove_dir_all(&pair.dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_whose_attempts_are_spread_over_replicas_is_answered_once() {
    let Some(redis) = TestRedis::start() else { return };
    let model = FakeModel::start().await.unwrap();
    // Longer than WeChat's three attempts (2 s each here): the last attempt must hand the answer over.
    model.set_delay(Duration::from_millis(6500));
    let settings = Settings { push_timeout: Duration::from_secs(2), ..Settings::default() };
    let sim = Simulator::builder().settings(settings).start().await.unwrap();
    let pair = Pair::start("spread", &sim, &model, redis.url(), "budget_ms = 1200, attempts = 3").await;
    let balancer = round_robin(vec![pair.port_a, pair.port_b]).await;
    let account = Account::new(APPID, "replica-secret", GH, TOKEN).with_url(format!("http://127.0.0.1:{balancer}/wx"));
    sim.add_account(account).unwrap();
    let user = "oSpreadUser0000000000000000";
    sim.add_user(APPID, user).unwrap();

    // Attempts go to A, B, then A again: A has seen two, but the shared count knows this is the third.
    let outcome = sim.user(APPID, user).send_text("a slow question").await.unwrap();
    assert!(matches!(outcome.verdict, Verdict::Nothing), "the last attempt answered: {:?}", outcome.verdict);
    sim.user(APPID, user)
        .wait_for(Duration::from_secs(20), |t| t.iter().any(|e| matches!(e.item, Item::CustomerService { .. })))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let transcript = sim.transcript(APPID, user);
    assert!(transcript.iter().all(|e| !matches!(e.item, Item::SystemNotice { .. })), "no system notice");
    let got = answers(&sim, APPID, user);
    assert_eq!(got.len(), 1, "one answer: {got:?}");
    assert!(got[0].starts_with("echo: a slow question"), "{got:?}");
    assert_eq!(model.requests().len(), 1, "B waited for A's work instead of asking the model again");
    std::fs::remove_dir_all(&pair.dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_of_a_long_answer_follows_a_next_message_sent_to_the_other_replica() {
    let Some(redis) = TestRedis::start() else { return };
    let model = FakeModel::start().await.unwrap();
    let paragraph = "Replicas share the customer-service window and its quota of five messages. ".repeat(8) + "\n\n";
    let long = paragraph.repeat(22);
    model.set_answer(Some(long.clone()));
    let settings = Settings { push_attempts: 1, ..Settings::default() };
    let sim = Simulator::builder().settings(settings).start().await.unwrap();
    let pair = Pair::start("quota", &sim, &model, redis.url(), "budget_ms = 300, attempts = 1").await;
    sim.add_account(Account::new(APPID, "replica-secret", GH, TOKEN).with_url(url(pair.port_a))).unwrap();
    let user = "oQuotaUser00000000000000000";
    sim.add_user(APPID, user).unwrap();
    let parts = text_parts(&long);
    assert!(parts.len() > 5, "longer than one window's quota: {} parts", parts.len());

    let outcome = sim.user(APPID, user).send_text("tell me everything").await.unwrap();
    assert!(matches!(outcome.verdict, Verdict::Nothing), "{:?}", outcome.verdict);
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    sim.user(APPID, user)
        .wait_for(Duration::from_secs(20), |t| t.iter().filter(|e| is_cs(e)).count() >= 5)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(answers(&sim, APPID, user).len(), 5, "one window's quota, whichever replica sent them");

    // The next message reaches B; the rest goes out after it, from whichever replica claims it.
    sim.set_url(APPID, url(pair.port_b)).unwrap();
    let outcome = sim.user(APPID, user).send_text("继续").await.unwrap();
    assert!(matches!(outcome.verdict, Verdict::Reply(_)), "{:?}", outcome.verdict);
    sim.user(APPID, user)
        .wait_for(Duration::from_secs(20), |t| t.iter().filter(|e| is_cs(e)).count() >= parts.len())
        .await
        .unwrap_or_else(|e| panic!("the rest follows the next message: {e}"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = answers(&sim, APPID, user);
    assert_eq!(got.len(), parts.len(), "nothing twice");
    for (i, (got, part)) in got.iter().zip(&parts).enumerate() {
        assert!(got.starts_with(part.as_str()), "part {i} in order");
    }
    assert!(got[4].ends_with(wxgate_server::CONTINUE_HINT), "the fifth says how to continue");
    std::fs::remove_dir_all(&pair.dir).ok();
}

/// The question a model request asks (its last user message).
fn question(request: &serde_json::Value) -> String {
    let messages = request["messages"].as_array().expect("messages");
    let last = messages.iter().rev().find(|m| m["role"] == "user").expect("a user message");
    last["content"].as_str().unwrap_or_default().to_owned()
}

/// How long the model thinks about each question, in turn: passive in the first attempt, in a retry, handed off
/// on the last attempt, and long after it.
const THINK_MS: [u64; 6] = [100, 1500, 3000, 5000, 9000, 20_000];

/// Every answer a user saw, passive or by customer service, in order.
fn all_answers(sim: &Simulator, user: &str) -> Vec<String> {
    sim.transcript(APPID, user)
        .iter()
        .filter_map(|e| match &e.item {
            Item::PassiveReply { text: Some(t), .. } | Item::CustomerService { text: Some(t), .. } => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// `users` each send `MESSAGES` questions one after another (the next once WeChat is done with the previous),
/// all users at once, through a balancer alternating between the replicas; `meanwhile` runs beside them. Every
/// question is answered exactly once, the answers sent late in the order of the questions, and no user sees the
/// system notice.
async fn alternating_run(sim: &Simulator, users: &[String], meanwhile: impl std::future::Future<Output = ()>) {
    let sending = users.iter().enumerate().map(|(u, user)| async move {
        for m in 0..MESSAGES {
            let think = THINK_MS[(u + m) % THINK_MS.len()];
            sim.user(APPID, user).send_text(&format!("question {m} think {think}ms")).await.unwrap();
        }
    });
    tokio::join!(futures_util::future::join_all(sending), meanwhile);
    for user in users {
        sim.user(APPID, user)
            .wait_for(Duration::from_secs(60), |t| {
                t.iter().filter(|e| matches!(e.item, Item::PassiveReply { .. } | Item::CustomerService { .. })).count()
                    >= MESSAGES
            })
            .await
            .unwrap_or_else(|e| panic!("{user}: {e}; answered so far: {:?}", all_answers(sim, user)));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for user in users {
        let transcript = sim.transcript(APPID, user);
        assert!(transcript.iter().all(|e| !matches!(e.item, Item::SystemNotice { .. })), "{user}: no notice");
        // Answers sent by customer service keep the order of the questions (a passive one may come between).
        let late = answers(sim, APPID, user);
        assert!(late.is_sorted(), "{user}: late answers in order: {late:?}");
        let mut got = all_answers(sim, user);
        got.sort();
        assert_eq!(got.len(), MESSAGES, "{user}: one answer per message: {got:?}");
        for (m, answer) in got.iter().enumerate() {
            assert!(answer.starts_with(&format!("echo: question {m} ")), "{user}: every message answered: {got:?}");
        }
    }
}

/// Two replicas behind an alternating balancer; returns them, the balancer's simulator account, and the users.
async fn alternating_pair(name: &str, sim: &Simulator, model: &FakeModel, redis: &str) -> (Pair, Vec<String>) {
    let pair = Pair::start(name, sim, model, redis, "budget_ms = 1200, attempts = 3, retry_after_ms = 2000").await;
    let balancer = round_robin(vec![pair.port_a, pair.port_b]).await;
    let account = Account::new(APPID, "replica-secret", GH, TOKEN).with_url(format!("http://127.0.0.1:{balancer}/wx"));
    sim.add_account(account).unwrap();
    let users: Vec<String> = (0..THINK_MS.len()).map(|u| format!("oAlternate{name}{u:08}")).collect();
    for u in &users {
        sim.add_user(APPID, u).unwrap();
    }
    (pair, users)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_alternating_between_replicas_run_each_push_once() {
    let Some(redis) = TestRedis::start() else { return };
    let model = FakeModel::start().await.unwrap();
    let settings = Settings { push_timeout: Duration::from_secs(2), ..Settings::default() };
    let sim = Simulator::builder().settings(settings).start().await.unwrap();
    let (pair, users) = alternating_pair("once", &sim, &model, redis.url()).await;

    alternating_run(&sim, &users, async {}).await;
    let asked = model.requests().len();
    assert_eq!(asked, users.len() * MESSAGES, "the model was asked once per message");
    std::fs::remove_dir_all(&pair.dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_run_costs_reruns_only_for_the_pushes_it_held() {
    let Some(redis) = TestRedis::start() else { return };
    let model = FakeModel::start().await.unwrap();
    let settings = Settings { push_timeout: Duration::from_secs(2), ..Settings::default() };
    let sim = Simulator::builder().settings(settings).start().await.unwrap();
    let (mut pair, users) = alternating_pair("killed", &sim, &model, redis.url()).await;

    let at_kill = std::sync::Mutex::new((Vec::new(), 0));
    let kill_and_restart = async {
        tokio::time::sleep(Duration::from_secs(4)).await;
        pair.a.kill();
        let asked: Vec<String> = model.requests().iter().map(question).collect();
        let in_flight = asked.len() - model.completed();
        *at_kill.lock().unwrap() = (asked, in_flight);
        tokio::time::sleep(Duration::from_secs(3)).await;
        pair.a = start(&pair.config_a, pair.port_a).await;
    };
    alternating_run(&sim, &users, kill_and_restart).await;
    let asked: Vec<String> = model.requests().iter().map(question).collect();
    let (asked_before, in_flight) = at_kill.lock().unwrap().clone();
    let reruns = asked.len() - users.len() * MESSAGES;
    eprintln!("{} model calls: {reruns} reruns; {in_flight} questions in flight when A was killed", asked.len());
    // A question asked again was one already asked when A died: a push A held is worked again by whichever
    // takes it over (B, once A's claim or its outbox lease runs out, or A itself, restarted), no other.
    for q in &asked {
        if asked.iter().filter(|a| *a == q).count() > 1 {
            assert!(asked_before.contains(q), "{q:?} ran again though it was not started before A died");
        }
    }
    std::fs::remove_dir_all(&pair.dir).ok();
}

/// The value of the counter `name` in the `/metrics` of the server on `port`.
async fn counter(port: u16, name: &str) -> f64 {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')).map(|v| v.trim().parse().unwrap()))
        .unwrap_or_else(|| panic!("{name} in {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_shows_no_notice_and_loses_no_answer() {
    let data = std::env::temp_dir().join(format!("wxgate-outage-redis-{}", std::process::id()));
    std::fs::create_dir_all(&data).unwrap();
    let Some(mut redis) = TestRedis::start_durable(&data) else { return };
    let model = FakeModel::start().await.unwrap();
    let settings = Settings { push_timeout: Duration::from_secs(2), ..Settings::default() };
    let sim = Simulator::builder().settings(settings).start().await.unwrap();
    let (pair, users) = alternating_pair("outage", &sim, &model, redis.url()).await;

    // Redis is killed 3 s into the run and started again from its append-only file 20 s later.
    let restarted = std::sync::Mutex::new(None);
    let outage = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        redis.kill();
        tokio::time::sleep(Duration::from_secs(20)).await;
        redis.restart();
        *restarted.lock().unwrap() = Some(std::time::Instant::now());
    };
    let drained = async {
        while restarted.lock().unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        while counter(pair.port_a, "wxgate_spooling").await + counter(pair.port_b, "wxgate_spooling").await > 0.0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        restarted.lock().unwrap().expect("restarted").elapsed()
    };
    let (drained, ()) = tokio::join!(drained, alternating_run(&sim, &users, outage));
    let spooled =
        counter(pair.port_a, "wxgate_spooled_total").await + counter(pair.port_b, "wxgate_spooled_total").await;
    eprintln!(
        "{spooled} writes spooled during the outage; both spools drained {:.1} s after Redis came back",
        drained.as_secs_f64()
    );
    assert!(spooled > 0.0, "the outage made the replicas spool");
    let store = RedisStore::connect(redis.url(), &TestRedis::prefix("replicas")).await.unwrap();
    for state in [JobState::Awaiting, JobState::Ready] {
        assert!(store.list(state, 100).await.unwrap().is_empty(), "nothing left {state:?}");
    }
    drop(pair);
    std::fs::remove_dir_all(&data).ok();
}

#[test]
fn an_unreachable_redis_stops_serve_with_the_key_to_fix() {
    let port = free_port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wxgate"))
        .arg("serve")
        .env("WXGATE_STORE_BACKEND", "redis")
        .env("WXGATE_REDIS_URL", format!("redis://:s3cret@127.0.0.1:{port}/"))
        .env("WXGATE_LISTEN", format!("127.0.0.1:{}", free_port()))
        .output()
        .expect("run wxgate serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("cannot reach Redis") && stderr.contains("WXGATE_REDIS_URL"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "the password stays out of the message: {stderr}");
}
