//! Group commit: many accepts at once, in one transaction per batch, give every caller its own job (or the first
//! job of its dedup key), and the committer starts again after going idle.

use std::sync::Arc;

use wxgate_store::{JobState, NewJob, OutboxStore};
use wxgate_store_sqlite::{Durability, SqliteStore};

fn job(key: usize) -> NewJob {
    NewJob {
        account: "a".into(),
        openid: format!("o{}", key % 7),
        dedup_key: format!("k{key}"),
        push: b"<xml/>".to_vec(),
        accepted_at: 1,
        lease: None,
        from_appid: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_accepts_commit_together_and_a_dedup_key_keeps_one_job() {
    let dir = std::env::temp_dir().join(format!("wxgate-group-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(SqliteStore::open(dir.join("g.sqlite"), Durability::Full).unwrap());
    // 400 accepts at once, each of 200 keys twice: the second of a key gets the first's id.
    let tasks: Vec<_> = (0..400)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { (i % 200, store.accept(job(i % 200)).await.unwrap()) })
        })
        .collect();
    let mut ids = std::collections::HashMap::new();
    for t in tasks {
        let (key, id) = t.await.unwrap();
        assert_eq!(*ids.entry(key).or_insert(id), id, "key {key} got two jobs");
    }
    let distinct: std::collections::HashSet<i64> = ids.values().copied().collect();
    assert_eq!(distinct.len(), 200);
    assert_eq!(store.list(JobState::Awaiting, 1000).await.unwrap().len(), 200);
    // A lone accept after the burst still commits (the committer stopped and a new one starts).
    let late = store.accept(job(999)).await.unwrap();
    assert!(!distinct.contains(&late));
    std::fs::remove_dir_all(&dir).ok();
}
