//! Cloud Hosting open interface service: calls carry no access token (the simulator rejects any token it did not
//! issue, and counts token requests), and `from_appid` selects the account for resource reuse.

mod common;

use bytes::Bytes;
use common::*;
use wxgate_client::{Client, ClientConfig, ErrCode, MediaType};
use wxgate_sim::Account;

#[tokio::test]
async fn token_free_calls_send_no_token_and_pass_from_appid() {
    let sim = sim().await;
    let owner = "wx00000000000000c1";
    let reuser = "wx00000000000000c2";
    sim.add_account(Account::new(owner, "s1", "gh_c1c1c1c1c1c1", "t").with_token_free(true)).unwrap();
    sim.add_account(Account::new(reuser, "s2", "gh_c2c2c2c2c2c2", "t").with_token_free(true)).unwrap();
    user(&sim, owner, "oCloudOwnerUser0000000000001");
    user(&sim, reuser, "oCloudReuseUser0000000000001");

    let cfg = |from: Option<&str>| {
        let mut c = ClientConfig::cloud(from.map(str::to_owned)).api_base(sim.base_url());
        c.retry = fast_retry();
        c
    };
    let c = Client::new(cfg(None)).unwrap();
    assert!(c.access_token().await.unwrap().is_none());
    c.send_text("oCloudOwnerUser0000000000001", "from the owner").await.unwrap();
    let img = c.upload_media(MediaType::Image, "a.jpg", Bytes::from(jpeg(1)), None).await.unwrap();
    assert!(!img.media_id.is_empty());

    let reuse = Client::new(cfg(Some(reuser))).unwrap();
    reuse.send_text("oCloudReuseUser0000000000001", "via from_appid").await.unwrap();
    assert_eq!(received_bodies(&sim, reuser, "oCloudReuseUser0000000000001").len(), 1, "from_appid chose the account");

    let n = sim.counters();
    assert_eq!((n.token_requests, n.stable_token_requests), (0, 0), "no token ever requested");
    assert_eq!(n.custom_sent, 2);
}

#[tokio::test]
async fn without_the_open_interface_service_the_platform_says_41001() {
    let sim = sim().await; // its accounts are not token-free
    let mut cfg = ClientConfig::cloud(None).api_base(sim.base_url());
    cfg.retry = fast_retry();
    let err = Client::new(cfg).unwrap().send_text("oAnyone", "x").await.unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::AccessTokenMissing));
    assert_eq!(sim.counters().custom_send_requests, 1, "41001 is permanent: not retried, no token fetched");
}
