//! Media upload/download limits and expiry, and fault injection on API endpoints.

mod common;

use std::time::Duration;

use common::*;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use wxgate_sim::{AccountKind, FaultKind, FaultRule, Interaction, Settings, Simulator, Trigger};

async fn upload(sim: &Simulator, token: &str, media_type: &str, filename: &str, bytes: Vec<u8>) -> Value {
    let url = format!("{}/cgi-bin/media/upload?access_token={token}&type={media_type}", sim.base_url());
    let form = Form::new().part("media", Part::bytes(bytes).file_name(filename.to_owned()));
    http().post(url).multipart(form).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn media_upload_limits_thumb_key_get_and_expiry() {
    let mut settings = Settings::default();
    settings.media_limits.image = 1000;
    let sim = Simulator::builder().settings(settings).account(account()).start().await.unwrap();
    sim.add_user(APPID, USER).unwrap();
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    let t = token(&sim).await;
    let ok = upload(&sim, &t, "image", "a.jpg", vec![1; 1000]).await;
    let media_id = ok["media_id"].as_str().unwrap().to_owned();
    assert_eq!(ok["type"], "image");
    assert_eq!(errcode(&upload(&sim, &t, "image", "a.jpg", vec![1; 1001]).await), 40009);
    assert_eq!(errcode(&upload(&sim, &t, "image", "a.exe", vec![1; 10]).await), 40005);
    assert_eq!(errcode(&upload(&sim, &t, "sticker", "a.jpg", vec![1; 10]).await), 40004);
    assert_eq!(errcode(&upload(&sim, &t, "thumb", "t.jpg", vec![1; 65 * 1024]).await), 40012);
    let thumb = upload(&sim, &t, "thumb", "t.jpg", vec![2; 100]).await;
    assert!(thumb["thumb_media_id"].is_string() && thumb.get("media_id").is_none(), "{thumb}");
    let video = upload(&sim, &t, "video", "v.mp4", vec![3; 100]).await;

    let get = http().get(format!("{}/cgi-bin/media/get?access_token={t}&media_id={media_id}", sim.base_url()));
    let resp = get.send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(resp.bytes().await.unwrap().len(), 1000);
    let vurl = format!(
        "{}/cgi-bin/media/get?access_token={t}&media_id={}",
        sim.base_url(),
        video["media_id"].as_str().unwrap()
    );
    let v = get_json(&vurl).await;
    let bytes = http().get(v["video_url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.len(), 100);

    let img = json!({"touser": USER, "msgtype": "image", "image": {"media_id": media_id}});
    let send_url = format!("{}/cgi-bin/message/custom/send?access_token={t}", sim.base_url());
    assert_eq!(errcode(&post_json(&send_url, &img).await), 0);
    sim.clock().advance(Duration::from_secs(3 * 24 * 3600));
    let t = token(&sim).await;
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    let send_url = format!("{}/cgi-bin/message/custom/send?access_token={t}", sim.base_url());
    assert_eq!(errcode(&post_json(&send_url, &img).await), 40007);
    let gone = get_json(&format!("{}/cgi-bin/media/get?access_token={t}&media_id={media_id}", sim.base_url())).await;
    assert_eq!(errcode(&gone), 40007);
    assert_eq!(sim.counters().media_uploads, 7);
}

#[tokio::test]
async fn mini_program_uploads_images_only() {
    let sim = Simulator::builder().account(account_of(AccountKind::MiniProgram)).start().await.unwrap();
    let t = token(&sim).await;
    assert_eq!(errcode(&upload(&sim, &t, "voice", "a.mp3", vec![1; 10]).await), 40004);
    assert!(upload(&sim, &t, "image", "a.png", vec![1; 10]).await["media_id"].is_string());
}

#[tokio::test]
async fn faults_by_count_rate_status_latency_and_drop() {
    let sim = Simulator::builder().account(account()).start().await.unwrap();
    let url = format!("{}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}", sim.base_url());
    sim.inject(FaultRule::new("/cgi-bin/token", FaultKind::Errcode(-1), Trigger::Count(2)));
    let v = get_json(&url).await;
    assert_eq!(errcode(&v), -1);
    assert!(v["errmsg"].as_str().unwrap().starts_with("system error rid: "));
    assert_eq!(errcode(&get_json(&url).await), -1);
    assert!(get_json(&url).await["access_token"].is_string());

    sim.inject(FaultRule::new("*", FaultKind::HttpStatus(502), Trigger::Count(1)));
    assert_eq!(http().get(&url).send().await.unwrap().status(), 502);

    sim.inject(FaultRule::new("/cgi-bin/token", FaultKind::Drop, Trigger::Count(1)));
    assert!(http().get(&url).send().await.is_err());
    assert!(get_json(&url).await["access_token"].is_string());

    sim.inject(FaultRule::new("/cgi-bin/token", FaultKind::Latency(Duration::from_millis(400)), Trigger::Always));
    let slow = reqwest::Client::builder().no_proxy().timeout(Duration::from_millis(100)).build().unwrap();
    assert!(slow.get(&url).send().await.unwrap_err().is_timeout());
    sim.clear_faults();

    sim.inject(FaultRule::new("/cgi-bin/token", FaultKind::Errcode(45011), Trigger::Rate(1.0)));
    assert_eq!(errcode(&get_json(&url).await), 45011);
    sim.clear_faults();
    sim.inject(FaultRule::new("/cgi-bin/token", FaultKind::Errcode(45011), Trigger::Rate(0.0)));
    assert!(get_json(&url).await["access_token"].is_string());
    assert_eq!(sim.counters().faults_injected, 6);
}
