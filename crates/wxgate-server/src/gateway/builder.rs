//! Assembling a gateway: every part is given in any order, and [`GatewayBuilder::build`] wires them once.
//!
//! What is not given has a default: platform clients built from each account's credentials (sharing the given
//! token store and media cache) send customer-service messages and upload rule files; stores not given are kept
//! in memory; the outbox worker is tuned for this config's instance.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Notify;
use wxgate_proto::ReplyBody;
use wxgate_store::memory::MemoryStore;

use super::app::{Gateway, GatewayError};
use super::background::Background;
use super::health::Health;
use super::stores::Stores;
use crate::account::LateStrategy;
use crate::clock::Clock;
use crate::config::Config;
use crate::deadline::{Claims, ENTRY_TTL, InFlightTable, ParkingLot, Running};
use crate::llm::LlmResponder;
use crate::outbox::{
    AutoDelivery, Interactions, Outbox, Recovery, RecoveryParts, Spooled, Windows, Worker, WorkerConfig, WorkerParts,
};
use crate::platform::PlatformSender;
use crate::ports::{CustomerService, LateDelivery, MediaUploader};
use crate::router::{Ctx, Router};
use crate::webhook::{PathGroup, Replays, Shared};

/// Builds a [`Gateway`]; see [`Gateway::builder`].
#[derive(Debug)]
pub struct GatewayBuilder {
    config: Config,
    router: Router,
    stores: Stores,
    customer_service: Option<Arc<dyn CustomerService>>,
    media: Option<Arc<dyn MediaUploader>>,
    late: Option<Arc<dyn LateDelivery>>,
    worker: Option<WorkerConfig>,
    clock: Clock,
}

impl Gateway {
    /// A builder: give it a router, stores and the rest in any order, then [`GatewayBuilder::build`].
    pub fn builder(config: Config) -> GatewayBuilder {
        GatewayBuilder::new(config)
    }
}

impl GatewayBuilder {
    fn new(config: Config) -> Self {
        GatewayBuilder {
            config,
            router: Router::new(),
            stores: Stores::default(),
            customer_service: None,
            media: None,
            late: None,
            worker: None,
            clock: Clock::system(),
        }
    }

    /// Rust handlers, tried after the config rules (and before the model).
    pub fn router(mut self, router: Router) -> Self {
        self.router = router;
        self
    }

    /// The stores to run on (the outbox, tokens, media ids, conversations, and what replicas share); what is not
    /// given is kept in memory.
    pub fn stores(mut self, stores: Stores) -> Self {
        self.stores = stores;
        self
    }

    /// Sends customer-service messages and the typing status (default: each account's platform client).
    pub fn customer_service(mut self, sender: Arc<dyn CustomerService>) -> Self {
        self.customer_service = Some(sender);
        self
    }

    /// Uploads the local files of rules such as `image = "logo.png"` (default: each account's platform client).
    pub fn media(mut self, uploader: Arc<dyn MediaUploader>) -> Self {
        self.media = Some(uploader);
        self
    }

    /// Where the answers of `customer_service` accounts go when they miss WeChat's last attempt (default: the
    /// durable outbox, sent by its worker).
    pub fn late_delivery(mut self, late: Arc<dyn LateDelivery>) -> Self {
        self.late = Some(late);
        self
    }

    /// Tuning of the outbox worker (default: [`WorkerConfig::for_instance`] of the config's instance, with the
    /// config's work lease).
    pub fn worker(mut self, config: WorkerConfig) -> Self {
        self.worker = Some(config);
        self
    }

