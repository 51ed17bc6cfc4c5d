//! Mini Programs against the simulated platform over real HTTP, on Cloud Hosting (JSON push, token-free API,
//! resource reuse) and on the classic URL (XML, safe mode). A Mini Program may not answer passively, so every
//! answer goes out by customer service: the push is answered `success` at once, the answer follows from the
//! outbox, once and in order, whatever its length and however long the work takes; the seed-000 keywords get the
//! types each kind of account may send.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use wxgate_server::router::{OpenId, Text};
use wxgate_server::{Gateway, Router, Stores, WorkerConfig, config};
use wxgate_sim::{Account, AccountKind, DataFormat, Delivery, Item, Mode as SimMode, Simulator, Verdict};

/// How the Mini Program's pushes reach the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// Cloud Hosting, JSON pushes, the token-free open interface service.
    CloudJson,
    /// The classic URL in safe mode, XML pushes, an access token.
    ClassicSafe,
}

/// The gateway's config for a Mini Program reached `via`, its API at the simulator.
fn mini_program_toml(via: Via, sim: &Simulator, extra: &str) -> String {
    let base = sim.base_url();
    match via {
        Via::CloudJson => format!(
            "[[accounts]]\nname = \"mp\"\nkind = \"mini_program\"\npath = \"/\"\ndelivery = \"cloud\"\n\
             appid = \"{APPID}\"\napi_base = \"{base}\"\n{extra}\n"
        ),
        Via::ClassicSafe => format!(
            "[[accounts]]\nname = \"mp\"\nkind = \"mini_program\"\npath = \"/wx\"\nappid = \"{APPID}\"\n\
             token = \"{TOKEN}\"\naes_key = \"{AES_KEY}\"\nencryption = \"safe\"\nsecret = \"s\"\napi_base = \"{base}\"\n{extra}\n"
        ),
    }
}

/// The simulator's Mini Program account pushing to the gateway at `addr`.
fn mini_program_account(via: Via, addr: std::net::SocketAddr) -> Account {
    let account = Account::new(APPID, "s", GH, TOKEN).with_kind(AccountKind::MiniProgram);
    match via {
        Via::CloudJson => {
            account.with_format(DataFormat::Json).with_token_free(true).with_delivery(Delivery::CloudHosting {
                url: format!("http://{addr}/"),
                env: "prod-1".into(),
                owner_appid: None,
            })
        }
        Via::ClassicSafe => account.with_mode(SimMode::Safe, Some(AES_KEY)).with_url(format!("http://{addr}/wx")),
    }
}

/// A gateway on `toml` with `router`, its outbox in SQLite, serving on a socket.
async fn gateway(toml: &str, env: Vec<(String, String)>, router: Router) -> TestServer {
    let config = config::load_str(toml, "test", env).expect("test config");
    let store = Arc::new(wxgate_store_sqlite::SqliteStore::in_memory().unwrap());
    let worker = WorkerConfig { poll: Duration::from_millis(50), ..WorkerConfig::default() };
    let built = Gateway::builder(config).router(router).stores(Stores::single(store)).worker(worker).build();
    start_gateway(built.unwrap()).await
}

/// What reached a user's phone: customer-service messages as (msgtype, text), passive replies and notices.
#[derive(Debug, Default)]
struct Phone {
    customer_service: Vec<(String, Option<String>)>,
    passive: usize,
    notices: Vec<String>,
}

fn phone(sim: &Simulator, openid: &str) -> Phone {
    let mut seen = Phone::default();
    for e in sim.transcript(APPID, openid).iter() {
        match &e.item {
            Item::CustomerService { msg_type, text, .. } => {
                seen.customer_service.push((msg_type.clone(), text.clone()))
            }
            Item::PassiveReply { .. } => seen.passive += 1,
            Item::SystemNotice { reason, .. } => seen.notices.push(reason.clone()),
            _ => {}
        }
    }
    seen
}

