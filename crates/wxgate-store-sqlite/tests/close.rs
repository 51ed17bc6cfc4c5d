//! Closing: a store dropped cleanly copies its write-ahead log back into the file and removes it, so nothing but
//! the database file is left beside it, and what was written is there when the file is opened again.

use wxgate_store::{JobState, NewJob, OutboxStore};
use wxgate_store_sqlite::{Durability, SqliteStore};

#[tokio::test]
async fn a_store_dropped_cleanly_leaves_only_its_file_and_keeps_what_was_written() {
    let dir = std::env::temp_dir().join(format!("wxgate-close-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.sqlite");
    let job = NewJob {
        account: "a".into(),
        openid: "o".into(),
        dedup_key: "k".into(),
        push: b"<xml/>".to_vec(),
        accepted_at: 1,
        lease: None,
        from_appid: None,
        not_before: 0,
    };
    let store = SqliteStore::open(&path, Durability::Full).unwrap();
    let id = store.accept(job).await.unwrap();
    assert!(dir.join("c.sqlite-wal").exists(), "the write went to the log first");
    drop(store);

    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["c.sqlite"], "nothing but the database is left beside it");

    let again = SqliteStore::open(&path, Durability::Full).unwrap();
    let awaiting = again.list(JobState::Awaiting, 10).await.unwrap();
    assert_eq!(awaiting.iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
    drop(again);
    std::fs::remove_dir_all(&dir).unwrap();
}