    /// The clock (default: the system's); [`Clock::following_tokio`] runs the gateway on tokio's paused time.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Wires the parts.
    pub fn build(self) -> Result<Gateway, GatewayError> {
        let GatewayBuilder { config, router, stores, customer_service, media, late, worker, clock } = self;
        let memory = Arc::new(MemoryStore::new());
        log_accounts(&config);
        let platform = match (&customer_service, &media) {
            (Some(_), Some(_)) => None,
            _ => Some(Arc::new(platform(&config, &stores, &memory)?)),
        };
        let cs: Arc<dyn CustomerService> = match customer_service {
            Some(cs) => cs,
            None => platform.clone().expect("built when not given"),
        };
        let media: Arc<dyn MediaUploader> = match media {
            Some(media) => media,
            None => platform.expect("built when not given"),
        };
        let outbox_store = stores.outbox.clone().unwrap_or_else(|| {
            if config.accounts.iter().any(|a| a.deadline.strategy != LateStrategy::PassiveOnly) {
                tracing::warn!("no outbox store: late answers are kept in memory and lost if the process stops");
            }
            memory.clone()
        });
        let worker_config = worker.unwrap_or_else(|| WorkerConfig {
            work_lease: config.work_lease,
            ..WorkerConfig::for_instance(&config.instance)
        });
        let spooled = match (&stores.outbox, &stores.spool) {
            (Some(shared), Some(spool)) => Some(Spooled::new(
                shared.clone(),
                spool.clone(),
                worker_config.name.clone(),
                worker_config.work_lease,
                clock,
            )),
            _ => None,
        };
        let outbox_store = match &spooled {
            Some(spooled) => spooled.clone() as Arc<dyn wxgate_store::OutboxStore>,
            None => outbox_store,
        };
        let wake = Arc::new(Notify::new());
        let windows = Arc::new(Windows::new(stores.windows.clone()));
        let sink =
            Outbox::new(outbox_store.clone(), wake.clone(), &worker_config.name, worker_config.work_lease, clock);
        let mut auto = HashMap::new();
        let mut lates: HashMap<String, Arc<dyn LateDelivery>> = HashMap::new();
        for account in &config.accounts {
            let placeholder = account.deadline.placeholder.clone().map(ReplyBody::text);
            let late: Arc<dyn LateDelivery> = match account.deadline.strategy {
                LateStrategy::PassiveOnly => Arc::new(ParkingLot::new(placeholder)),
                LateStrategy::Auto => {
                    let sink = Arc::new(AutoDelivery::new(sink.clone(), placeholder));
                    auto.insert(account.name.clone(), sink.clone());
                    sink
                }
                LateStrategy::CustomerService => late.clone().unwrap_or_else(|| Arc::new(sink.clone())),
            };
            lates.insert(account.name.clone(), late);
        }
        let conversations = stores.conversations.clone().unwrap_or_else(|| memory.clone());
        let router = with_models(router, &config, conversations, clock);
        let worker = Worker::new(
            outbox_store.clone(),
            WorkerParts { cs: cs.clone(), windows: windows.clone(), wake: wake.clone(), auto, clock },
            worker_config.clone(),
        );
        let workers = RecoveryParts {
            accounts: config.accounts.iter().map(|a| (a.name.clone(), a.clone())).collect(),
            router: router.clone(),
            media: media.clone(),
        };
        let recovery = Recovery::new(outbox_store.clone(), sink, workers, &worker_config, clock);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let table = Arc::new(InFlightTable::new(ENTRY_TTL));
        let running = Arc::new(Running::default());
        let health = Arc::new(Health {
            running: running.clone(),
            store: outbox_store.clone(),
            spool: spooled.clone(),
            worker: std::sync::Mutex::new(None),
            clock,
        });
        let replays = Arc::new(Replays::new(
            config.timestamp_window.unwrap_or(std::time::Duration::from_secs(300)),
            stores.replays.clone(),
        ));
        let shared = Arc::new(Shared {
            table: table.clone(),
            late: lates,
            interactions: Interactions { windows: windows.clone(), store: outbox_store, wake, clock },
            typing: cs,
            media,
            attempts: stores.attempts.clone(),
            claims: stores.claims.clone().map(|store| Claims::new(store, worker_config.name.clone())),
            extensions: Arc::new(router.extensions()),
            router,
            timestamp_window: config.timestamp_window,
            limits: config.limits,
            body_reads: tokio::sync::Semaphore::new(config.limits.body_reads),
            replays: replays.clone(),
            clock,
            stop,
            running,
        });
        let mut by_path: HashMap<String, Vec<_>> = HashMap::new();
        for account in &config.accounts {
            by_path.entry(account.path.clone()).or_default().push(account.clone());
        }
        let paths = by_path
            .into_iter()
            .map(|(path, accounts)| (path, Arc::new(PathGroup { accounts, shared: shared.clone() })))
            .collect();
        let background = Background { worker, recovery, table, replays, windows, spool: spooled, clock, stopped };
        Ok(Gateway::new(config, paths, background, health, worker_config.name))
    }
}

/// Logs each account as it is served, and warns of the public demo token.
fn log_accounts(config: &Config) {
    for account in &config.accounts {
        if account.uses_demo_token() {
            tracing::warn!(account = %account.name, "using the public demo token: set your own (WXGATE_TOKEN) before going live");
        }
        tracing::info!(
            account = %account.name,
            path = %account.path,
            delivery = ?account.delivery,
            encryption = ?account.encryption,
            rules = account.rules.len(),
            "account ready"
        );
    }
}

/// The platform client of every account that has credentials, sharing the token store and media cache.
fn platform(config: &Config, stores: &Stores, memory: &Arc<MemoryStore>) -> Result<PlatformSender, GatewayError> {
    let tokens = stores.tokens.clone().unwrap_or_else(|| memory.clone());
    let media = stores.media.clone().unwrap_or_else(|| memory.clone());
    for account in &config.accounts {
        if account.client_config(None).is_none() && account.deadline.strategy != LateStrategy::PassiveOnly {
            tracing::warn!(
                account = %account.name,
                "no AppSecret: answers that miss the 5-second limit cannot be sent by customer service \
                 (set secret / WXGATE_APPSECRET, or deadline.strategy = \"passive_only\")"
            );
        }
    }
    PlatformSender::for_accounts(&config.accounts, tokens, media)
        .map_err(|(account, source)| GatewayError::Client { account, source })
}

/// The router with each account's model behind every other route.
fn with_models(
    router: Router,
    config: &Config,
    store: Arc<dyn wxgate_store::ConversationStore>,
    clock: Clock,
) -> Router {
    if config.llm.is_empty() {
        return router;
    }
    let responders: Arc<HashMap<String, Arc<LlmResponder>>> = Arc::new(
        config
            .llm
            .iter()
            .map(|(name, cfg)| (name.clone(), Arc::new(LlmResponder::new(cfg.clone(), store.clone(), clock))))
            .collect(),
    );
    router.fallback(move |Ctx(ctx): Ctx| {
        let responders = responders.clone();
        async move {
            match responders.get(&ctx.account.name) {
                Some(r) => r.answer(&ctx).await,
                None => None,
            }
        }
    })
}
