//! The seed-000 demo end to end: simulated WeChat users send the demo keywords and follow the account, the
//! simulator pushes them to `wxgate serve`'s gateway as WeChat does (signed, encrypted by mode, judged), and the
//! users' transcripts show the right reply types — in plain, compatible and safe mode, and through Cloud Hosting
//! in JSON.

mod common;

use common::*;
use wxgate_server::Router;
use wxgate_sim::{Account, DataFormat, Delivery, Mode as SimMode, Simulator, Verdict};

async fn drive(sim: &Simulator) {
    let user = sim.user(APPID, USER);
    for (keyword, msg_type) in DEMO_KEYWORDS {
        let outcome = user.send_text(keyword).await.unwrap();
        match &outcome.verdict {
            Verdict::Reply(r) => assert_eq!(r.body.msg_type(), msg_type, "{keyword}"),
            other => panic!("{keyword}: {other:?}"),
        }
        assert_eq!(outcome.attempts, 1, "{keyword} answered on the first attempt");
    }
    let follow = user.follow().await.unwrap();
    assert!(follow.reply_text().is_some_and(|t| t.starts_with("欢迎关注")), "{:?}", follow.verdict);
    let transcript = user.transcript();
    let replies: Vec<_> = transcript.iter().filter(|e| e.is_received()).collect();
    assert_eq!(replies.len(), DEMO_KEYWORDS.len() + 1, "one reply per message: {transcript:?}");
    assert!(transcript.iter().all(|e| !matches!(e.item, wxgate_sim::Item::SystemNotice { .. })));
}

#[tokio::test]
async fn the_demo_in_every_encryption_mode() {
    let s = start(&default_config(), Router::new()).await;
    for mode in [SimMode::Plain, SimMode::Compatible, SimMode::Safe] {
        let account = Account::new(APPID, "secret", GH, TOKEN)
            .with_mode(mode, Some(AES_KEY))
            .with_url(format!("http://{}/wx", s.addr));
        let sim = Simulator::builder().account(account).start().await.unwrap();
        sim.add_user(APPID, USER).unwrap();
        let check = sim.verify_url(APPID).await.unwrap();
        assert!(check.ok, "URL verification: {check:?}");
        drive(&sim).await;
    }
}

#[tokio::test]
async fn the_demo_through_cloud_hosting_json() {
    let cfg = example_config("cloud_passive.toml").replace("0.0.0.0:80", "127.0.0.1:0");
    let s = start(&cfg, Router::new()).await;
    let account =
        Account::new(APPID, "secret", GH, TOKEN).with_format(DataFormat::Json).with_delivery(Delivery::CloudHosting {
            url: format!("http://{}/", s.addr),
            env: "prod-1a2b".into(),
            owner_appid: None,
        });
    let sim = Simulator::builder().account(account).start().await.unwrap();
    sim.add_user(APPID, USER).unwrap();
    let check = sim.probe(APPID).await.unwrap();
    assert!(check.ok, "CheckContainerPath: {check:?}");
    drive(&sim).await;
}
