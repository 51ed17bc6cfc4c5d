//! Outbox throughput: jobs per second through the worker, sending customer-service messages to the simulated
//! platform over HTTP, with the SQLite store (durability `full` and `normal`), a Redis store (a throwaway
//! `redis-server` on this machine, persistence off, emptied before each pass, when one is installed) and, in the
//! same run, the in-memory store as the baseline. Prints one line per store and the ratio to memory: the median of
//! `--rounds` passes, the stores taking turns. It runs with the allocator `wxgate serve` runs with (mimalloc).
//! Beside each figure, the CPU time per job this process spent (worker, simulated platform and store client
//! together) and, for Redis, the CPU time `redis-server` spent: steadier than jobs/s on a busy machine, they show
//! where a change saved work.
//!
//! Then the same with a backlog the worker must not be slowed by — answers asleep until their users write again,
//! and dead letters — of each size given (`--backlogs`): one line per store and size, with the ratio to memory
//! at that size and to the store's own figure without a backlog (medians too).

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::stream::{self, StreamExt};
use wxgate_server::{Gateway, Stores, WorkerConfig, config};
use wxgate_sim::{Account, Interaction, Simulator};
use wxgate_store::memory::MemoryStore;
use wxgate_store::{JobState, NewJob, OutboxStore};
use wxgate_store_redis::RedisStore;
use wxgate_store_redis::testing::TestRedis;
use wxgate_store_sqlite::{Durability, SqliteStore};

/// Arguments.
#[derive(Parser, Clone)]
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
    /// Backlog sizes to measure besides none: that many answers of other users asleep until those users write
    /// again (quota used), then that many dead letters, kept in the store.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    backlogs: Vec<usize>,
    /// Passes per backlog size (none included), the stores taking turns; each store's median is printed.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Stores measured beside memory (always the baseline): `sqlite-full`, `sqlite-normal`, `redis`.
    #[arg(long, value_delimiter = ',', default_value = "sqlite-full,sqlite-normal,redis")]
    stores: Vec<String>,
}

/// One store's pass: jobs/s, and the CPU time per job of this process and of the store's server (Redis).
#[derive(Clone, Copy)]
struct Measured {
    rate: f64,
    cpu_us: f64,
    server_us: Option<f64>,
}

/// How long a pass may go without a send before it is reported stalled.
const STALLED: Duration = Duration::from_secs(30);

/// CPU time (user and system) of process `pid` so far, in µs, from `/proc` (in clock ticks of 10 ms: a pass's
/// total is what is compared, not a single job's).
fn cpu_us(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces, closed by the last ')').
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10_000.0)
}

const APPID: &str = "wx00000000000000b1";

/// The allocator `wxgate serve` runs the worker with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What a store holds besides the jobs timed.
#[derive(Clone, Copy)]
enum Backlog {
    None,
    Asleep(usize),
    Dead(usize),
}

