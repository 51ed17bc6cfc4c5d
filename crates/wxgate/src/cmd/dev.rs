//! `wxgate dev`: the gateway and a simulated WeChat platform in one process, wired to each other, with the chat
//! console in the browser — try a config (or the embedded default) with no account and no public URL.
//!
//! Every account of the config gets fresh credentials (token, EncodingAESKey, AppSecret) shared by both sides,
//! its API base pointed at the simulator, and the simulator's pushes pointed at the gateway. The config's store is
//! replaced by an in-memory one: nothing is left behind. With `--replay FILE` it plays a saved conversation
//! instead, prints what changed and exits non-zero if anything did.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use rand::Rng as _;
use wxgate_server::{Gateway, Stores, config};
use wxgate_sim::{Account, AccountKind, DataFormat, Delivery, MenuButton, Mode, Simulator, TranscriptFile};

/// Arguments of `wxgate dev`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file (TOML). Without it: the embedded default.
    #[arg(short, long, env = "WXGATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the console listens.
    #[arg(short, long, default_value = "127.0.0.1:8088")]
    pub listen: std::net::SocketAddr,
    /// The encryption mode WeChat uses for pushes.
    #[arg(long, value_enum, default_value_t = DevMode::Safe)]
    pub mode: DevMode,
    /// Push as WeChat Cloud Hosting (云托管) does: JSON, no signature, token-free API calls.
    #[arg(long)]
    pub cloud: bool,
    /// The kind of account to play.
    #[arg(long, value_enum, default_value_t = DevKind::OfficialAccount)]
    pub kind: DevKind,
    /// Answer with the built-in fake model (an OpenAI-compatible server that echoes), no API key needed.
    #[arg(long)]
    pub fake_model: bool,
    /// With `--fake-model`: how long the model takes to answer, in milliseconds (over ~4.5 s the answer goes out
    /// by customer service).
    #[arg(long, default_value_t = 300)]
    pub fake_model_delay_ms: u64,
    /// Play a saved transcript against the server, print what changed, exit 1 if anything did.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
}

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DevMode {
    /// 明文模式.
    Plain,
    /// 兼容模式.
    Compat,
    /// 安全模式.
    Safe,
}

/// `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DevKind {
    /// 公众号 (a verified service account).
    #[value(name = "official_account")]
    OfficialAccount,
    /// 小程序.
    #[value(name = "mini_program")]
    MiniProgram,
}

/// The users every account starts with.
const FIRST_USERS: [&str; 2] = ["oDevUser0000000000000000001", "oDevUser0000000000000000002"];

