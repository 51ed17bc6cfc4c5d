//! A model behind the account, against the fake OpenAI-compatible server and the simulated platform over real
//! HTTP: fast answers go out passively, slow ones by customer service with typing first, long ones split within
//! the quota; conversations carry over and reset; errors get the apology; the rate limit holds; rules come first.

mod common;

use std::time::Duration;

use common::*;
use wxgate_llm::fake::FakeModel;
use wxgate_proto::reply::MAX_TEXT_BYTES;
use wxgate_proto::{Format, Reply, ReplyBody};
use wxgate_server::CONTINUE_HINT;
use wxgate_server::{AccountKind, Router};
use wxgate_sim::{Account, Item, Simulator};

/// One account with rules first and the fake model behind; a short deadline (one 1.5 s attempt) keeps tests fast.
async fn setup(model: &FakeModel, extra_llm: &str) -> (TestServer, Simulator) {
    setup_with(model, "deadline = { budget_ms = 1500, attempts = 1 }", extra_llm).await
}

async fn setup_with(model: &FakeModel, deadline: &str, extra_llm: &str) -> (TestServer, Simulator) {
    let sim = Simulator::builder().start().await.unwrap();
    let cfg = format!(
        "[[accounts]]\nname = \"acct\"\npath = \"/wx\"\ntoken = \"{TOKEN}\"\nappid = \"{APPID}\"\naes_key = \"{AES_KEY}\"\n\
         secret = \"s\"\napi_base = \"{}\"\n{deadline}\n\
         [[accounts.rules]]\nkeyword = \"菜单\"\nreply = {{ type = \"text\", content = \"rule answer\" }}\n\
         [accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\n{extra_llm}\n",
        sim.base_url(),
        model.base_url()
    );
    let (server, _store) = start_on_platform(&cfg, Router::new()).await;
    sim.add_account(Account::new(APPID, "s", GH, TOKEN).with_url(format!("http://{}/wx", server.addr))).unwrap();
    sim.add_user(APPID, USER).unwrap();
    (server, sim)
}

/// The customer-service texts on the user's phone, in order.
fn cs_texts(sim: &Simulator) -> Vec<String> {
    sim.transcript(APPID, USER)
        .iter()
        .filter_map(|e| match &e.item {
            Item::CustomerService { text, .. } => Some(text.clone().unwrap_or_default()),
            _ => None,
        })
        .collect()
}

async fn wait_cs(sim: &Simulator, n: usize) -> Vec<String> {
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    let _ = sim.wait_for(APPID, USER, Duration::from_secs(15), |t| t.iter().filter(|e| is_cs(e)).count() >= n).await;
    cs_texts(sim)
}

fn passive(sent: &Sent) -> ReplyBody {
    Reply::decode(sent.body.as_bytes(), Format::Xml).unwrap_or_else(|e| panic!("{e}: {}", sent.body)).body
}

#[tokio::test]
async fn conversations_carry_over_reset_and_rules_come_first() {
    let model = FakeModel::start().await.unwrap();
    let (s, _sim) = setup(&model, "").await;
    assert_eq!(
        passive(&s.push(&text_xml("你好", fresh_id()), Mode::Plain).await),
        ReplyBody::text("echo: 你好 (turn 1)")
    );
    assert_eq!(
        passive(&s.push(&text_xml("再说一次", fresh_id()), Mode::Safe).await.into_plain()),
        ReplyBody::text("echo: 再说一次 (turn 2)")
    );
    let second = &model.requests()[1]["messages"];
    assert_eq!(second[1]["content"], "你好", "the second request carries the first turn: {second}");
    assert_eq!(second[2]["content"], "echo: 你好 (turn 1)");
    assert_eq!(passive(&s.push(&text_xml("菜单", fresh_id()), Mode::Plain).await), ReplyBody::text("rule answer"));
    assert_eq!(model.requests().len(), 2, "a rule answer never reaches the model");
    assert_eq!(
        passive(&s.push(&text_xml("/reset", fresh_id()), Mode::Plain).await),
        ReplyBody::text("好的，我们重新开始。")
    );
    assert_eq!(
        passive(&s.push(&text_xml("again", fresh_id()), Mode::Plain).await),
        ReplyBody::text("echo: again (turn 1)")
    );
}

#[tokio::test]
async fn model_errors_get_the_apology_and_the_rate_limit_holds() {
    let model = FakeModel::start().await.unwrap();
    let (s, _sim) = setup(&model, "rate_per_minute = 2\napology = \"sorry\"\nlimit_reply = \"slow down\"").await;
    model.fail_next(1, 500);
    assert_eq!(passive(&s.push(&text_xml("a", fresh_id()), Mode::Plain).await), ReplyBody::text("sorry"));
    assert_eq!(passive(&s.push(&text_xml("b", fresh_id()), Mode::Plain).await), ReplyBody::text("echo: b (turn 1)"));
    assert_eq!(passive(&s.push(&text_xml("c", fresh_id()), Mode::Plain).await), ReplyBody::text("slow down"));
    assert_eq!(model.requests().len(), 2);
}

