//! One account's handles on the series every push records, each resolved the first time it is used.
//!
//! Recording through a [`Family`](prometheus_client::metrics::family::Family) builds the label set (allocating
//! the account's name), hashes it and takes the family's lock, for every push. An account's meter does that once
//! per series and then holds the series itself (a counter or histogram handle shares its value with the family),
//! so a push records with a few atomic operations. Series appear on first use, as before: a scrape shows no
//! series for what never happened.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;

use crate::metrics::{AccountLabel, Metrics, PushLabels, get};

/// How a push arrived: the `delivery` and `mode` labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Classic callback, plaintext.
    ClassicPlain,
    /// Classic callback, encrypted (compatible or safe mode).
    ClassicAes,
    /// Cloud Hosting, JSON.
    CloudJson,
    /// Cloud Hosting, XML.
    CloudXml,
}

/// How a push was answered: the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// An answer in the response.
    Passive,
    /// The answer goes through late delivery.
    HandedOff,
    /// Nothing to say: `success`.
    Success,
}

impl Arrival {
    const ALL: usize = 4;

    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Arrival::ClassicPlain => ("classic", "plain"),
            Arrival::ClassicAes => ("classic", "aes"),
            Arrival::CloudJson => ("cloud", "json"),
            Arrival::CloudXml => ("cloud", "xml"),
        }
    }
}

impl Answer {
    const ALL: usize = 3;

    fn label(self) -> &'static str {
        match self {
            Answer::Passive => "passive",
            Answer::HandedOff => "handed_off",
            Answer::Success => "success",
        }
    }
}

/// The series one account's pushes record into.
#[derive(Debug)]
pub(crate) struct PushMeter {
    account: String,
    /// `wxgate_pushes_total`, by arrival × answer.
    pushes: [OnceLock<Counter>; Arrival::ALL * Answer::ALL],
    /// `wxgate_answer_seconds`.
    answer_seconds: OnceLock<Histogram>,
    /// `wxgate_answers_total{route="passive"}`.
    passive: OnceLock<Counter>,
}

impl PushMeter {
    /// The meter of the account called `account`.
    pub(crate) fn new(account: &str) -> Self {
        PushMeter {
            account: account.to_owned(),
            pushes: Default::default(),
            answer_seconds: OnceLock::new(),
            passive: OnceLock::new(),
        }
    }

    /// Counts one push by how it arrived and was answered, and how long answering took.
    pub(crate) fn record(&self, arrival: Arrival, answer: Answer, took: Duration) {
        let m = get();
        let account = &self.account;
        self.pushes[arrival as usize * Answer::ALL + answer as usize]
            .get_or_init(|| {
                let (delivery, mode) = arrival.labels();
                let labels = PushLabels { account: account.clone(), delivery, mode, outcome: answer.label() };
                m.pushes.get_or_create(&labels).clone()
            })
            .inc();
        self.answer_seconds
            .get_or_init(|| m.answer_seconds.get_or_create(&AccountLabel { account: account.clone() }).clone())
            .observe(took.as_secs_f64());
        if answer == Answer::Passive {
            self.passive.get_or_init(|| Metrics::counter(&m.answers, account, "route", "passive")).inc();
        }
    }
}