impl Backlog {
    fn label(self) -> String {
        match self {
            Backlog::None => "none".into(),
            Backlog::Asleep(n) => format!("{n}_asleep"),
            Backlog::Dead(n) => format!("{n}_dead"),
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("wxgate-outbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let redis = TestRedis::start();
    let mut backlogs = vec![Backlog::None];
    // A size of 0 asks for none (`--backlogs 0`: the figures without a backlog only).
    let sizes: Vec<usize> = args.backlogs.iter().copied().filter(|&n| n > 0).collect();
    backlogs.extend(sizes.iter().map(|&n| Backlog::Asleep(n)));
    backlogs.extend(sizes.iter().map(|&n| Backlog::Dead(n)));
    // A first pass on memory, not counted: the baseline then runs as warm as the stores after it.
    run(&Args { users: args.users.min(200), ..args.clone() }, Arc::new(MemoryStore::new()), None).await;
    let mut passes = 0;
    let mut empty: Vec<(&str, f64)> = Vec::new();
    for backlog in backlogs {
        // Each store is measured `rounds` times, the stores taking turns, and the median is kept: one pass lasts
        // about a second, and this machine's figures move between passes (memory's own by a third).
        let rounds = args.rounds.max(1);
        let mut rates: Vec<(&str, Vec<Measured>)> = Vec::new();
        for _ in 0..rounds {
            for (label, measured) in pass(&args, backlog, &dir, passes, redis.as_ref()).await {
                match rates.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, all)) => all.push(measured),
                    None => rates.push((label, vec![measured])),
                }
            }
            passes += 1;
        }
        let measured: Vec<(&str, Measured)> = rates
            .into_iter()
            .map(|(label, all)| {
                let servers: Vec<f64> = all.iter().filter_map(|m| m.server_us).collect();
                let m = Measured {
                    rate: median(all.iter().map(|m| m.rate).collect()),
                    cpu_us: median(all.iter().map(|m| m.cpu_us).collect()),
                    server_us: (!servers.is_empty()).then(|| median(servers)),
                };
                (label, m)
            })
            .collect();
        let results: Vec<(&str, f64)> = measured.iter().map(|(label, m)| (*label, m.rate)).collect();
        if matches!(backlog, Backlog::None) {
            empty = results.clone();
        }
        let memory = results[0].1;
        let of = if rounds > 1 { format!(" (median of {rounds})") } else { String::new() };
        for (label, m) in &measured {
            let rate = m.rate;
            let own = empty.iter().find(|(l, _)| l == label).map_or(f64::NAN, |(_, r)| rate / r);
            let server = m.server_us.map_or(String::new(), |us| format!(" redis_cpu_us_per_job={us:.1}"));
            println!(
                "backlog={} store={label} jobs_per_s={rate:.0} ratio_to_memory={:.2} ratio_to_empty={own:.2} \
                 cpu_us_per_job={:.1}{server}{of}",
                backlog.label(),
                rate / memory,
                m.cpu_us
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// One pass: each store, fresh (numbered `pass_no`), given the backlog, then timed; jobs/s per store.
async fn pass(
    args: &Args,
    backlog: Backlog,
    dir: &std::path::Path,
    pass_no: usize,
    redis: Option<&TestRedis>,
) -> Vec<(&'static str, Measured)> {
    let wanted = |label: &str| args.stores.iter().any(|s| s == label);
    let mut stores: Vec<(&str, Arc<dyn OutboxStore>, Option<u32>)> =
        vec![("memory", Arc::new(MemoryStore::new()), None)];
    for (label, durability) in [("sqlite-full", Durability::Full), ("sqlite-normal", Durability::Normal)] {
        if wanted(label) {
            let file = dir.join(format!("{label}-{pass_no}.sqlite"));
            stores.push((label, Arc::new(SqliteStore::open(file, durability).expect("sqlite")), None));
        }
    }
    if let Some(redis) = redis.filter(|_| wanted("redis")) {
        // Empty, as each SQLite pass starts on a new file: what earlier passes left would be a backlog too.
        redis.flush();
        let store = RedisStore::connect(redis.url(), &format!("bench{pass_no}:")).await.expect("redis");
        stores.push(("redis", Arc::new(store), redis.pid()));
    }
    let mut results = Vec::new();
    for (label, store, server) in stores {
        match backlog {
            Backlog::None => {}
            Backlog::Asleep(n) => {
                fill(&store, "oAsleep", n, |store, id| async move {
                    store.sleep(id, "setup").await.expect("asleep");
                })
                .await
            }
            Backlog::Dead(n) => {
                fill(&store, "oDead", n, |store, id| async move {
                    store.kill(id, "setup", "45015: bench").await.expect("dead");
                })
                .await
            }
        }
        results.push((label, run(args, store, server).await));
    }
    results
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(mut all: Vec<f64>) -> f64 {
    all.sort_by(f64::total_cmp);
    let mid = all.len() / 2;
    if all.len().is_multiple_of(2) { (all[mid - 1] + all[mid]) / 2.0 } else { all[mid] }
}

/// Puts `n` answers of other users (openids starting with `prefix`) in the store, claims them and settles each
/// with `settle` (to sleep, or dead-lettered). Many at once, as a busy gateway would write them.
async fn fill<F, Fut>(store: &Arc<dyn OutboxStore>, prefix: &str, n: usize, settle: F)
where
    F: Fn(Arc<dyn OutboxStore>, i64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    stream::iter(0..n)
        .for_each_concurrent(256, |a| {
            let store = store.clone();
            async move {
                let id = store.accept(job(format!("{prefix}{a:021}"), format!("{prefix}/{a}"))).await.expect("accept");
                store.set_answer(id, Some("[]".into())).await.expect("answer");
            }
        })
        .await;
    let mut settled = 0;
    while settled < n {
        let claimed = store.claim("setup", 0, 1, (n - settled).min(5_000)).await.expect("claim");
        assert!(!claimed.is_empty(), "the backlog is claimable");
        settled += claimed.len();
        stream::iter(claimed).for_each_concurrent(256, |job| settle(store.clone(), job.id)).await;
    }
}

/// A job of account `bench` for `openid`.
fn job(openid: String, dedup_key: String) -> NewJob {
    NewJob {
        account: "bench".into(),
        openid,
        dedup_key,
        push: b"<xml/>".to_vec(),
        accepted_at: 0,
        lease: None,
        from_appid: None,
        not_before: 0,
    }
}

/// Accepts and answers every job, then times the worker until all are sent (and measures the CPU time spent
/// meanwhile by this process and by `server`, the store's server process).
async fn run(args: &Args, store: Arc<dyn OutboxStore>, server: Option<u32>) -> Measured {
    let sim = Simulator::builder().start().await.expect("simulator");
    sim.add_account(Account::new(APPID, "bench-secret", "gh_00000000bench", "bench-token")).expect("account");
    let users: Vec<String> = (0..args.users).map(|u| format!("oBench{u:022}")).collect();
    for u in &users {
        sim.add_user(APPID, u).expect("user");
        sim.record_interaction(APPID, u, Interaction::Message).expect("interaction");
    }
    // A user's answers one after another (their order is the order to send them in), users side by side.
    for m in 0..args.per_user {
        stream::iter(&users)
            .for_each_concurrent(256, |u| {
                let store = store.clone();
                async move {
                    let id = store.accept(job(u.clone(), format!("{u}/{m}"))).await.expect("accept");
                    let answer =
                        serde_json::json!([{"type": "text", "content": format!("answer {m} for {u}")}]).to_string();
                    store.set_answer(id, Some(answer)).await.expect("answer");
                }
            })
            .await;
    }
    let n = args.per_user * users.len();
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
    let server = server.map(|pid| pid.to_string());
    let cpu_before = (cpu_us("self"), server.as_deref().and_then(cpu_us));
    let started = Instant::now();
    let handle = tokio::spawn(gateway.serve(listener, async {
        let _ = stopped.await;
    }));
    // A pass that stops sending says where its jobs are, rather than wait for ever.
    let (mut last, mut last_change) = (0, Instant::now());
    loop {
        let sent = sim.counters().custom_send_requests as usize;
        if sent >= n {
            break;
        }
        if sent != last {
            (last, last_change) = (sent, Instant::now());
        } else if last_change.elapsed() > STALLED {
            let counts = store.counts().await;
            panic!("no send for {STALLED:?} after {sent} of {n}; store {counts:?}; platform {:?}", sim.counters());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    let cpu_after = (cpu_us("self"), server.as_deref().and_then(cpu_us));
    let _ = stop.send(());
    let _ = handle.await;
    let done = store.list(JobState::Done, n + 1).await.expect("list").len();
    assert!(done + 32 >= n, "the worker acknowledges what it sent ({done} of {n})");
    let per_job = |before: Option<f64>, after: Option<f64>| before.zip(after).map(|(b, a)| (a - b) / n as f64);
    Measured {
        rate: n as f64 / elapsed.as_secs_f64(),
        cpu_us: per_job(cpu_before.0, cpu_after.0).unwrap_or(f64::NAN),
        server_us: per_job(cpu_before.1, cpu_after.1),
    }
}