async fn wait_cs(sim: &Simulator, openid: &str, n: usize, within: Duration) {
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    let _ = sim.wait_for(APPID, openid, within, |t| t.iter().filter(|e| is_cs(e)).count() >= n).await;
}

/// A long answer: three paragraphs of about 1 500 bytes each, over two messages' worth.
fn long_answer(tag: &str) -> String {
    (0..3).map(|i| format!("{tag} 第{i}段：{}", "很长的回答。".repeat(80))).collect::<Vec<_>>().join("\n\n")
}

/// Answers "<ms> short" or "<ms> long" after that many milliseconds, counting runs per question.
fn timed_router(runs: Arc<Mutex<HashMap<String, usize>>>) -> Router {
    Router::new().on_text(move |Text(t): Text, OpenId(user): OpenId| {
        let runs = runs.clone();
        async move {
            *runs.lock().unwrap().entry(format!("{user}/{t}")).or_default() += 1;
            let (ms, size) = t.split_once(' ').unwrap_or(("0", "short"));
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
            if size == "long" { long_answer(&t) } else { format!("answer to {t}") }
        }
    })
}

/// Users whose handlers take 0.1 s to 20 s each ask a short and then a long question: every push is answered
/// `success` at once, and every answer arrives once, in order, by customer service; no notice, no passive reply.
async fn every_answer_arrives_once_in_order(via: Via) {
    let sim = Simulator::builder().start().await.unwrap();
    let runs = Arc::new(Mutex::new(HashMap::new()));
    let s = gateway(&mini_program_toml(via, &sim, ""), Vec::new(), timed_router(runs.clone())).await;
    sim.add_account(mini_program_account(via, s.addr)).unwrap();
    let delays = [100u64, 1_500, 6_000, 20_000];
    let users: Vec<String> = (0..delays.len()).map(|i| format!("oMiniUser{i:019}")).collect();
    let mut asks = Vec::new();
    for (user, ms) in users.iter().zip(delays) {
        sim.add_user(APPID, user).unwrap();
        let sim_user = sim.user(APPID, user);
        asks.push(tokio::spawn(async move {
            let mut verdicts = Vec::new();
            for size in ["short", "long"] {
                let outcome = sim_user.send_text(&format!("{ms} {size}")).await.unwrap();
                verdicts.push((outcome.attempts, matches!(outcome.verdict, Verdict::Nothing)));
            }
            verdicts
        }));
    }
    for ask in asks {
        assert_eq!(ask.await.unwrap(), [(1, true), (1, true)], "success at the first attempt, every time");
    }
    let parts = wxgate_server::messages(
        wxgate_server::AccountKind::MiniProgram,
        wxgate_proto::ReplyBody::text(long_answer("x")).into(),
        USER,
    )
    .len();
    assert!(parts >= 2, "the long answer takes several messages ({parts})");
    for user in &users {
        // Both handlers of a user take the same time and run side by side: all done soon after 20 s.
        wait_cs(&sim, user, 1 + parts, Duration::from_secs(60)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (user, ms) in users.iter().zip(delays) {
        let seen = phone(&sim, user);
        assert!(seen.notices.is_empty() && seen.passive == 0, "{via:?} {user}: {seen:?}");
        let texts: Vec<String> = seen.customer_service.iter().map(|(_, t)| t.clone().unwrap_or_default()).collect();
        assert_eq!(texts.len(), 1 + parts, "{via:?} {user}: each answer once: {texts:#?}");
        assert_eq!(texts[0], format!("answer to {ms} short"), "{via:?}: the short answer first");
        let long: String = texts[1..].concat();
        let expected = long_answer(&format!("{ms} long"));
        let squash = |t: &str| t.split_whitespace().collect::<String>();
        assert_eq!(squash(&long), squash(&expected), "{via:?}: the long answer whole and in order");
    }
    for (question, n) in runs.lock().unwrap().iter() {
        assert_eq!(*n, 1, "{via:?}: the handler ran once for {question}");
    }
    assert_eq!(runs.lock().unwrap().len(), 2 * users.len());
}

#[tokio::test]
async fn on_cloud_hosting_every_answer_arrives_once_in_order_by_customer_service() {
    every_answer_arrives_once_in_order(Via::CloudJson).await;
}

#[tokio::test]
async fn on_the_classic_url_in_safe_mode_every_answer_arrives_once_in_order_by_customer_service() {
    every_answer_arrives_once_in_order(Via::ClassicSafe).await;
}

/// The shipped `examples/cloud.toml`, with its files where this test finds them and its API at the simulator.
fn cloud_demo(sim: &Simulator) -> String {
    let assets = format!("{}/../../examples/assets/", env!("CARGO_MANIFEST_DIR"));
    example_config("cloud.toml").replace("0.0.0.0:80", "127.0.0.1:0").replace("examples/assets/", &assets).replace(
        "\nrequire_wx_source = true\n",
        &format!("\nrequire_wx_source = true\napi_base = \"{}\"\n", sim.base_url()),
    )
}

/// The seed-000 keywords against the active demo as `kind`: the customer-service message types that arrive.
async fn seed_demo(kind: AccountKind) -> Vec<String> {
    let sim = Simulator::builder().start().await.unwrap();
    let env = match kind {
        AccountKind::MiniProgram => vec![("WXGATE_KIND".to_owned(), "mini_program".to_owned())],
        _ => Vec::new(),
    };
    let s = gateway(&cloud_demo(&sim), env, Router::new()).await;
    let account = Account::new(APPID, "s", GH, TOKEN)
        .with_kind(kind)
        .with_format(DataFormat::Json)
        .with_token_free(true)
        .with_delivery(Delivery::CloudHosting {
            url: format!("http://{}/", s.addr),
            env: "e".into(),
            owner_appid: None,
        });
    sim.add_account(account).unwrap();
    sim.add_user(APPID, USER).unwrap();
    assert!(sim.probe(APPID).await.unwrap().ok, "CheckContainerPath");
    let user = sim.user(APPID, USER);
    for keyword in ["回复文字", "回复图片", "回复语音", "回复视频", "回复音乐", "回复图文", "回复小程序"]
    {
        let outcome = user.send_text(keyword).await.unwrap();
        assert!(matches!(outcome.verdict, Verdict::Nothing), "{keyword}: {:?}", outcome.verdict);
        // One keyword at a time, so the answers keep the keywords' order.
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let seen = phone(&sim, USER);
    assert!(seen.notices.is_empty() && seen.passive == 0, "{seen:?}");
    assert_eq!(seen.customer_service.first().and_then(|(_, t)| t.as_deref()), Some("这是回复的消息"));
    seen.customer_service.into_iter().map(|(t, _)| t).collect()
}

#[tokio::test]
async fn the_seed_demo_answers_each_kind_with_the_types_it_may_send() {
    assert_eq!(
        seed_demo(AccountKind::VerifiedService).await,
        ["text", "image", "voice", "video", "music", "link"],
        "an Official Account: everything but the mini-program card"
    );
    assert_eq!(
        seed_demo(AccountKind::MiniProgram).await,
        ["text", "image", "link", "miniprogrampage"],
        "a Mini Program: text, image, link and its card; voice, video and music are skipped"
    );
}

/// A second account reuses the Cloud Hosting environment of the first (资源复用): its pushes carry
/// `x-wx-from-appid`, and the gateway's customer-service call acts for it (`from_appid`). The simulator resolves
/// a token-free call by `from_appid`: without it the call would act for the environment owner, who has no such
/// user, and nothing would arrive.
#[tokio::test]
async fn a_reused_environment_answers_for_the_account_the_push_came_for() {
    const OWNER: &str = "wx00000000000000f1";
    let sim = Simulator::builder().start().await.unwrap();
    let router = Router::new().on_text(|Text(t): Text| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        format!("reused: {t}")
    });
    let toml = format!(
        "[[accounts]]\nname = \"env\"\nkind = \"mini_program\"\npath = \"/\"\ndelivery = \"cloud\"\n\
         appid = \"{OWNER}\"\napi_base = \"{}\"\n",
        sim.base_url()
    );
    let s = gateway(&toml, Vec::new(), router).await;
    let owner =
        Account::new(OWNER, "s", "gh_00000000owner", "t").with_kind(AccountKind::MiniProgram).with_token_free(true);
    let url = format!("http://{}/", s.addr);
    let reusing = Account::new(APPID, "s", GH, TOKEN)
        .with_kind(AccountKind::MiniProgram)
        .with_format(DataFormat::Json)
        .with_token_free(true)
        .with_delivery(Delivery::CloudHosting { url, env: "shared".into(), owner_appid: Some(OWNER.into()) });
    sim.add_account(owner).unwrap();
    sim.add_account(reusing).unwrap();
    sim.add_user(APPID, USER).unwrap();
    let outcome = sim.user(APPID, USER).send_text("hello").await.unwrap();
    assert!(matches!(outcome.verdict, Verdict::Nothing), "{:?}", outcome.verdict);
    wait_cs(&sim, USER, 1, Duration::from_secs(10)).await;
    let seen = phone(&sim, USER);
    assert_eq!(seen.customer_service, [("text".to_owned(), Some("reused: hello".to_owned()))], "{seen:?}");
}

/// The model behind a Mini Program: a short answer and a long streamed one (its parts sent while it is written)
/// both arrive by customer service, once and in order; the push is answered `success` at once.
#[tokio::test]
async fn a_mini_program_s_model_answers_by_customer_service_short_and_streamed() {
    let model = wxgate_llm::fake::FakeModel::start().await.unwrap();
    let sim = Simulator::builder().start().await.unwrap();
    let llm = format!("[accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\nstream = true\n", model.base_url());
    let s = gateway(&mini_program_toml(Via::CloudJson, &sim, &llm), Vec::new(), Router::new()).await;
    sim.add_account(mini_program_account(Via::CloudJson, s.addr)).unwrap();
    sim.add_user(APPID, USER).unwrap();
    let user = sim.user(APPID, USER);
    let short = user.send_text("你好").await.unwrap();
    assert!(matches!(short.verdict, Verdict::Nothing), "{:?}", short.verdict);
    wait_cs(&sim, USER, 1, Duration::from_secs(10)).await;
    let paragraph = "A long answer is sent while the model is still writing it. ".repeat(10) + "\n\n";
    let long = paragraph.repeat(8);
    model.set_answer(Some(long.clone()));
    model.set_chunk_delay(Duration::from_millis(5));
    let outcome = user.send_text("tell me everything").await.unwrap();
    assert!(matches!(outcome.verdict, Verdict::Nothing), "{:?}", outcome.verdict);
    let whole = wxgate_proto::text::markdown_to_text(&long);
    let parts = wxgate_server::messages(
        wxgate_server::AccountKind::MiniProgram,
        wxgate_proto::ReplyBody::text(whole.clone()).into(),
        USER,
    )
    .len();
    wait_cs(&sim, USER, 1 + parts, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = phone(&sim, USER);
    assert!(seen.notices.is_empty() && seen.passive == 0, "{seen:?}");
    let texts: Vec<String> = seen.customer_service.iter().map(|(_, t)| t.clone().unwrap_or_default()).collect();
    assert_eq!(texts[0], "echo: 你好 (turn 1)");
    assert_eq!(texts.len(), 1 + parts, "each part once: {texts:#?}");
    let squash = |t: &str| t.split_whitespace().collect::<String>();
    assert_eq!(squash(&texts[1..].concat()), squash(&whole), "the long answer whole and in order");
    assert_eq!(model.requests().len(), 2, "one model call per message");
}
