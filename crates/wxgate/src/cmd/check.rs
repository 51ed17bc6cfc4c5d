//! `wxgate check [--config FILE] [--offline]`: everything `serve` would need, tried before going live, one line
//! per item and a fix for each failure: the config (every key), each account's credentials form, the store, the
//! platform (an access token), the model (one small request) and the files rules reply with. Exit code 0 only
//! when every item passes; `--offline` skips the two that call out of the machine (platform and model).

use std::time::Duration;

use anyhow::Context as _;
use wxgate_llm::{ChatClient, ChatMessage, Role};
use wxgate_server::config::{self, Config};
use wxgate_server::{Account, AccountKind};

/// Arguments of `wxgate check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file (TOML). Without it: the embedded default plus `WXGATE_…` variables, as `serve` reads them.
    #[arg(short, long, env = "WXGATE_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Skip the checks that call out of the machine (the platform's token endpoint, the model).
    #[arg(long)]
    pub offline: bool,
}

/// How long one network check may take.
const NETWORK_WAIT: Duration = Duration::from_secs(20);

/// The lines printed, and whether one failed.
#[derive(Default)]
struct Report {
    failed: usize,
}

impl Report {
    fn ok(&mut self, item: &str, what: impl std::fmt::Display) {
        println!("ok    {item:<22} {what}");
    }

    fn fail(&mut self, item: &str, what: impl std::fmt::Display, fix: impl std::fmt::Display) {
        self.failed += 1;
        println!("FAIL  {item:<22} {what}\n      {:<22} fix: {fix}", "");
    }

    fn skip(&mut self, item: &str, why: impl std::fmt::Display) {
        println!("skip  {item:<22} {why}");
    }
}

/// Runs the checks; an error (exit code 1) when one fails.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut report = Report::default();
    let source = args.config.as_ref().map_or("the embedded default".to_owned(), |p| p.display().to_string());
    let config = match config::load(args.config.as_deref()) {
        Ok(config) => {
            report.ok("config", format!("{source} with the WXGATE_… environment: every key is valid"));
            config
        }
        Err(e) => {
            // The error names the key and the fix.
            report.fail("config", format!("{source}: {e}"), "correct the key named above, then run check again");
            anyhow::bail!("1 check failed");
        }
    };
    for (i, account) in config.accounts().iter().enumerate() {
        credentials(&mut report, i, account);
    }
    store(&mut report, &config).await;
    for (i, account) in config.accounts().iter().enumerate() {
        let item = format!("platform {}", account.name());
        if args.offline {
            report.skip(&item, "--offline");
        } else {
            platform(&mut report, &item, i, account).await;
        }
        if let Some(llm) = config.llm(account.name()) {
            let item = format!("model {}", account.name());
            if args.offline {
                report.skip(&item, "--offline");
            } else {
                model(&mut report, &item, i, llm).await;
            }
        }
        media(&mut report, &config, account);
    }
    match report.failed {
        0 => Ok(()),
        1 => anyhow::bail!("1 check failed"),
        n => anyhow::bail!("{n} checks failed"),
    }
}

fn credentials(report: &mut Report, index: usize, account: &Account) {
    let item = format!("account {}", account.name());
    let problems = account.form_problems(index);
    if problems.is_empty() {
        let kind = match account.kind() {
            AccountKind::MiniProgram => "Mini Program",
            _ => "Official Account",
        };
        report.ok(
            &item,
            format!("{kind} on {} ({:?} delivery): credentials well-formed", account.path(), account.delivery()),
        );
    }
    for p in problems {
        report.fail(&item, format!("{}: {}", p.key, p.problem), p.fix);
    }
}

async fn store(report: &mut Report, config: &Config) {
    let opened = super::store::open(config).await;
    let outbox = match opened.map(|s| s.outbox) {
        Ok(Some(outbox)) => outbox,
        Ok(None) => return report.ok("store", "in memory (nothing durable)"),
        Err(e) => {
            return report.fail(
                "store",
                format!("{e:#}"),
                "start the store or correct store.path / store.url (WXGATE_STORE / WXGATE_REDIS_URL)",
            );
        }
    };
    match tokio::time::timeout(NETWORK_WAIT, outbox.counts()).await {
        Ok(Ok(c)) => report.ok(
            "store",
            format!(
                "{}: {} awaiting, {} ready, {} sleeping, {} dead",
                describe(config),
                c.awaiting,
                c.ready,
                c.sleeping,
                c.dead
            ),
        ),
        Ok(Err(e)) => report.fail("store", format!("{}: {e}", describe(config)), "check that the store is reachable"),
        Err(_) => report.fail("store", format!("{}: no answer", describe(config)), "check that the store is reachable"),
    }
}

