//! The token store and media cache conformance suites on SQLite: in memory, on disk, and with two separate store
//! instances on the same file (as two processes would use it), plus a lease race between them.

use std::sync::Arc;

use wxgate_store::{MediaCache, TokenStore, conformance};
use wxgate_store_sqlite::{Durability, SqliteStore};

fn temp_db(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("wxgate-sqlite-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.sqlite");
    (dir, path)
}

#[tokio::test]
async fn conforms_in_memory() {
    let store = SqliteStore::in_memory().unwrap();
    conformance::token_store(&store).await;
    conformance::media_cache(&store).await;
}

#[tokio::test]
async fn two_instances_on_one_file_share_tokens_leases_and_media() {
    let (dir, path) = temp_db("shared");
    let a = SqliteStore::open(&path, Durability::Normal).unwrap();
    let b = SqliteStore::open(&path, Durability::Normal).unwrap();
    conformance::token_store(&a).await;
    conformance::media_cache(&b).await;
    conformance::token_store_shared(&a, &b).await;

    // What one instance cached, the other (and a reopened one) finds.
    let key = wxgate_store::MediaKey { account: "wxA".into(), content_hash: "ff".into(), media_type: "image".into() };
    let media = wxgate_store::CachedMedia { media_id: "M9".into(), expires_at_ms: 99_000 };
    MediaCache::put(&a, &key, &media).await.unwrap();
    assert_eq!(MediaCache::get(&b, &key, 1).await.unwrap(), Some(media.clone()));
    drop((a, b));
    let c = SqliteStore::open(&path, Durability::Full).unwrap();
    assert_eq!(MediaCache::get(&c, &key, 1).await.unwrap(), Some(media));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_many_contenders_takes_a_lease() {
    let (dir, path) = temp_db("race");
    let stores: Vec<Arc<SqliteStore>> =
        (0..4).map(|_| Arc::new(SqliteStore::open(&path, Durability::Normal).unwrap())).collect();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = stores[i % stores.len()].clone();
        tasks.push(tokio::spawn(async move { store.try_lease("race", &format!("p{i}"), 1_000, 60_000).await }));
    }
    let mut won = 0;
    for t in tasks {
        if t.await.unwrap().unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 1, "one lease holder among all instances");
    std::fs::remove_dir_all(&dir).ok();
}
