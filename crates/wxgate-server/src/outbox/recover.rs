//! After a restart: work again every push whose answer was still awaited when the process died.
//!
//! An answer sent in parts has at most one awaited job in normal operation: its tail. A crash inside
//! [`Context::send_early`](crate::Context::send_early), between accepting a part's successor and recording the
//! part, leaves two awaited jobs of one push; working both would send the whole answer twice. Only the newest
//! job of a push is worked again (it produces the whole answer anew); the older ones are closed with nothing to
//! send.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use wxgate_proto::Inbound;
use wxgate_store::{Job, JobState, OutboxStore};

use super::sink::Outbox;
use crate::account::Account;
use crate::context::Context;
use crate::dispatch;
use crate::router::Router;

/// Re-runs the work of every awaited job; returns how many were recovered.
pub async fn recover(
    store: &Arc<dyn OutboxStore>,
    outbox: &Outbox,
    accounts: &HashMap<String, Arc<crate::account::Account>>,
    router: &Router,
    media: Option<&Arc<dyn crate::media::MediaUploader>>,
) -> usize {
    let jobs = match store.list(JobState::Awaiting, 10_000).await {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::error!(error = %e, "cannot list awaited outbox jobs");
            return 0;
        }
    };
    let (jobs, superseded) = newest_per_push(jobs);
    for id in superseded {
        tracing::warn!(job = id, "closing a part superseded by a later awaited part of the same answer");
        if let Err(e) = outbox.record(id, None).await {
            tracing::error!(job = id, error = %e, "cannot close a superseded part");
        }
    }
    let extensions = Arc::new(router.extensions());
    let mut n = 0;
    for job in jobs {
        let (Some(account), Ok(inbound)) = (accounts.get(&job.account), Inbound::from_xml(&job.push)) else {
            tracing::error!(job = job.id, account = %job.account, "cannot recover job: unknown account or bad push");
            continue;
        };
        let ctx = Arc::new(context(account.clone(), inbound, extensions.clone()));
        let outcome = match dispatch::by_rules(&ctx) {
            Some(dispatch::RuleAnswer::Ready(outcome)) => outcome,
            Some(dispatch::RuleAnswer::Upload(reply, file)) => dispatch::upload(&ctx, media, reply, &file).await,
            None => match dispatch::by_router(&ctx, router) {
                Some(fut) => dispatch::run(&ctx, fut).await,
                None => None,
            },
        };
        if let Err(e) = outbox.record(job.id, outcome).await {
            tracing::error!(job = job.id, error = %e, "cannot record a recovered answer");
            continue;
        }
        n += 1;
    }
    if n > 0 {
        tracing::info!(jobs = n, "recovered outbox jobs awaited before the restart");
    }
    n
}

fn context(account: Arc<Account>, inbound: Inbound, extensions: Arc<axum::http::Extensions>) -> Context {
    Context::new(inbound, account, wxgate_proto::Format::Xml, false, None, Instant::now(), extensions)
}

/// Splits awaited jobs into the newest per push (in id order) and the ids of older jobs of the same push.
fn newest_per_push(jobs: Vec<Job>) -> (Vec<Job>, Vec<i64>) {
    let mut newest: HashMap<(String, String), i64> = HashMap::new();
    for job in &jobs {
        let id = newest.entry((job.account.clone(), push_key(&job.dedup_key).to_owned())).or_insert(job.id);
        *id = (*id).max(job.id);
    }
    let (keep, older): (Vec<Job>, Vec<Job>) =
        jobs.into_iter().partition(|job| newest[&(job.account.clone(), push_key(&job.dedup_key).to_owned())] == job.id);
    (keep, older.into_iter().map(|job| job.id).collect())
}

/// The push's own dedup key: a part's key without its `\x1fpartN` suffix.
fn push_key(dedup_key: &str) -> &str {
    match dedup_key.rsplit_once("\u{1f}part") {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => dedup_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: i64, key: &str) -> Job {
        Job {
            id,
            account: "acct".into(),
            openid: "o".into(),
            dedup_key: key.into(),
            push: Vec::new(),
            answer: None,
            state: JobState::Awaiting,
            attempts: 0,
            not_before: 0,
            last_error: None,
            accepted_at: 0,
        }
    }

    #[test]
    fn only_the_newest_part_of_a_push_is_worked_again() {
        let jobs =
            vec![job(1, "a"), job(2, "b\u{1f}part2"), job(3, "c"), job(4, "b\u{1f}part3"), job(5, "a\u{1f}partx")];
        let (keep, superseded) = newest_per_push(jobs);
        assert_eq!(keep.iter().map(|j| j.id).collect::<Vec<_>>(), [1, 3, 4, 5]);
        assert_eq!(superseded, [2]);
    }
}
