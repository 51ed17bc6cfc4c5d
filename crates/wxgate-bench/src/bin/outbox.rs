//! Outbox throughput: jobs per second through the worker, sending customer-service messages to the simulated
//! platform over HTTP, with the SQLite store (durability `full` and `normal`), a Redis store (a throwaway
//! `redis-server` on this machine, persistence off, when one is installed) and, in the same run, the in-memory
//! store as the baseline. Prints one line per store and the ratio to memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use wxgate_server::{Gateway, Stores, WorkerConfig, config};
use wxgate_sim::{Account, Interaction, Simulator};
use wxgate_store::memory::MemoryStore;
use wxgate_store::{JobState, NewJob, OutboxStore};
use wxgate_store_redis::RedisStore;
use wxgate_store_redis::testing::TestRedis;
use wxgate_store_sqlite::{Durability, SqliteStore};

/// Arguments.
#[derive(Parser)]
struct Args {
    /// Users (each gets `per_user` answers: at most 5, the 48-hour quota).
    #[arg(long, default_value_t = 400)]
    users: usize,
    /// Answers per user.
    #[arg(long, default_value_t = 5)]
    per_user: usize,
    /// Users served at once by the worker.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Answers of other users already asleep until those users write again (quota used), which every claim
    /// must pass over.
    #[arg(long, default_value_t = 0)]
    asleep: usize,
    /// Answers of other users already given up (dead letters), which stay in the store.
    #[arg(long, default_value_t = 0)]
    dead: usize,
}

const APPID: &str = "wx00000000000000b1";

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("wxgate-outbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut results = Vec::new();
    let mut stores: Vec<(&str, Arc<dyn OutboxStore>)> = vec![
        ("memory", Arc::new(MemoryStore::new())),
        ("sqlite-full", Arc::new(SqliteStore::open(dir.join("full.sqlite"), Durability::Full).expect("sqlite"))),
        ("sqlite-normal", Arc::new(SqliteStore::open(dir.join("normal.sqlite"), Durability::Normal).expect("sqlite"))),
    ];
    let redis = TestRedis::start();
    if let Some(redis) = &redis {
        let store = RedisStore::connect(redis.url(), "bench:").await.expect("redis");
        stores.push(("redis", Arc::new(store)));
    }
    for (label, store) in stores {
        let rate = run(&args, store).await;
        results.push((label, rate));
    }
    let memory = results[0].1;
    for (label, rate) in &results {
        println!("store={label} jobs_per_s={rate:.0} ratio_to_memory={:.2}", rate / memory);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Puts `n` answers of other users (openids starting with `prefix`) in the store, claims them and settles each
/// with `settle` (to sleep, or dead-lettered).
async fn backlog<F, Fut>(store: &Arc<dyn OutboxStore>, prefix: &str, n: usize, settle: F)
where
    F: Fn(Arc<dyn OutboxStore>, i64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for a in 0..n {
        let job = NewJob {
            account: "bench".into(),
            openid: format!("{prefix}{a:021}"),
            dedup_key: format!("{prefix}/{a}"),
            push: b"<xml/>".to_vec(),
            accepted_at: 0,
            lease: None,
            from_appid: None,
        };
        let id = store.accept(job).await.expect("accept");
        store.set_answer(id, Some("[]".into())).await.expect("answer");
    }
    let mut settled = 0;
    while settled < n {
        let claimed = store.claim("setup", 0, 1, n - settled).await.expect("claim");
        assert!(!claimed.is_empty(), "the backlog is claimable");
        for job in claimed {
            settle(store.clone(), job.id).await;
            settled += 1;
        }
    }
}

/// Accepts and answers every job, then times the worker until all are sent.
async fn run(args: &Args, store: Arc<dyn OutboxStore>) -> f64 {
    let sim = Simulator::builder().start().await.expect("simulator");
    sim.add_account(Account::new(APPID, "bench-secret", "gh_00000000bench", "bench-token")).expect("account");
    backlog(&store, "oAsleep", args.asleep, |store, id| async move {
        store.sleep(id, "setup").await.expect("asleep");
    })
    .await;
    backlog(&store, "oDead", args.dead, |store, id| async move {
        store.kill(id, "setup", "45015: bench").await.expect("dead");
    })
    .await;
    let users: Vec<String> = (0..args.users).map(|u| format!("oBench{u:022}")).collect();
    for u in &users {
        sim.add_user(APPID, u).expect("user");
        sim.record_interaction(APPID, u, Interaction::Message).expect("interaction");
    }
    let mut n = 0;
    for m in 0..args.per_user {
        for u in &users {
            let job = NewJob {
                account: "bench".into(),
                openid: u.clone(),
                dedup_key: format!("{u}/{m}"),
                push: b"<xml/>".to_vec(),
                accepted_at: 0,
                lease: None,
                from_appid: None,
            };
            let id = store.accept(job).await.expect("accept");
            let answer = serde_json::json!([{"type": "text", "content": format!("answer {m} for {u}")}]).to_string();
            store.set_answer(id, Some(answer)).await.expect("answer");
            n += 1;
        }
    }
    // The gateway's own worker sends them, through the account's platform client.
    let toml = format!(
        "[[accounts]]\nname = \"bench\"\npath = \"/wx\"\ntoken = \"bench-token\"\nappid = \"{APPID}\"\n\
         secret = \"bench-secret\"\napi_base = \"{}\"\n",
        sim.base_url()
    );
    let config = config::load_str(&toml, "bench", Vec::new()).expect("bench config");
    let worker =
        WorkerConfig { concurrency: args.concurrency, poll: Duration::from_millis(5), ..WorkerConfig::default() };
    let stores = Stores { outbox: Some(store.clone()), ..Stores::default() };
    let gateway = Gateway::builder(config).stores(stores).worker(worker).build().expect("gateway");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let handle = tokio::spawn(gateway.serve(listener, async {
        let _ = stopped.await;
    }));
    loop {
        let sent = sim.counters().custom_send_requests as usize;
        if sent >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(());
    let _ = handle.await;
    let done = store.list(JobState::Done, n + 1).await.expect("list").len();
    assert!(done + 32 >= n, "the worker acknowledges what it sent ({done} of {n})");
    n as f64 / elapsed.as_secs_f64()
}
