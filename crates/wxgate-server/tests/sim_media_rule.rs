//! A rule that replies with a local file: uploaded to the (simulated) platform on first use, its media id
//! reused afterwards; a missing file is a config error naming the rule.

mod common;

use common::*;
use wxgate_proto::ReplyBody;
use wxgate_server::{Gateway, config};
use wxgate_sim::{Account, Simulator, Verdict};

/// The smallest valid PNG: 1×1 transparent pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

#[tokio::test]
async fn a_rule_replies_with_a_local_image_uploaded_once() {
    let dir = std::env::temp_dir().join(format!("wxgate-media-rule-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let logo = dir.join("logo.png");
    std::fs::write(&logo, PNG).unwrap();
    let sim = Simulator::builder().start().await.unwrap();
    let cfg = format!(
        "[[accounts]]\nname = \"acct\"\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\nsecret = \"s\"\n\
         api_base = \"{}\"\n[[accounts.rules]]\nkeyword = \"logo\"\nimage = \"{}\"\n",
        sim.base_url(),
        logo.display()
    );
    let config = config::load_str(&cfg, "t", Vec::new()).unwrap();
    // The gateway uploads through the account's own platform client (its secret and api_base).
    let s = start_gateway(Gateway::builder(config).build().unwrap()).await;
    sim.add_account(Account::new(APPID, "s", GH, TOKEN).with_url(format!("http://{}/wx", s.addr))).unwrap();
    sim.add_user(APPID, USER).unwrap();
    let user = sim.user(APPID, USER);
    let mut ids = Vec::new();
    for _ in 0..2 {
        match user.send_text("logo").await.unwrap().verdict {
            Verdict::Reply(r) => match r.body {
                ReplyBody::Image { media_id } => ids.push(media_id),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(ids[0], ids[1], "the cached media id is reused");
    assert!(!ids[0].is_empty() && ids[0] != "(uploaded)");
    assert_eq!(sim.counters().media_uploads, 1, "uploaded once");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_missing_file_is_a_config_error() {
    let cfg = "[[accounts]]\ntoken = \"t\"\n[[accounts.rules]]\nkeyword = \"logo\"\nimage = \"/no/such/logo.png\"\n";
    let e = config::load_str(cfg, "t", Vec::new()).unwrap_err().to_string();
    assert!(e.contains("accounts[0].rules[0].image") && e.contains("/no/such/logo.png"), "{e}");
}
