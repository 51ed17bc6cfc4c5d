//! Prometheus metrics of the process: what pushes came and how they were answered, what the outbox sent and what
//! the platform refused, what the model cost. Served at `GET /metrics` in the text format
//! ([`encode`]), on the gateway's own address or on `server.metrics_listen`.
//!
//! One registry per process (as the process is what Prometheus scrapes): every layer records into the same
//! families through [`get`]. Everything about a user's traffic is labelled by account; refusals are not (a
//! refused request may name no account), and neither is anything whose label would be chosen by a stranger —
//! reasons and errcodes are the gateway's and the platform's own words. Names and units follow Prometheus
//! conventions (`_total` counters, `_seconds` histograms).

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// Labels: the account alone.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct AccountLabel {
    pub(crate) account: String,
}

/// Labels of a push's answer.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct PushLabels {
    pub(crate) account: String,
    /// `classic` or `cloud`.
    pub(crate) delivery: &'static str,
    /// Classic: `plain` or `aes`; Cloud Hosting: `json` or `xml`.
    pub(crate) mode: &'static str,
    /// `passive` (an answer in the response), `handed_off` (the answer goes through late delivery: customer
    /// service, or parked for the user's next message), `success` (nothing to say).
    pub(crate) outcome: &'static str,
}

/// Labels: the account and one more (`attempt`, `route`, `errcode`, `outcome`, `direction`).
pub(crate) type Labelled = Vec<(&'static str, String)>;

/// Labels of a refused request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct StatusLabel {
    pub(crate) status: u16,
}

/// Labels of a store operation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OpLabel {
    pub(crate) op: &'static str,
}

/// Labels of an outbox gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct StateLabel {
    pub(crate) state: &'static str,
}

fn latency() -> Histogram {
    // 5 ms … ~41 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// Every metric family.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) pushes: Family<PushLabels, Counter>,
    pub(crate) refusals: Family<StatusLabel, Counter>,
    pub(crate) attempts: Family<Labelled, Counter>,
    pub(crate) answer_seconds: Family<AccountLabel, Histogram, fn() -> Histogram>,
    pub(crate) answers: Family<Labelled, Counter>,
    pub(crate) retries_joined: Family<AccountLabel, Counter>,
    pub(crate) handler_runs: Family<AccountLabel, Counter>,
    pub(crate) claims_followed: Family<AccountLabel, Counter>,
    pub(crate) sends: Family<Labelled, Counter>,
    pub(crate) dead_letters: Family<AccountLabel, Counter>,
    pub(crate) quota_waits: Family<AccountLabel, Counter>,
    pub(crate) typing_calls: Family<AccountLabel, Counter>,
    pub(crate) token_refreshes: Family<Labelled, Counter>,
    pub(crate) model_calls: Family<Labelled, Counter>,
    pub(crate) model_seconds: Family<AccountLabel, Histogram, fn() -> Histogram>,
    pub(crate) model_tokens: Family<Labelled, Counter>,
    pub(crate) store_seconds: Family<OpLabel, Histogram, fn() -> Histogram>,
    pub(crate) outbox_jobs: Family<StateLabel, Gauge>,
    pub(crate) outbox_oldest_ready: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub(crate) draining: Gauge,
    pub(crate) spooled: Counter,
    pub(crate) spool_jobs: Gauge,
    pub(crate) spooling: Gauge,
}

