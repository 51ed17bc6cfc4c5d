//! Serves a gateway in which every push is handed to late delivery at once — each is WeChat's last attempt
//! (`deadline.attempts = 1`, a 1 ms budget) and its handler never answers — so every request is one durable
//! accept into the outbox before `success`. `bench/accept.sh` loads it with `loadgen` for each store and prints
//! accepts/s as a ratio to the in-memory store measured in the same run. It runs with the allocator `wxgate serve`
//! runs with (mimalloc).

use std::sync::Arc;

use clap::Parser;
use wxgate_server::{Gateway, Router, Stores, config};
use wxgate_store::memory::MemoryStore;
use wxgate_store_redis::RedisStore;
use wxgate_store_sqlite::{Durability, SqliteStore};

/// Arguments.
#[derive(Parser)]
struct Args {
    /// `memory`, `sqlite-full`, `sqlite-normal` or `redis`.
    #[arg(long)]
    store: String,
    /// Listen address.
    #[arg(long)]
    listen: std::net::SocketAddr,
    /// Redis URL (for `--store redis`).
    #[arg(long, default_value = "")]
    redis: String,
}

const CONFIG: &str = r#"
[[accounts]]
name = "bench"
path = "/wx"
appid = "wx0000000000000001"
original_id = "gh_0000000000000001"
token = "wxgate-demo-token"
aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
[accounts.deadline]
attempts = 1
budget_ms = 1
"#;

/// The allocator `wxgate serve` runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("wxgate-accept-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let stores = match args.store.as_str() {
        "memory" => Stores::single(Arc::new(MemoryStore::new())),
        "sqlite-full" => {
            Stores::single(Arc::new(SqliteStore::open(dir.join("full.sqlite"), Durability::Full).expect("sqlite")))
        }
        "sqlite-normal" => {
            Stores::single(Arc::new(SqliteStore::open(dir.join("normal.sqlite"), Durability::Normal).expect("sqlite")))
        }
        "redis" => Stores::replicated(Arc::new(RedisStore::connect(&args.redis, "bench:").await.expect("redis"))),
        other => panic!("unknown store {other}"),
    };
    let config = config::load_str(CONFIG, "accept bench", Vec::new()).expect("config");
    // The handler never answers: the answer is owed, so the push is accepted into the outbox and left there.
    let router = Router::new().on_text(std::future::pending::<String>);
    let gateway = Gateway::builder(config).router(router).stores(stores).build().expect("gateway");
    let listener = tokio::net::TcpListener::bind(args.listen).await.expect("listen");
    gateway.serve(listener, std::future::pending::<()>()).await.expect("serve");
    std::fs::remove_dir_all(&dir).ok();
}