fn describe(config: &Config) -> String {
    match config.store() {
        config::StoreChoice::Sqlite { path, .. } => format!("SQLite {}", path.display()),
        config::StoreChoice::Redis { prefix, spool, .. } => {
            format!("Redis (prefix {prefix}; spool {} while it does not answer)", spool.display())
        }
    }
}

async fn platform(report: &mut Report, item: &str, index: usize, account: &Account) {
    let Some(cfg) = account.client_config(None) else {
        if account.late_strategy() == wxgate_server::account::LateStrategy::PassiveOnly {
            return report.skip(item, "no AppSecret; passive answers only (deadline.strategy = \"passive_only\")");
        }
        return report.fail(
            item,
            "no AppSecret: answers that miss the 5 seconds cannot be sent by customer service",
            format!("set accounts[{index}].secret (WXGATE_APPSECRET), or deadline.strategy = \"passive_only\""),
        );
    };
    let client = match wxgate_client::Client::builder(cfg).build() {
        Ok(client) => client,
        Err(e) => return report.fail(item, e, format!("correct accounts[{index}].api_base")),
    };
    match tokio::time::timeout(NETWORK_WAIT, client.access_token()).await {
        Ok(Ok(None)) => report.ok(item, "Cloud Hosting open interface service: no access token needed"),
        Ok(Ok(Some(token))) => report.ok(item, format!("access token obtained ({} characters)", token.token.len())),
        // The client's error names the errcode, its meaning and what to do (AppSecret, IP allow-list, …).
        Ok(Err(e)) => report.fail(item, &e, token_fix(&e, index)),
        Err(_) => report.fail(item, "no answer from the platform", "check the network and accounts[N].api_base"),
    }
}

/// What to do about a refused token, by errcode.
fn token_fix(e: &wxgate_client::ClientError, index: usize) -> String {
    let code = match e {
        wxgate_client::ClientError::TokenRefused { code, .. } | wxgate_client::ClientError::Api { code, .. } => {
            code.code()
        }
        _ => return "check the network and the platform's address (accounts[N].api_base)".into(),
    };
    match code {
        40001 | 40125 => format!("copy the AppSecret again into accounts[{index}].secret (WXGATE_APPSECRET)"),
        40013 => format!("copy the AppID again into accounts[{index}].appid (WXGATE_APPID)"),
        40164 | 89503 => "add this machine's public IP to the IP allow-list (基本配置 → IP白名单)".into(),
        _ => "see the errcode's advice above".into(),
    }
}

async fn model(report: &mut Report, item: &str, index: usize, llm: &wxgate_llm::LlmConfig) {
    let client = ChatClient::new(llm);
    let ask = [ChatMessage::text(Role::User, "ping")];
    match tokio::time::timeout(NETWORK_WAIT, client.complete(&ask, None)).await {
        Ok(Ok(_)) => report.ok(item, format!("{} answered at {}", llm.model, llm.base_url)),
        Ok(Err(e)) => report.fail(
            item,
            format!("{} at {}: {e}", llm.model, llm.base_url),
            format!("check accounts[{index}].llm.base_url, .model and .api_key (WXGATE_LLM_*)"),
        ),
        Err(_) => report.fail(item, format!("no answer from {}", llm.base_url), "check the model endpoint"),
    }
}

fn media(report: &mut Report, config: &Config, account: &Account) {
    let limits = config.media_limits();
    for file in account.media_files() {
        let item = format!("file {}", account.name());
        let path = file.path.display();
        let size = std::fs::metadata(&file.path).with_context(|| format!("cannot read {path}")).map(|m| m.len());
        let limit = limits.of(file.kind) as u64;
        match size {
            Ok(0) => report.fail(&item, format!("{path} is empty"), "give the file its content"),
            Ok(n) if n > limit => report.fail(
                &item,
                format!("{path}: {n} bytes, over the {} limit of {limit}", file.kind.as_str()),
                "make it smaller, or raise the limit in [media] if your account allows it",
            ),
            Ok(n) => report.ok(&item, format!("{path}: {} of {n} bytes (limit {limit})", file.kind.as_str())),
            Err(e) => report.fail(&item, format!("{e:#}"), "give the path of an existing file"),
        }
    }
}