fn random_chars(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// The config text and where it came from.
fn config_text(path: Option<&std::path::Path>) -> anyhow::Result<(String, String)> {
    match path {
        Some(p) => Ok((
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
            p.display().to_string(),
        )),
        None => Ok((config::DEFAULT_CONFIG.to_owned(), "embedded default".to_owned())),
    }
}

/// The menu buttons a config answers: rules on a `CLICK` key (`menu_click`, or `event = "CLICK"` with
/// `event_key`).
fn menu_of(text: &str) -> Vec<MenuButton> {
    let Ok(doc) = toml::from_str::<toml::Value>(text) else { return Vec::new() };
    let rules = doc
        .get("accounts")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .flat_map(|account| account.get("rules").and_then(|r| r.as_array()).cloned().unwrap_or_default());
    let mut menu: Vec<MenuButton> = Vec::new();
    for rule in rules {
        let event = rule.get("event").and_then(|v| v.as_str()).unwrap_or_default();
        let key = rule
            .get("menu_click")
            .or_else(|| if event.eq_ignore_ascii_case("click") { rule.get("event_key") } else { None })
            .and_then(|v| v.as_str());
        if let Some(key) = key
            && !menu.iter().any(|b| b.key == key)
        {
            menu.push(MenuButton { key: key.to_owned(), label: key.to_owned() });
        }
    }
    menu
}

/// One account as both sides will know it.
struct Wired {
    sim: Account,
    env: Vec<(String, String)>,
}

fn wire(
    args: &Args,
    index: usize,
    appid: &str,
    original_id: Option<&str>,
    path: &str,
    gateway: std::net::SocketAddr,
) -> Wired {
    let token = random_chars(32);
    let aes_key = random_chars(43);
    let secret = random_chars(32);
    let original_id = original_id.map_or_else(|| format!("gh_dev{index:08}"), str::to_owned);
    let key = |k: &str| format!("WXGATE_ACCOUNTS__{index}__{k}");
    let mut env = vec![
        (key("TOKEN"), token.clone()),
        (key("AES_KEY"), aes_key.clone()),
        (key("SECRET"), secret.clone()),
        (key("ORIGINAL_ID"), original_id.clone()),
    ];
    let mut sim = Account::new(appid, &secret, &original_id, &token);
    let url = format!("http://{gateway}{path}");
    if args.cloud {
        env.push((key("DELIVERY"), "cloud".into()));
        sim = sim.with_format(DataFormat::Json).with_token_free(true).with_delivery(Delivery::CloudHosting {
            url,
            env: "dev-0a1b2c".into(),
            owner_appid: None,
        });
    } else {
        let mode = match args.mode {
            DevMode::Plain => Mode::Plain,
            DevMode::Compat => Mode::Compatible,
            DevMode::Safe => Mode::Safe,
        };
        sim = sim.with_mode(mode, Some(&aes_key)).with_url(url);
    }
    if args.kind == DevKind::MiniProgram {
        env.push((key("KIND"), "mini_program".into()));
        sim = sim.with_kind(AccountKind::MiniProgram);
    }
    Wired { sim, env }
}

/// Runs the console until Ctrl-C, or the replay.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let (text, origin) = config_text(args.config.as_deref())?;
    // First pass: which accounts there are (with the caller's environment, as `serve` would see them).
    let outline = config::load_str(&text, &origin, std::env::vars()).with_context(|| format!("loading {origin}"))?;
    let gateway_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the gateway")?;
    let gateway_addr = gateway_listener.local_addr()?;

    let model = if args.fake_model {
        let model = wxgate_llm::fake::FakeModel::start().await.context("starting the fake model")?;
        model.set_delay(std::time::Duration::from_millis(args.fake_model_delay_ms));
        Some(model)
    } else {
        None
    };
    let mut env: Vec<(String, String)> = Vec::new();
    let mut sim_builder = Simulator::builder().bind(args.listen);
    for (i, account) in outline.accounts().iter().enumerate() {
        let wired = wire(&args, i, account.appid(), account.original_id(), account.path(), gateway_addr);
        env.extend(wired.env);
        sim_builder = sim_builder.account(wired.sim);
        if let Some(model) = &model {
            env.push((format!("WXGATE_ACCOUNTS__{i}__LLM__BASE_URL"), model.base_url()));
            env.push((format!("WXGATE_ACCOUNTS__{i}__LLM__MODEL"), "fake".into()));
        }
    }
    let sim = sim_builder.start().await.with_context(|| format!("cannot listen on {} (--listen)", args.listen))?;
    for (i, _) in outline.accounts().iter().enumerate() {
        env.push((format!("WXGATE_ACCOUNTS__{i}__API_BASE"), sim.base_url()));
    }
    env.push(("WXGATE_LISTEN".into(), gateway_addr.to_string()));
    let ours: std::collections::HashSet<String> = env.iter().map(|(k, _)| k.clone()).collect();
    let shortcuts_we_replace = [
        "WXGATE_TOKEN",
        "WXGATE_AES_KEY",
        "WXGATE_APPSECRET",
        "WXGATE_API_BASE",
        "WXGATE_STORE",
        "WXGATE_STORE_BACKEND",
        "WXGATE_REDIS_URL",
        "WXGATE_DELIVERY",
        "WXGATE_KIND",
        "WXGATE_ORIGINAL_ID",
    ];
    let mut all: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| !ours.contains(k) && !shortcuts_we_replace.contains(&k.as_str()))
        .filter(|(k, _)| !(model.is_some() && k.starts_with("WXGATE_LLM_")))
        .collect();
    all.extend(env);
    let config = config::load_str(&text, &origin, all).with_context(|| format!("loading {origin} for dev"))?;
    sim.set_menu(menu_of(&text));
    for account in sim.accounts() {
        for user in FIRST_USERS {
            sim.add_user(&account.appid, user)?;
        }
    }

    let store = Arc::new(wxgate_store_sqlite::SqliteStore::in_memory().context("opening the in-memory store")?);
    let gateway = Gateway::builder(config).stores(Stores::single(store)).build()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(gateway.serve(gateway_listener, async {
        let _ = stop_rx.await;
    }));

    let outcome = match &args.replay {
        Some(file) => replay(&sim, file).await,
        None => {
            println!("wxgate dev: chat with your bot at http://{}/", sim.addr());
            println!(
                "  config: {origin}; gateway on {gateway_addr}; store: in memory (the config's store is not used)"
            );
            let delivery = match (args.cloud, args.mode) {
                (true, _) => "Cloud Hosting JSON",
                (false, DevMode::Plain) => "plain (明文) mode",
                (false, DevMode::Compat) => "compatible (兼容) mode",
                (false, DevMode::Safe) => "safe (安全) mode",
            };
            let llm = match (&model, outline.accounts().first().and_then(|a| outline.llm(a.name()))) {
                (Some(_), _) => format!("the built-in fake model ({} ms)", args.fake_model_delay_ms),
                (None, Some(llm)) => format!("{} at {}", llm.model, llm.base_url),
                (None, None) => "none (rules only; try --fake-model)".to_owned(),
            };
            println!("  pushes: {delivery}; model: {llm}");
            println!("  Ctrl-C stops.");
            tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
            Ok(())
        }
    };
    let _ = stop_tx.send(());
    let _ = served.await;
    outcome
}

/// Plays `path` as a new user and prints the comparison.
async fn replay(sim: &Simulator, path: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut file = TranscriptFile::parse(&text).with_context(|| format!("reading {}", path.display()))?;
    let accounts = sim.accounts();
    if !accounts.iter().any(|a| a.appid == file.appid) {
        let first = accounts.first().context("the config has no account")?;
        println!("note: {} is not an account of this config; replaying on {}", file.appid, first.appid);
        file.appid = first.appid.clone();
    }
    let openid = format!("oReplay{}", random_chars(21));
    let report = sim.replay(&file, &openid).await?;
    for (i, step) in report.steps.iter().enumerate() {
        let mark = if step.same { "same   " } else { "CHANGED" };
        println!("{mark} step {}: {}", i + 1, step.action);
        if !step.same {
            println!("    was: {}", serde_json::Value::from(step.expected.clone()));
            println!("    now: {}", serde_json::Value::from(step.got.clone()));
        }
    }
    println!("{} of {} steps changed ({})", report.changed, report.steps.len(), path.display());
    if report.changed > 0 {
        anyhow::bail!("the replay differs from {}", path.display());
    }
    Ok(())
}