#[tokio::test]
async fn a_slow_answer_comes_by_customer_service_after_typing() {
    let model = FakeModel::start().await.unwrap();
    model.set_delay(Duration::from_millis(2500));
    let (_s, sim) = setup(&model, "").await;
    let outcome = sim.user(APPID, USER).send_text("think hard").await.unwrap();
    assert!(matches!(outcome.verdict, wxgate_sim::Verdict::Nothing), "{:?}", outcome.verdict);
    assert_eq!(wait_cs(&sim, 1).await, ["echo: think hard (turn 1)"]);
    let shown = sim.transcript(APPID, USER);
    let typing = shown.iter().position(|e| matches!(e.item, Item::Typing { on: true }));
    let answer = shown.iter().position(|e| matches!(e.item, Item::CustomerService { .. }));
    assert!(typing.is_some() && typing < answer, "typing was shown while the model worked: {shown:#?}");
}

/// WeChat's real timing: three attempts of 5 s each, the default deadline, and a model that takes 20 s.
#[tokio::test]
async fn a_twenty_second_answer_survives_all_three_attempts_and_arrives_by_customer_service() {
    let model = FakeModel::start().await.unwrap();
    model.set_delay(Duration::from_secs(20));
    let (_s, sim) = setup_with(&model, "", "timeout_secs = 60").await;
    let outcome = sim.user(APPID, USER).send_text("a hard question").await.unwrap();
    assert!(matches!(outcome.verdict, wxgate_sim::Verdict::Nothing), "no error notice: {:?}", outcome.verdict);
    assert_eq!(outcome.attempts, 3, "WeChat tried three times");
    assert_eq!(model.requests().len(), 1, "the retries joined the running call");
    assert_eq!(wait_cs(&sim, 1).await, ["echo: a hard question (turn 1)"]);
    let shown = sim.transcript(APPID, USER);
    let typing = shown.iter().position(|e| matches!(e.item, Item::Typing { on: true }));
    let answer = shown.iter().position(|e| matches!(e.item, Item::CustomerService { .. }));
    assert!(typing.is_some() && typing < answer, "typing was shown while the model worked: {shown:#?}");
}

