//! The outbox as a late-delivery sink: durable acceptance, then the answer when it is known.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use wxgate_store::{Lease, NewJob, OutboxStore, StoreError};

use crate::account::{Account, dedup_key};
use crate::answer::{self, Outcome};
use crate::clock::Clock;
use crate::context::Context;
use crate::metrics::{self, Metrics};
use crate::ports::{Accepted, BoxFut, LateDelivery, SinkError};

/// The customer-service outbox.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    store: Arc<dyn OutboxStore>,
    wake: Arc<Notify>,
    /// This process's name: accepted pushes are leased to it while their answers are worked out.
    owner: Arc<str>,
    /// How long that lease lasts unless renewed.
    work_lease: Duration,
    clock: Clock,
}

impl Outbox {
    /// An outbox over a store; `wake` is notified whenever a job becomes ready. Accepted pushes are leased to
    /// `owner` for `work_lease` (renewed by the recovery loop while the process lives).
    pub(crate) fn new(
        store: Arc<dyn OutboxStore>,
        wake: Arc<Notify>,
        owner: &str,
        work_lease: Duration,
        clock: Clock,
    ) -> Self {
        Outbox { store, wake, owner: owner.into(), work_lease, clock }
    }

    /// Records the answer to `openid` from `account` (shared by late completion and crash recovery) as the
    /// customer-service messages that deliver it.
    pub(crate) async fn record(
        &self,
        job: i64,
        account: &Account,
        openid: &str,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let answer = outcome.map(|answer| {
            let messages = answer::messages(account.kind, answer, openid);
            serde_json::to_string(&messages).expect("messages serialize")
        });
        let m = metrics::get();
        if answer.is_some() {
            Metrics::inc(&m.answers, &account.name, "route", "customer_service");
        }
        let started = std::time::Instant::now();
        let stored = self.store.set_answer(job, answer).await;
        m.store_op("set_answer", started.elapsed());
        stored?;
        self.wake.notify_one();
        Ok(())
    }

    /// Closes a job with nothing to send.
    pub(crate) async fn close(&self, job: i64) -> Result<(), StoreError> {
        self.store.set_answer(job, None).await
    }

    /// Accepts the push under `suffix` added to its dedup key (empty for the push itself, `\x1fpartN` for the
    /// later parts of an answer sent in parts).
    async fn accept_as(&self, ctx: &Context, suffix: &str) -> Result<i64, StoreError> {
        let now = self.clock.now_ms();
        let key = dedup_key(&ctx.account.name, &ctx.inbound, ctx.account.dedup)
            .unwrap_or_else(|| format!("{}\u{1f}t\u{1f}{now}", ctx.account.name));
        let job = NewJob {
            account: ctx.account.name.clone(),
            openid: ctx.inbound.from_user.clone(),
            dedup_key: key + suffix,
            push: ctx.inbound.to_xml().into_bytes(),
            accepted_at: now,
            lease: Some(Lease { owner: self.owner.to_string(), until: now + self.work_lease.as_millis() as i64 }),
            from_appid: ctx.from_appid().map(str::to_owned),
            not_before: 0,
        };
        let started = std::time::Instant::now();
        let accepted = self.store.accept(job).await;
        metrics::get().store_op("accept", started.elapsed());
        accepted
    }
}

impl LateDelivery for Outbox {
    fn accept<'a>(&'a self, ctx: &'a Arc<Context>) -> BoxFut<'a, Result<Accepted, SinkError>> {
        Box::pin(async move {
            let id = self.accept_as(ctx, "").await?;
            Ok(Accepted { ticket: id as u64, placeholder: None })
        })
    }

    fn streams(&self) -> bool {
        true
    }

    fn accept_part<'a>(&'a self, ctx: &'a Arc<Context>, n: u32) -> BoxFut<'a, Result<u64, SinkError>> {
        Box::pin(async move { Ok(self.accept_as(ctx, &format!("\u{1f}part{n}")).await? as u64) })
    }

    fn complete(&self, ticket: u64, ctx: Arc<Context>, outcome: Outcome) -> BoxFut<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self.record(ticket as i64, &ctx.account, &ctx.inbound.from_user, outcome).await {
                tracing::error!(account = %ctx.account.name, job = ticket, error = %e, "cannot record a late answer");
            }
        })
    }

    fn cancel(&self, ticket: u64) -> BoxFut<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self.store.remove(ticket as i64).await {
                tracing::warn!(job = ticket, error = %e, "cannot remove a job answered passively after all");
            }
        })
    }
}
