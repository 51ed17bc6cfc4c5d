//! After a restart: work again every push whose answer was still awaited when the process died.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use wxgate_proto::Inbound;
use wxgate_store::{JobState, OutboxStore};

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