#[tokio::test]
async fn a_long_answer_is_split_in_order_within_the_quota_and_the_rest_follows_the_next_message() {
    let model = FakeModel::start().await.unwrap();
    let long: String = (0..625).map(|i| format!("第{i:03}段：这是很长的回答。\n\n")).collect();
    assert_eq!(long.chars().count(), 10_000, "a 10 000-character answer");
    model.set_answer(Some(long.clone()));
    let (_s, sim) = setup(&model, "").await;
    let user = sim.user(APPID, USER);
    user.send_text("long please").await.unwrap();
    wait_cs(&sim, 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let texts = cs_texts(&sim);
    assert_eq!(texts.len(), 5, "never past the 5-message quota");
    assert!(texts.iter().all(|t| t.len() <= MAX_TEXT_BYTES));
    assert!(texts[4].ends_with(CONTINUE_HINT), "the last part says how to get the rest");
    // Each next message reopens the window; the rest follows, in order, nothing lost or repeated.
    model.set_answer(Some("short".into()));
    let parts = wxgate_server::messages(AccountKind::OfficialAccount, ReplyBody::text(long.clone()).into(), USER).len();
    assert!(parts > 10, "{parts} parts need three windows");
    let mut all = texts;
    while all.len() < parts {
        let next = user.send_text("继续").await.unwrap();
        assert_eq!(next.reply_text(), Some("short"), "the new message itself is answered as usual");
        let before = all.len();
        all = wait_cs(&sim, (before + 5).min(parts)).await;
        assert!(all.len() > before && all.len() - before <= 5, "never past the quota: {} then {}", before, all.len());
    }
    let joined: String = all.iter().map(|t| t.trim_end_matches(CONTINUE_HINT)).collect();
    let squash = |t: &str| t.split_whitespace().collect::<String>();
    assert_eq!(squash(&joined), squash(&long), "every part arrives once and in order");
}

#[tokio::test]
async fn greetings_long_inputs_voice_and_images() {
    let model = FakeModel::start().await.unwrap();
    let extra = "greeting = \"hello, follower\"\nmax_input_chars = 10\ntoo_long_reply = \"too long\"\n\
                 vision_model = \"fake-vision\"";
    let (s, sim) = setup(&model, extra).await;
    let user = sim.user(APPID, USER);
    assert_eq!(user.follow().await.unwrap().reply_text(), Some("hello, follower"));
    assert_eq!(user.send_text("this is more than ten characters").await.unwrap().reply_text(), Some("too long"));
    assert!(model.requests().is_empty(), "neither reached the model");
    // An image goes to the vision model with its URL.
    let image = wxgate_proto::Fields::new()
        .with_text("ToUserName", GH)
        .with_text("FromUserName", USER)
        .with_text("CreateTime", now().to_string())
        .with_text("MsgType", "image")
        .with_text("PicUrl", "http://example.com/cat.jpg")
        .with_text("MediaId", "m1")
        .with_text("MsgId", fresh_id().to_string());
    let sent = s.push(&wxgate_proto::write::fields_to_xml(&image), Mode::Plain).await;
    assert!(passive(&sent).msg_type() == "text", "{}", sent.body);
    let asked = &model.requests()[0];
    assert_eq!(asked["model"], "fake-vision");
    assert_eq!(
        asked["messages"].as_array().unwrap().last().unwrap()["content"][1]["image_url"]["url"],
        "http://example.com/cat.jpg"
    );
    // A voice message is answered from its recognition text; an empty one gets the clear reply.
    let voice = |recognition: &str| {
        wxgate_proto::write::fields_to_xml(
            &wxgate_proto::Fields::new()
                .with_text("ToUserName", GH)
                .with_text("FromUserName", USER)
                .with_text("CreateTime", now().to_string())
                .with_text("MsgType", "voice")
                .with_text("MediaId", "v1")
                .with_text("Format", "amr")
                .with_text("Recognition", recognition)
                .with_text("MsgId", fresh_id().to_string()),
        )
    };
    let heard = passive(&s.push(&voice("你好"), Mode::Plain).await);
    assert!(matches!(&heard, ReplyBody::Text { content } if content.starts_with("echo: 你好")), "{heard:?}");
    assert_eq!(passive(&s.push(&voice(""), Mode::Plain).await), ReplyBody::text("没听清，请再说一遍或发文字。"));
}

#[tokio::test]
async fn a_long_streamed_answer_starts_arriving_while_the_model_still_writes() {
    let model = FakeModel::start().await.unwrap();
    // About 6 000 characters of Markdown (4 messages), written 24 characters at a time every 15 ms (about 4 s).
    let paragraph =
        |i: usize| format!("**Section {i}.** {}", "streaming lowers the time to the first part. ".repeat(11));
    let long: String = (0..12).map(|i| paragraph(i) + "\n\n").collect();
    model.set_answer(Some(long.clone()));
    model.set_chunk_delay(Duration::from_millis(15));
    let (_s, sim) = setup(&model, "").await;
    let outcome = sim.user(APPID, USER).send_text("tell me everything").await.unwrap();
    assert!(matches!(outcome.verdict, wxgate_sim::Verdict::Nothing), "{:?}", outcome.verdict);
    let first = wait_cs(&sim, 1).await;
    assert_eq!(model.completed(), 0, "the first part arrived while the model was still writing");
    assert!(first[0].starts_with("Section 0."), "Markdown is converted: {}", &first[0][..40]);
    let whole = wxgate_proto::text::markdown_to_text(&long);
    let expected =
        wxgate_server::messages(AccountKind::OfficialAccount, ReplyBody::text(whole.clone()).into(), USER).len();
    let all = wait_cs(&sim, expected).await;
    assert_eq!(model.completed(), 1);
    assert_eq!(all.len(), expected, "no more messages than the finished answer split at once");
    assert!(all.iter().all(|t| t.len() <= MAX_TEXT_BYTES && !t.contains("**")));
    let squash = |t: &str| t.split_whitespace().collect::<String>();
    assert_eq!(squash(&all.concat()), squash(&whole), "every part once, in order");
    let asked = model.requests();
    assert_eq!(asked[0]["stream"], true, "the model was asked to stream");
}

/// The embedded default with a model set (as `WXGATE_LLM_*` alone does): its keyword demo still answers, but its
/// catch-all echo (`unless_model = true`) gives way to the model.
#[tokio::test]
async fn the_default_echo_gives_way_to_a_model() {
    let model = FakeModel::start().await.unwrap();
    let cfg = format!("{}\n[accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\n", default_config(), model.base_url());
    let server = start(&cfg, wxgate_server::Router::new()).await;
    let sent = server.push(&text_xml("hello", fresh_id()), Mode::Plain).await;
    assert!(sent.body.contains("echo: hello (turn 1)"), "the model answered: {}", sent.body);
    let sent = server.push(&text_xml("回复文字", fresh_id()), Mode::Plain).await;
    assert!(sent.body.contains("这是回复的消息"), "the demo keyword is still a rule: {}", sent.body);
    assert_eq!(model.requests().len(), 1);
    // Without a model the echo answers.
    let server = start(&default_config(), wxgate_server::Router::new()).await;
    let sent = server.push(&text_xml("hello", fresh_id()), Mode::Plain).await;
    assert!(sent.body.contains("echo: hello") && !sent.body.contains("turn"), "{}", sent.body);
}
