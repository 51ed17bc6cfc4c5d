//! wxgate mounted in a user's own axum app: the app keeps its routes, and an answer that misses WeChat's
//! deadline is still delivered by customer service, because the gateway starts its outbox worker itself.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use wxgate_proto::kf::KfBody;
use wxgate_server::router::Text;
use wxgate_server::{Gateway, Router, Stores, WorkerConfig, config};
use wxgate_store::memory::MemoryStore;

#[tokio::test]
async fn a_late_answer_is_delivered_from_an_app_that_mounts_the_gateway() {
    let cfg = format!(
        "[[accounts]]\nname = \"acct\"\npath = \"/wechat\"\ntoken = \"{TOKEN}\"\n\
         deadline = {{ budget_ms = 100, attempts = 1 }}\n"
    );
    let config = config::load_str(&cfg, "t", Vec::new()).unwrap();
    let router = Router::new().on_text(|Text(t): Text| async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        format!("late answer to {t}")
    });
    let phone = Arc::new(Phone::default());
    let gateway = Gateway::builder(config)
        .router(router)
        .stores(Stores { outbox: Some(Arc::new(MemoryStore::new())), ..Stores::default() })
        .customer_service(phone.clone())
        .worker(WorkerConfig { poll: Duration::from_millis(50), ..WorkerConfig::default() })
        .build()
        .unwrap();
    let app = axum::Router::new().route("/hello", axum::routing::get(|| async { "the user's own route" }));
    let app = app.merge(gateway.into_axum());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let http = reqwest::Client::new();
    let own = http.get(format!("http://{addr}/hello")).send().await.unwrap().text().await.unwrap();
    assert_eq!(own, "the user's own route");
    let ts = now().to_string();
    let sig = wxgate_proto::crypto::url_signature(TOKEN, &ts, "9");
    let url = format!("http://{addr}/wechat?signature={sig}&timestamp={ts}&nonce=9");
    let resp = http.post(url).body(text_xml("question", fresh_id())).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "success", "the only attempt hands the answer over");
    let received = phone.wait_for(1).await;
    assert_eq!(received, vec![(USER.to_owned(), KfBody::text("late answer to question"))]);
}
