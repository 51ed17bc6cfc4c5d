//! [`OutboxStore`] on SQLite. Every write is group-committed (see `group`): it runs inside an immediate
//! transaction, so the claim — pick each user's oldest unfinished job if it is ready and due (or woken) and not
//! leased, then lease it — never hands two processes the same job. The claim walks an index of the claimable
//! jobs only, oldest first, and stops at its limit: the jobs sent, dead or asleep that a file keeps cost it
//! nothing.
//!
//! A [`JobState::Sleeping`] job is stored as `sleeping` until the user's next message, then as `woken` (claimable);
//! both read back as `Sleeping`.
//!
//! A limit bound as a parameter is written `LIMIT ?n + 0`: SQLite plans a statement whose limit is a bare parameter
//! for the value bound, and so plans it anew every time a value is bound (two fifths of a claim's instructions).

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use wxgate_store::{Job, JobState, NewJob, OutboxStore, StoreError};

use crate::conn::SqliteStore;
use crate::error::backend;
use crate::schema::{claimable, not_done, open_states};

/// Sleeping jobs read per page by `sleeping_users`.
const SLEEPERS_PAGE: usize = 1_000;

/// The columns `job` reads, in its order.
macro_rules! columns {
    () => {
        "id, account, openid, dedup_key, push, answer, state, attempts, not_before, last_error, accepted_at, from_appid"
    };
}

fn job(row: &Row<'_>) -> rusqlite::Result<Job> {
    let state: String = row.get(6)?;
    Ok(Job {
        id: row.get(0)?,
        account: row.get(1)?,
        openid: row.get(2)?,
        dedup_key: row.get(3)?,
        push: row.get(4)?,
        answer: row.get(5)?,
        state: match state.as_str() {
            "woken" => JobState::Sleeping,
            other => JobState::parse(other).unwrap_or(JobState::Dead),
        },
        attempts: row.get(7)?,
        not_before: row.get(8)?,
        last_error: row.get(9)?,
        accepted_at: row.get(10)?,
        from_appid: row.get(11)?,
    })
}

/// A new job (see `insert`).
const INSERT: &str = "INSERT INTO outbox (account, openid, dedup_key, push, state, accepted_at, lease_owner,
                                         lease_until, from_appid, not_before)
                      VALUES (?1, ?2, ?3, ?4, 'awaiting', ?5, ?6, ?7, ?8, ?9)";

/// An awaited job's answer (`ready`), or nothing to say (`done`).
const SET_ANSWER: &str = "UPDATE outbox SET answer = ?2, state = ?3, lease_owner = NULL, lease_until = NULL
                          WHERE id = ?1 AND state = 'awaiting'";

/// A job leased (see `lease`).
const LEASE: &str = "UPDATE outbox SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1";

