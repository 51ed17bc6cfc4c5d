//! [`OutboxStore`] on Redis. A job is a hash; sorted sets index the jobs of each state and each user's unfinished
//! jobs (scored by id, so the head of a user's set is the job that must go first). Every change is one script.

use async_trait::async_trait;
use redis::AsyncCommands;
use wxgate_store::{Job, JobState, NewJob, OutboxStore, StoreError};

use crate::RedisStore;
use crate::conn::backend;
use crate::scripts::JOB_FIELDS;

/// A job's values in the order of [`JOB_FIELDS`] (`None` for a field the hash lacks).
type Row = Vec<Option<Vec<u8>>>;

/// Sleeping jobs read per call of the `sleepers` script.
const SLEEPERS_PAGE: usize = 1_000;

/// Takes the job out of a row (its values moved, not copied). `None` for a job that is gone.
fn job(row: Row) -> Result<Option<Job>, StoreError> {
    if row.len() != JOB_FIELDS.len() {
        return Err(StoreError::Corrupt(format!("a job read as {} fields, not {}", row.len(), JOB_FIELDS.len())));
    }
    let mut values = row.into_iter().zip(JOB_FIELDS);
    let mut next = || values.next().expect("as many values as fields");
    let text = |(value, name): (Option<Vec<u8>>, &str)| {
        value
            .map(|v| String::from_utf8(v).map_err(|_| StoreError::Corrupt(format!("job field {name} is not UTF-8"))))
            .transpose()
    };
    let number = |(value, name): (Option<Vec<u8>>, &str)| -> Result<i64, StoreError> {
        match value {
            None => Ok(0),
            Some(v) => std::str::from_utf8(&v)
                .ok()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| StoreError::Corrupt(format!("job field {name} is not a number"))),
        }
    };
    let id = next();
    if id.0.is_none() {
        return Ok(None);
    }
    let id = number(id)?;
    let account = text(next())?.unwrap_or_default();
    let openid = text(next())?.unwrap_or_default();
    let dedup_key = text(next())?.unwrap_or_default();
    let push = next().0.unwrap_or_default();
    let answer = text(next())?;
    let state = text(next())?.unwrap_or_default();
    let state = JobState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("job state {state:?}")))?;
    Ok(Some(Job {
        id,
        account,
        openid,
        dedup_key,
        push,
        answer,
        state,
        attempts: u32::try_from(number(next())?).unwrap_or(u32::MAX),
        not_before: number(next())?,
        last_error: text(next())?,
        accepted_at: number(next())?,
        from_appid: text(next())?.filter(|a| !a.is_empty()),
    }))
}

/// The jobs of a script's reply (every one there).
fn jobs(rows: Vec<Row>) -> Result<Vec<Job>, StoreError> {
    rows.into_iter()
        .map(|row| job(row)?.ok_or_else(|| StoreError::Corrupt("a job returned without its fields".into())))
        .collect()
}

impl RedisStore {
    /// Runs an outbox script with the prefix as its first argument and `args` after it.
    async fn outbox_script<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        args: &[&[u8]],
    ) -> Result<T, StoreError> {
        let mut invocation = script.prepare_invoke();
        invocation.arg(self.prefix.as_bytes());
        for a in args {
            invocation.arg(*a);
        }
        invocation.invoke_async(&mut self.conn()).await.map_err(backend)
    }

    /// A script answering 1 (done) or 0 (not allowed) about one job held by `worker`.
    async fn held(&self, script: &redis::Script, id: i64, worker: &str, extra: &[&[u8]]) -> Result<bool, StoreError> {
        let id = id.to_string();
        let mut args: Vec<&[u8]> = vec![id.as_bytes(), worker.as_bytes()];
        args.extend_from_slice(extra);
        Ok(self.outbox_script::<i64>(script, &args).await? == 1)
    }
}

#[async_trait]
impl OutboxStore for RedisStore {
    async fn accept(&self, j: NewJob) -> Result<i64, StoreError> {
        let (accepted_at, not_before) = (j.accepted_at.to_string(), j.not_before.to_string());
        let (owner, until) = j.lease.map(|l| (l.owner, l.until.to_string())).unwrap_or_default();
        let args: [&[u8]; 9] = [
            j.account.as_bytes(),
            j.openid.as_bytes(),
            j.dedup_key.as_bytes(),
            &j.push,
            accepted_at.as_bytes(),
            owner.as_bytes(),
            until.as_bytes(),
            j.from_appid.as_deref().unwrap_or_default().as_bytes(),
            not_before.as_bytes(),
        ];
        self.outbox_script(&self.scripts.accept, &args).await
    }

    async fn set_answer(&self, id: i64, answer: Option<String>) -> Result<(), StoreError> {
        let id_s = id.to_string();
        let args: Vec<&[u8]> = match &answer {
            Some(a) => vec![id_s.as_bytes(), b"1", a.as_bytes()],
            None => vec![id_s.as_bytes(), b"0"],
        };
        match self.outbox_script::<i64>(&self.scripts.set_answer, &args).await? {
            -1 => Err(StoreError::NotFound(format!("job {id}"))),
            _ => Ok(()),
        }
    }

    async fn renew(&self, owner: &str, until: i64) -> Result<u64, StoreError> {
        let until = until.to_string();
        self.outbox_script(&self.scripts.renew, &[owner.as_bytes(), until.as_bytes()]).await
    }

    async fn adopt(
        &self,
        owner: &str,
        previous: Option<&str>,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let (now_s, until, limit) = (now.to_string(), (now + lease_ms).to_string(), limit.to_string());
        let earlier: &[u8] = if previous.is_some() { b"1" } else { b"0" };
        let args: [&[u8]; 6] = [
            owner.as_bytes(),
            earlier,
            previous.unwrap_or_default().as_bytes(),
            now_s.as_bytes(),
            until.as_bytes(),
            limit.as_bytes(),
        ];
        jobs(self.outbox_script(&self.scripts.adopt, &args).await?)
    }

