//! The HTTP control API and the TOML config: drive a user, read the transcript, verify, probe, faults, clock.

mod common;

use common::peer::{Peer, answer};
use common::*;
use serde_json::{Value, json};
use wxgate_sim::{SimConfig, Simulator};

#[tokio::test]
async fn control_api_end_to_end_from_a_config() {
    let peer = Peer::start(|seen, _| match seen.method.as_str() {
        "GET" => answer(200, seen.query["echostr"].clone()),
        _ if seen.body.starts_with(b"<xml><action>") => answer(200, ""),
        _ => {
            let inbound = inbound_of(&seen.body);
            match inbound.text() {
                Some(t) => answer(200, text_reply_xml(&inbound, &format!("you said {t}"))),
                None => answer(200, "success"),
            }
        }
    })
    .await;
    let toml = format!(
        r#"
        [sim]
        listen = "127.0.0.1:0"
        push_timeout_ms = 300
        [[accounts]]
        appid = "{APPID}"
        secret = "{SECRET}"
        original_id = "{ORIGINAL_ID}"
        token = "{TOKEN}"
        delivery = {{ kind = "url", url = "{}" }}
        users = ["{USER}"]
        "#,
        peer.url
    );
    let sim = Simulator::builder().config(SimConfig::from_toml(&toml).unwrap()).start().await.unwrap();
    let base = sim.base_url();

    let accounts = get_json(&format!("{base}/sim/accounts")).await;
    assert_eq!(accounts[0]["appid"], APPID);
    assert!(!accounts.to_string().contains(SECRET), "no secrets in the control API");

    let out = post_json(&format!("{base}/sim/send/{APPID}/{USER}"), &json!({"type": "text", "content": "ping"})).await;
    assert_eq!(out["verdict"], "reply", "{out}");
    assert_eq!(out["detail"]["Content"], "you said ping");
    let out = post_json(&format!("{base}/sim/send/{APPID}/{USER}"), &json!({"type": "click", "key": "K"})).await;
    assert_eq!(out["verdict"], "nothing");

    let transcript = get_json(&format!("{base}/sim/transcript/{APPID}/{USER}")).await;
    let kinds: Vec<&str> = transcript.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["sent", "passive_reply", "sent"]);

    assert_eq!(post_json(&format!("{base}/sim/verify/{APPID}"), &json!({})).await["ok"], true);
    assert_eq!(post_json(&format!("{base}/sim/probe/{APPID}"), &json!({})).await["ok"], true);
    let unknown = http().post(format!("{base}/sim/verify/wxnope")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let bad = http().post(format!("{base}/sim/send/{APPID}/{USER}")).body(r#"{"type":"dance"}"#).send().await.unwrap();
    assert_eq!(bad.status(), 400);

    let fault = json!({"path": "/cgi-bin/token", "kind": "errcode", "value": -1, "count": 1});
    assert_eq!(post_json(&format!("{base}/sim/faults"), &fault).await["ok"], true);
    let url = format!("{base}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}");
    assert_eq!(errcode(&get_json(&url).await), -1);
    let t = get_json(&url).await["access_token"].as_str().unwrap().to_owned();

    // Like `curl -d`: a form content type with a JSON body.
    let advanced = http()
        .post(format!("{base}/sim/clock/advance"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(r#"{"secs":7300}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 200);
    assert_eq!(errcode(&send_text(&sim, &t, USER, "late").await), 42001);
    let counters: Value = get_json(&format!("{base}/sim/counters")).await;
    assert_eq!(counters["pushes"], 2);
    assert_eq!(counters["token_requests"], 1, "the faulted request never reached the endpoint");
    assert_eq!(counters["faults_injected"], 1);
}
