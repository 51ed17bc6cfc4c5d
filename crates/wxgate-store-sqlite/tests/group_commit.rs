//! Group commit: many writes at once, in one transaction per batch, give every caller its own result — accepts
//! their own job (or the first job of its dedup key), claims jobs nobody else holds, a failing write its own
//! error without undoing the others — and the committer starts again after going idle.

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
        not_before: 0,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_and_acks_in_one_batch_never_share_a_job_and_a_failing_write_fails_alone() {
    let dir = std::env::temp_dir().join(format!("wxgate-group-mixed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(SqliteStore::open(dir.join("g.sqlite"), Durability::Full).unwrap());
    let mut ids = Vec::new();
    for i in 0..140 {
        let id = store.accept(job(i)).await.unwrap();
        store.set_answer(id, Some("[]".into())).await.unwrap();
        ids.push(id);
    }
    // Eight workers claim and acknowledge side by side, while answers for jobs that do not exist fail.
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let me = format!("w{w}");
                let mut mine = Vec::new();
                for _ in 0..400 {
                    let claimed = store.claim(&me, 10, 60_000, 2).await.unwrap();
                    for job in claimed {
                        assert!(store.ack(job.id, &me).await.unwrap(), "the claimer holds job {}", job.id);
                        mine.push(job.id);
                    }
                    if mine.len() >= 140 {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                mine
            })
        })
        .collect();
    let failing: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.set_answer(1_000_000 + i, Some("[]".into())).await })
        })
        .collect();
    let mut sent = Vec::new();
    for w in workers {
        sent.extend(w.await.unwrap());
    }
    for f in failing {
        assert!(matches!(f.await.unwrap(), Err(wxgate_store::StoreError::NotFound(_))));
    }
    sent.sort();
    assert_eq!(sent, ids, "every job acknowledged exactly once");
    assert_eq!(store.list(JobState::Done, 1000).await.unwrap().len(), 140);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_copied_back_into_the_file_beside_the_writes() {
    let dir = std::env::temp_dir().join(format!("wxgate-group-checkpoint-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.sqlite");
    let store = Arc::new(SqliteStore::open(&path, Durability::Full).unwrap());
    let empty = std::fs::metadata(&path).unwrap().len();
    // Fewer pages than SQLite's own threshold for a checkpoint (1 000): the writes alone would leave them all in
    // the log; the store's checkpoints carry them into the file.
    for i in 0..100 {
        store.accept(job(10_000 + i)).await.unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::metadata(&path).unwrap().len() <= empty {
        assert!(std::time::Instant::now() < deadline, "nothing was checkpointed into {}", path.display());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let reopened = SqliteStore::open(&path, Durability::Full).unwrap();
    assert_eq!(reopened.list(JobState::Awaiting, 500).await.unwrap().len(), 100);
    std::fs::remove_dir_all(&dir).ok();
}