    async fn claim(&self, worker: &str, now: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
        let (now_s, until, limit) = (now.to_string(), (now + lease_ms).to_string(), limit.to_string());
        let args: [&[u8]; 4] = [worker.as_bytes(), now_s.as_bytes(), until.as_bytes(), limit.as_bytes()];
        jobs(self.outbox_script(&self.scripts.claim, &args).await?)
    }

    async fn ack(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        self.acks.ack(&self.conn, &self.scripts, &self.prefix, id, worker).await
    }

    async fn set_remaining(&self, id: i64, worker: &str, answer: &str) -> Result<bool, StoreError> {
        self.held(&self.scripts.set_remaining, id, worker, &[answer.as_bytes()]).await
    }

    async fn has_later(&self, account: &str, openid: &str, id: i64) -> Result<bool, StoreError> {
        let user = self.user_key(account, openid);
        // The user's order is by place (acceptance time: see ACCEPT); a job's place is its score, or for a job no
        // longer in the user's queue, the place it was given. A job gone altogether came before anything queued.
        let place: Option<f64> = self.conn().zscore(&user, id).await.map_err(backend)?;
        let place = match place {
            Some(place) => place as i64,
            None => {
                let kept: Option<f64> = self.conn().hget(self.job_key(id), "place").await.map_err(backend)?;
                kept.map_or(i64::MIN, |p| p as i64)
            }
        };
        // After it: a later place, or the same place (a job of another user, accepted in the same ms) and a
        // later id.
        let from: Vec<(i64, f64)> =
            self.conn().zrangebyscore_limit_withscores(&user, place, "+inf", 0, 64).await.map_err(backend)?;
        Ok(from.iter().any(|&(other, at)| at as i64 > place || other > id))
    }

    async fn wake(&self, account: &str, openid: &str) -> Result<u64, StoreError> {
        self.outbox_script(&self.scripts.wake, &[account.as_bytes(), openid.as_bytes()]).await
    }

    async fn retry(&self, id: i64, worker: &str, not_before: i64, error: &str) -> Result<bool, StoreError> {
        let not_before = not_before.to_string();
        self.held(&self.scripts.retry, id, worker, &[not_before.as_bytes(), error.as_bytes()]).await
    }

    async fn sleep(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        self.held(&self.scripts.sleep, id, worker, &[]).await
    }

    async fn kill(&self, id: i64, worker: &str, reason: &str) -> Result<bool, StoreError> {
        self.held(&self.scripts.kill, id, worker, &[reason.as_bytes()]).await
    }

    async fn list(&self, state: JobState, limit: usize) -> Result<Vec<Job>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.conn();
        let ids: Vec<i64> =
            conn.zrange(self.state_key(state.as_str()), 0, limit as isize - 1).await.map_err(backend)?;
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.cmd("HMGET").arg(self.job_key(*id)).arg(&JOB_FIELDS[..]);
        }
        let rows: Vec<Row> = pipe.query_async(&mut conn).await.map_err(backend)?;
        // A job removed or moved between the two reads is left out.
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            jobs.extend(job(row)?.filter(|j| j.state == state));
        }
        Ok(jobs)
    }

    async fn sleeping_users(&self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        // Read by the script a page at a time from `sleepers` (which names each sleeping job's user), so a large
        // backlog neither holds Redis in one long script nor costs a round trip or a lookup per job.
        let mut users = Vec::new();
        let mut after = "0".to_owned();
        while users.len() < limit {
            let page = SLEEPERS_PAGE.min(limit - users.len());
            let count = page.to_string();
            let reply: Vec<String> =
                self.outbox_script(&self.scripts.sleepers, &[after.as_bytes(), count.as_bytes()]).await?;
            let read = reply.len();
            // Each entry is `id \x1f account \x1f openid`; the next page starts after the last id.
            if let Some(last) = reply.last() {
                after = last.split('\u{1f}').next().unwrap_or_default().to_owned();
            }
            for entry in reply {
                let mut parts = entry.splitn(3, '\u{1f}').skip(1);
                if let (Some(account), Some(openid)) = (parts.next(), parts.next()) {
                    users.push((account.to_owned(), openid.to_owned()));
                }
            }
            // A short page is the last.
            if read < page {
                break;
            }
        }
        Ok(users)
    }

    async fn counts(&self) -> Result<wxgate_store::OutboxCounts, StoreError> {
        let mut conn = self.conn();
        let (awaiting, ready, sleeping, dead, oldest): (u64, u64, u64, u64, Vec<i64>) = redis::pipe()
            .zcard(self.state_key("awaiting"))
            .zcard(self.state_key("ready"))
            .zcard(self.state_key("sleeping"))
            .zcard(self.state_key("dead"))
            .zrange(self.state_key("ready"), 0, 0)
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        let oldest_ready_accepted_at = match oldest.first() {
            Some(&id) => conn.hget(self.job_key(id), "accepted_at").await.map_err(backend)?,
            None => None,
        };
        Ok(wxgate_store::OutboxCounts { awaiting, ready, sleeping, dead, oldest_ready_accepted_at })
    }

    async fn revive(&self, id: i64) -> Result<bool, StoreError> {
        let id = id.to_string();
        Ok(self.outbox_script::<i64>(&self.scripts.revive, &[id.as_bytes()]).await? == 1)
    }

    async fn remove(&self, id: i64) -> Result<bool, StoreError> {
        let id = id.to_string();
        Ok(self.outbox_script::<i64>(&self.scripts.remove, &[id.as_bytes()]).await? == 1)
    }
}
