//! A tiny developer server for the push tests: records every request and answers with a scripted behaviour.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;

/// One request the peer received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// What the peer answers: (delay, status, body).
pub type Answer = (Duration, u16, Vec<u8>);

type Behaviour = Arc<dyn Fn(&Seen, usize) -> Answer + Send + Sync>;

#[derive(Clone)]
struct PeerState {
    seen: Arc<Mutex<Vec<Seen>>>,
    behaviour: Behaviour,
}

/// A running peer.
pub struct Peer {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Peer {
    /// Starts a peer on 127.0.0.1:0 at path `/wx`; `behaviour(request, index)` decides the answer
    /// (`index` counts requests from 0).
    pub async fn start(behaviour: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static) -> Peer {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = PeerState { seen: seen.clone(), behaviour: Arc::new(behaviour) };
        let app = Router::new().route("/wx", any(handle)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/wx", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Peer { url, seen, task }
    }

    /// Requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A fixed answer, no delay.
pub fn answer(status: u16, body: impl Into<Vec<u8>>) -> Answer {
    (Duration::ZERO, status, body.into())
}

async fn handle(
    State(state): State<PeerState>,
    method: axum::http::Method,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Vec<u8>) {
    let seen = Seen { method: method.to_string(), query, headers, body: body.to_vec() };
    let index = {
        let mut all = state.seen.lock().unwrap();
        all.push(seen.clone());
        all.len() - 1
    };
    let (delay, status, body) = (state.behaviour)(&seen, index);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    (StatusCode::from_u16(status).unwrap(), body)
}