impl Metrics {
    fn new() -> Metrics {
        let mut r = Registry::with_prefix("wxgate");
        let m = Metrics {
            pushes: Family::default(),
            refusals: Family::default(),
            attempts: Family::default(),
            answer_seconds: Family::new_with_constructor(latency),
            answers: Family::default(),
            retries_joined: Family::default(),
            handler_runs: Family::default(),
            claims_followed: Family::default(),
            sends: Family::default(),
            dead_letters: Family::default(),
            quota_waits: Family::default(),
            typing_calls: Family::default(),
            token_refreshes: Family::default(),
            model_calls: Family::default(),
            model_seconds: Family::new_with_constructor(latency),
            model_tokens: Family::default(),
            store_seconds: Family::new_with_constructor(latency),
            outbox_jobs: Family::default(),
            outbox_oldest_ready: Gauge::default(),
            draining: Gauge::default(),
            spooled: Counter::default(),
            spool_jobs: Gauge::default(),
            spooling: Gauge::default(),
            registry: Registry::default(),
        };
        r.register("pushes", "Pushes answered, by delivery, mode and outcome", m.pushes.clone());
        r.register("refusals", "Requests refused, by HTTP status", m.refusals.clone());
        r.register("push_attempts", "WeChat's attempts seen, by attempt number", m.attempts.clone());
        r.register_with_unit(
            "answer",
            "Time from receiving a push to its response",
            Unit::Seconds,
            m.answer_seconds.clone(),
        );
        r.register("answers", "Answers by route: passive, customer_service, parked", m.answers.clone());
        r.register("retries_joined", "WeChat retries joined to the work already running", m.retries_joined.clone());
        r.register(
            "handler_runs",
            "Handlers (rules with late answers, routes, the model) started",
            m.handler_runs.clone(),
        );
        r.register(
            "claims_followed",
            "Pushes whose work another replica had claimed: this one waited for its result instead of running it",
            m.claims_followed.clone(),
        );
        r.register(
            "sends",
            "Customer-service sends by errcode (0 is success, none when no answer came)",
            m.sends.clone(),
        );
        r.register("dead_letters", "Outbox jobs given up (dead-lettered)", m.dead_letters.clone());
        r.register(
            "quota_waits",
            "Answers left waiting for the user's next message (quota used)",
            m.quota_waits.clone(),
        );
        r.register("typing_calls", "Typing-status calls", m.typing_calls.clone());
        r.register(
            "token_refreshes",
            "Access tokens adopted anew, by source: platform (refreshed here) or store (refreshed by another process)",
            m.token_refreshes.clone(),
        );
        r.register("model_calls", "Model calls by outcome: ok, error", m.model_calls.clone());
        r.register_with_unit("model_call", "Model call latency", Unit::Seconds, m.model_seconds.clone());
        r.register("model_tokens", "Model tokens the API reported, by direction: in, out", m.model_tokens.clone());
        r.register_with_unit("store_op", "Store operation latency", Unit::Seconds, m.store_seconds.clone());
        r.register("outbox_jobs", "Outbox jobs by state, as of the last scrape", m.outbox_jobs.clone());
        r.register_with_unit(
            "outbox_oldest_ready",
            "Age of the oldest job ready to send, as of the last scrape",
            Unit::Seconds,
            m.outbox_oldest_ready.clone(),
        );
        r.register("draining", "1 while the process drains before it exits", m.draining.clone());
        r.register(
            "spooled",
            "Late answers (and answers to record) written to the local spool because the shared store did not answer",
            m.spooled.clone(),
        );
        r.register(
            "spool_jobs",
            "Jobs in the local spool waiting to be forwarded to the shared store",
            m.spool_jobs.clone(),
        );
        r.register(
            "spooling",
            "1 while late answers go to the local spool (the shared store did not answer, or the spool is draining)",
            m.spooling.clone(),
        );
        Metrics { registry: r, ..m }
    }

    /// Counts one of the account's things, labelled `key` = `value`.
    pub(crate) fn inc(family: &Family<Labelled, Counter>, account: &str, key: &'static str, value: impl Into<String>) {
        Metrics::add(family, account, key, value, 1);
    }

    /// Adds `n` to one of the account's counts, labelled `key` = `value`.
    pub(crate) fn add(
        family: &Family<Labelled, Counter>,
        account: &str,
        key: &'static str,
        value: impl Into<String>,
        n: u64,
    ) {
        Metrics::counter(family, account, key, value).inc_by(n);
    }

    /// A handle on one of the account's counts, labelled `key` = `value` (it shares its value with the family).
    pub(crate) fn counter(
        family: &Family<Labelled, Counter>,
        account: &str,
        key: &'static str,
        value: impl Into<String>,
    ) -> Counter {
        family.get_or_create(&vec![("account", account.to_owned()), (key, value.into())]).clone()
    }

    /// Counts one of the account's things.
    pub(crate) fn inc_account(family: &Family<AccountLabel, Counter>, account: &str) {
        family.get_or_create(&AccountLabel { account: account.to_owned() }).inc();
    }

    /// Records a duration for the account.
    pub(crate) fn observe(family: &Family<AccountLabel, Histogram, fn() -> Histogram>, account: &str, took: Duration) {
        family.get_or_create(&AccountLabel { account: account.to_owned() }).observe(took.as_secs_f64());
    }

    /// Records how long a store operation took.
    pub(crate) fn store_op(&self, op: &'static str, took: Duration) {
        self.store_seconds.get_or_create(&OpLabel { op }).observe(took.as_secs_f64());
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub(crate) fn get() -> &'static Metrics {
    &METRICS
}

/// Every metric in the Prometheus text format.
pub(crate) fn encode() -> String {
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &get().registry).expect("writing to a String cannot fail");
    out
}