/// The jobs a claim takes at `?1` (now), at most `?2`: each user's oldest unfinished job when it is claimable, due
/// (or woken) and not leased, oldest first.
const CLAIM: &str = concat!(
    "SELECT j.id FROM outbox j INDEXED BY outbox_claim_queue
     WHERE ",
    claimable!(),
    "
       AND (j.state = 'woken' OR j.not_before <= ?1)
       AND (j.lease_until IS NULL OR j.lease_until <= ?1)
       AND j.id = (SELECT MIN(k.id) FROM outbox k INDEXED BY outbox_user_queue
                   WHERE k.account = j.account AND k.openid = j.openid AND ",
    open_states!(),
    ")
     ORDER BY j.id LIMIT ?2 + 0"
);

/// A job by id.
const READ: &str = concat!("SELECT ", columns!(), " FROM outbox WHERE id = ?1");

/// Leases job `id` to `owner` until `until` and returns it as now stored (inside the caller's transaction). Read
/// back by a second statement: `RETURNING` would build a temporary b-tree for every job leased.
fn lease(c: &Connection, id: i64, owner: &str, until: i64) -> Result<Job, StoreError> {
    c.prepare_cached(LEASE).and_then(|mut s| s.execute(params![id, owner, until])).map_err(backend)?;
    c.prepare_cached(READ).and_then(|mut s| s.query_row([id], job)).map_err(backend)
}

/// The statement by which the lease holder settles a claimed job: `$set` (which may use `?3`, `?4`, … for the
/// values), one more attempt, and the lease released; it changes nothing when `?2` no longer holds job `?1`.
macro_rules! settled {
    ($set:literal) => {
        concat!(
            "UPDATE outbox SET ",
            $set,
            ", attempts = attempts + 1, lease_owner = NULL, lease_until = NULL
             WHERE id = ?1 AND lease_owner = ?2 AND ",
            claimable!()
        )
    };
}

impl SqliteStore {
    /// The lease holder settles a claimed job with `sql` (see `settled!`) and its `values`. False when `worker`
    /// no longer holds the job.
    async fn settle(&self, id: i64, worker: &str, sql: &'static str, values: Vec<Value>) -> Result<bool, StoreError> {
        let (id, worker) = (Value::from(id), Value::from(worker.to_owned()));
        self.write(move |c| {
            let params = [&id, &worker].into_iter().chain(&values);
            c.prepare_cached(sql).and_then(|mut s| s.execute(params_from_iter(params))).map(|n| n == 1).map_err(backend)
        })
        .await
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn accept(&self, j: NewJob) -> Result<i64, StoreError> {
        self.write(move |c| insert(c, &j)).await
    }

    async fn set_answer(&self, id: i64, answer: Option<String>) -> Result<(), StoreError> {
        self.write(move |c| {
            let state = if answer.is_some() { "ready" } else { "done" };
            let n = c
                .prepare_cached(SET_ANSWER)
                .and_then(|mut s| s.execute(params![id, answer, state]))
                .map_err(backend)?;
            if n == 0 {
                let exists: bool = c
                    .query_row("SELECT COUNT(*) > 0 FROM outbox WHERE id = ?1", [id], |r| r.get(0))
                    .map_err(backend)?;
                if !exists {
                    return Err(StoreError::NotFound(format!("job {id}")));
                }
            }
            Ok(())
        })
        .await
    }

    async fn renew(&self, owner: &str, until: i64) -> Result<u64, StoreError> {
        let owner = owner.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE outbox SET lease_until = ?2 WHERE state = 'awaiting' AND lease_owner = ?1",
                params![owner, until],
            )
            .map(|n| n as u64)
            .map_err(backend)
        })
        .await
    }

    async fn adopt(
        &self,
        owner: &str,
        previous: Option<&str>,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let (owner, previous) = (owner.to_owned(), previous.map(str::to_owned));
        self.write(move |c| {
            let candidates: Vec<(i64, Option<String>, Option<i64>)> = {
                let mut stmt = c
                    .prepare_cached(concat!(
                        "SELECT id, lease_owner, lease_until FROM outbox INDEXED BY outbox_state_open
                         WHERE state = 'awaiting' AND ",
                        not_done!(),
                        " ORDER BY id"
                    ))
                    .map_err(backend)?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(backend)?;
                rows.collect::<Result<_, _>>().map_err(backend)?
            };
            let mut jobs = Vec::new();
            for (id, held_by, until) in candidates {
                if jobs.len() >= limit {
                    break;
                }
                let held = held_by.as_deref().zip(until);
                if !wxgate_store::outbox::adoptable(held, &owner, previous.as_deref(), now) {
                    continue;
                }
                jobs.push(lease(c, id, &owner, now + lease_ms)?);
            }
            Ok(jobs)
        })
        .await
    }

    async fn claim(&self, worker: &str, now: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
        let worker = worker.to_owned();
        self.write(move |c| {
            let ids: Vec<i64> = {
                let mut stmt = c.prepare_cached(CLAIM).map_err(backend)?;
                let rows = stmt.query_map(params![now, limit as i64], |r| r.get(0)).map_err(backend)?;
                rows.collect::<Result<_, _>>().map_err(backend)?
            };
            let mut jobs = Vec::with_capacity(ids.len());
            for id in ids {
                jobs.push(lease(c, id, &worker, now + lease_ms)?);
            }
            Ok(jobs)
        })
        .await
    }

    async fn ack(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        self.settle(id, worker, settled!("state = 'done'"), Vec::new()).await
    }

    async fn set_remaining(&self, id: i64, worker: &str, answer: &str) -> Result<bool, StoreError> {
        let (worker, answer) = (worker.to_owned(), answer.to_owned());
        self.write(move |c| {
            c.prepare_cached(concat!(
                "UPDATE outbox SET answer = ?3 WHERE id = ?1 AND lease_owner = ?2 AND ",
                claimable!()
            ))
            .and_then(|mut s| s.execute(params![id, worker, answer]))
            .map(|n| n == 1)
            .map_err(backend)
        })
        .await
    }

    async fn has_later(&self, account: &str, openid: &str, id: i64) -> Result<bool, StoreError> {
        let (account, openid) = (account.to_owned(), openid.to_owned());
        self.run(move |c| {
            c.prepare_cached(concat!(
                "SELECT EXISTS (SELECT 1 FROM outbox INDEXED BY outbox_user_queue
                 WHERE account = ?1 AND openid = ?2 AND id > ?3 AND ",
                open_states!(),
                ")"
            ))
            .and_then(|mut s| s.query_row(params![account, openid, id], |r| r.get(0)))
            .map_err(backend)
        })
        .await
    }

    async fn wake(&self, account: &str, openid: &str) -> Result<u64, StoreError> {
        let (account, openid) = (account.to_owned(), openid.to_owned());
        self.write(move |c| {
            let woken = c
                .prepare_cached(concat!(
                    "UPDATE outbox INDEXED BY outbox_user_queue SET state = 'woken'
                     WHERE account = ?1 AND openid = ?2 AND state = 'sleeping' AND ",
                    open_states!()
                ))
                .and_then(|mut s| s.execute(params![account, openid]))
                .map_err(backend)?;
            let due = c
                .prepare_cached(concat!(
                    "UPDATE outbox INDEXED BY outbox_user_queue SET not_before = 0
                     WHERE account = ?1 AND openid = ?2 AND state = 'ready' AND not_before > 0 AND attempts > 0 AND ",
                    open_states!()
                ))
                .and_then(|mut s| s.execute(params![account, openid]))
                .map_err(backend)?;
            Ok((woken + due) as u64)
        })
        .await
    }

    async fn retry(&self, id: i64, worker: &str, not_before: i64, error: &str) -> Result<bool, StoreError> {
        let sql = settled!("state = 'ready', not_before = ?3, last_error = ?4");
        self.settle(id, worker, sql, vec![not_before.into(), error.to_owned().into()]).await
    }

    async fn sleep(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        self.settle(id, worker, settled!("state = 'sleeping'"), Vec::new()).await
    }

    async fn kill(&self, id: i64, worker: &str, reason: &str) -> Result<bool, StoreError> {
        self.settle(id, worker, settled!("state = 'dead', last_error = ?3"), vec![reason.to_owned().into()]).await
    }

    async fn list(&self, state: JobState, limit: usize) -> Result<Vec<Job>, StoreError> {
        self.run(move |c| {
            // Woken jobs are still sleeping ones (their stored name only says the user has written since).
            let also = if state == JobState::Sleeping { "woken" } else { state.as_str() };
            // Done jobs are in no index but the table's own, which is in id order.
            let sql = if state == JobState::Done {
                concat!("SELECT ", columns!(), " FROM outbox WHERE state IN (?1, ?2) ORDER BY id LIMIT ?3 + 0")
            } else {
                concat!(
                    "SELECT ",
                    columns!(),
                    " FROM outbox INDEXED BY outbox_state_open WHERE state IN (?1, ?2) AND ",
                    not_done!(),
                    " ORDER BY id LIMIT ?3 + 0"
                )
            };
            let mut stmt = c.prepare_cached(sql).map_err(backend)?;
            let rows = stmt.query_map(params![state.as_str(), also, limit as i64], job).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    async fn sleeping_users(&self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        // A page at a time, each on the connection by itself: the claims and settlements of the worker started
        // beside this read go between the pages instead of waiting for a large backlog to be read whole.
        let mut users = Vec::new();
        for state in ["sleeping", "woken"] {
            let mut after = 0_i64;
            while users.len() < limit {
                let page = SLEEPERS_PAGE.min(limit - users.len());
                let rows: Vec<(i64, String, String)> = self
                    .run(move |c| {
                        let mut stmt = c
                            .prepare_cached(concat!(
                                "SELECT id, account, openid FROM outbox INDEXED BY outbox_state_open
                                 WHERE state = ?1 AND id > ?2 AND ",
                                not_done!(),
                                " ORDER BY id LIMIT ?3 + 0"
                            ))
                            .map_err(backend)?;
                        let rows = stmt
                            .query_map(params![state, after, page as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                            .map_err(backend)?;
                        rows.collect::<Result<_, _>>().map_err(backend)
                    })
                    .await?;
                let Some(&(last, _, _)) = rows.last() else { break };
                after = last;
                let full = rows.len() == page;
                users.extend(rows.into_iter().map(|(_, account, openid)| (account, openid)));
                if !full {
                    break;
                }
            }
        }
        Ok(users)
    }

    async fn counts(&self) -> Result<wxgate_store::OutboxCounts, StoreError> {
        self.run(|c| {
            let mut counts = wxgate_store::OutboxCounts::default();
            let mut stmt = c
                .prepare_cached(concat!(
                    "SELECT state, COUNT(*), MIN(accepted_at) FROM outbox INDEXED BY outbox_state_open
                     WHERE ",
                    not_done!(),
                    " GROUP BY state"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?)))
                .map_err(backend)?;
            for row in rows {
                let (state, n, oldest) = row.map_err(backend)?;
                let n = n as u64;
                match state.as_str() {
                    "awaiting" => counts.awaiting += n,
                    "ready" => {
                        counts.ready += n;
                        counts.oldest_ready_accepted_at = oldest;
                    }
                    "sleeping" | "woken" => counts.sleeping += n,
                    _ => counts.dead += n,
                }
            }
            Ok(counts)
        })
        .await
    }

    async fn revive(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |c| {
            c.execute("UPDATE outbox SET state = 'ready', not_before = 0 WHERE id = ?1 AND state = 'dead'", [id])
                .map(|n| n == 1)
                .map_err(backend)
        })
        .await
    }

    async fn remove(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |c| c.execute("DELETE FROM outbox WHERE id = ?1", [id]).map(|n| n == 1).map_err(backend)).await
    }
}

/// Accepts `j`: a new `awaiting` job, or the id of the job of its dedup key.
fn insert(c: &Connection, j: &NewJob) -> Result<i64, StoreError> {
    let existing: Option<i64> = c
        .prepare_cached("SELECT id FROM outbox WHERE dedup_key = ?1")
        .map_err(backend)?
        .query_row([&j.dedup_key], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let (owner, until) = j.lease.as_ref().map(|l| (l.owner.as_str(), l.until)).unzip();
    c.prepare_cached(INSERT)
        .map_err(backend)?
        .execute(params![
            j.account,
            j.openid,
            j.dedup_key,
            j.push,
            j.accepted_at,
            owner,
            until,
            j.from_appid,
            j.not_before
        ])
        .map_err(backend)?;
    Ok(c.last_insert_rowid())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::Durability;

    /// A directory of this test's own and the path of a store file in it that does not exist yet.
    fn fresh_file(test: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("wxgate-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("outbox.sqlite");
        let _ = std::fs::remove_file(&path);
        (dir, path)
    }

    #[tokio::test]
    async fn conforms_in_memory() {
        wxgate_store::conformance::outbox(&SqliteStore::in_memory().unwrap()).await;
        wxgate_store::conformance::outbox_adoption(&SqliteStore::in_memory().unwrap()).await;
        wxgate_store::conformance::outbox_long_queue(&SqliteStore::in_memory().unwrap()).await;
        wxgate_store::conformance::outbox_many_asleep(&SqliteStore::in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn conforms_on_disk_and_survives_reopening() {
        let (dir, path) = fresh_file("outbox");
        {
            let store = SqliteStore::open(&path, Durability::Full).unwrap();
            wxgate_store::conformance::outbox(&store).await;
        }
        let reopened = SqliteStore::open(&path, Durability::Normal).unwrap();
        assert_eq!(reopened.list(JobState::Ready, 10).await.unwrap().len(), 2, "jobs survive reopening");
        // Two handles on one file never claim the same job.
        let other = SqliteStore::open(&path, Durability::Full).unwrap();
        let a = reopened.claim("p1", i64::MAX / 2, 1_000, 10).await.unwrap();
        let b = other.claim("p2", i64::MAX / 2, 1_000, 10).await.unwrap();
        assert!(a.iter().all(|x| b.iter().all(|y| y.id != x.id)));
        assert_eq!(a.len() + b.len(), 2);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[tokio::test]
    async fn an_older_file_trades_its_indexes_of_every_job_for_those_of_the_jobs_not_done() {
        let (dir, path) = fresh_file("outbox-indexes");
        drop(SqliteStore::open(&path, Durability::Full).unwrap());
        // The indexes earlier versions kept: over every job, then partial ones with their conditions written with IN.
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(
            "DROP INDEX outbox_user_queue; DROP INDEX outbox_state_open; DROP INDEX outbox_claim_queue;
             CREATE INDEX outbox_user ON outbox (account, openid, state, id);
             CREATE INDEX outbox_ready ON outbox (state, id);
             CREATE INDEX outbox_user_open ON outbox (account, openid, id)
               WHERE state IN ('awaiting', 'ready', 'sleeping', 'woken');
             CREATE INDEX outbox_claimable ON outbox (id) WHERE state IN ('ready', 'woken');",
        )
        .unwrap();
        drop(old);
        let store = SqliteStore::open(&path, Durability::Full).unwrap();
        let indexes: Vec<String> = store
            .run(|c| {
                let mut stmt = c
                    .prepare(
                        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' ORDER BY name",
                    )
                    .unwrap();
                let names = stmt.query_map([], |r| r.get(0)).unwrap();
                Ok(names.collect::<Result<_, _>>().unwrap())
            })
            .await
            .unwrap();
        assert_eq!(
            indexes,
            ["outbox_claim_queue", "outbox_state_open", "outbox_user_queue", "sqlite_autoindex_outbox_1"],
            "the old indexes are dropped and the partial ones built"
        );
        wxgate_store::conformance::outbox(&store).await;
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_statements_each_job_runs_build_no_temporary_b_tree() {
        let store = SqliteStore::in_memory().unwrap();
        let conn = store.conn.lock().unwrap();
        let settles =
            [settled!("state = 'done'"), settled!("state = 'sleeping'"), settled!("state = 'dead', last_error = ?3")];
        for sql in [INSERT, SET_ANSWER, CLAIM, LEASE, READ].into_iter().chain(settles) {
            let mut explain = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
            let unbound = std::iter::repeat_n(Value::Null, explain.parameter_count());
            let ops: Vec<String> =
                explain.query_map(params_from_iter(unbound), |r| r.get(1)).unwrap().map(Result::unwrap).collect();
            assert!(ops.iter().all(|op| op != "OpenEphemeral"), "{sql}: {ops:?}");
        }
    }

    #[test]
    fn a_claim_is_planned_once_whatever_it_is_bound_to() {
        let store = SqliteStore::in_memory().unwrap();
        let conn = store.conn.lock().unwrap();
        for (now, limit) in [(1_i64, 10_i64), (2, 20), (3, 1)] {
            let mut claim = conn.prepare_cached(CLAIM).unwrap();
            claim.query_map(params![now, limit], |r| r.get::<_, i64>(0)).unwrap().for_each(drop);
        }
        let claim = conn.prepare_cached(CLAIM).unwrap();
        assert_eq!(claim.get_status(rusqlite::StatementStatus::Run), 3);
        assert_eq!(claim.get_status(rusqlite::StatementStatus::RePrepare), 0, "planned anew for a value bound");
    }

    #[tokio::test]
    async fn answers_asleep_in_an_older_file_are_sleeping_when_it_is_opened() {
        let (dir, path) = fresh_file("outbox-old");
        drop(SqliteStore::open(&path, Durability::Full).unwrap());
        // How an answer waiting for the user's next message was kept before it had a state of its own.
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute(
                "INSERT INTO outbox (account, openid, dedup_key, push, answer, state, not_before, last_error, accepted_at)
                 VALUES ('a', 'o', 'k', x'00', '[]', 'ready', 2305843009213693951,
                         'waiting for the user''s next message (quota used)', 1)",
                [],
            )
            .unwrap();
        let store = SqliteStore::open(&path, Durability::Full).unwrap();
        let asleep = store.list(JobState::Sleeping, 10).await.unwrap();
        assert_eq!((asleep.len(), asleep[0].last_error.as_deref()), (1, None));
        assert!(store.claim("w", i64::MAX / 2, 1_000, 10).await.unwrap().is_empty(), "asleep until woken");
        assert_eq!(store.wake("a", "o").await.unwrap(), 1);
        assert_eq!(store.claim("w", 0, 1_000, 10).await.unwrap()[0].state, JobState::Sleeping);
        std::fs::remove_dir_all(&dir).ok();
    }
}
