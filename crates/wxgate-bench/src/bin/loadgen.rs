//! A closed-loop load generator: N keep-alive connections each send pre-signed pushes back to back for a fixed
//! time, then it prints requests/s and latency percentiles as one `key=value` line.

use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use wxgate_bench::{Credentials, PushFactory, percentile};

/// Arguments.
#[derive(Parser)]
struct Args {
    /// Target host:port.
    #[arg(long)]
    target: String,
    /// Label printed with the result.
    #[arg(long)]
    label: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Measured seconds (after a one-second warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Stop after this many requests in all (warm-up included), if sooner; 0 = no limit.
    #[arg(long, default_value_t = 0)]
    requests: u64,
    /// Encrypt the pushes (safe mode).
    #[arg(long)]
    safe: bool,
    /// Text the response must contain (checks the server really answered).
    #[arg(long, default_value = "")]
    expect: String,
    /// Path.
    #[arg(long, default_value = "/wx")]
    path: String,
    /// Token.
    #[arg(long, default_value = "wxgate-demo-token")]
    token: String,
    /// EncodingAESKey.
    #[arg(long, default_value = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")]
    aes_key: String,
    /// AppID.
    #[arg(long, default_value = "wx0000000000000001")]
    appid: String,
    /// Original id.
    #[arg(long, default_value = "gh_0000000000000001")]
    original_id: String,
}

/// When and how long every connection runs.
#[derive(Clone, Copy)]
struct Plan {
    connections: usize,
    /// Requests per connection (`u64::MAX`: no limit).
    per_connection: u64,
    start: Instant,
    warmup: Duration,
    measure: Duration,
}

struct ConnResult {
    latencies_us: Vec<u32>,
    errors: u64,
    /// When the connection stopped (early, with `--requests`).
    finished: Instant,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let creds = Credentials {
        path: args.path.clone(),
        token: args.token.clone(),
        aes_key: args.aes_key.clone(),
        appid: args.appid.clone(),
        original_id: args.original_id.clone(),
    };
    let run =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) & 0xFFFFF;
    let pushes = std::sync::Arc::new(PushFactory::new(creds, args.safe, run));
    let warmup = Duration::from_secs(1);
    let measure = Duration::from_secs(args.seconds);
    let start = Instant::now() + Duration::from_millis(200);
    let per_connection =
        if args.requests == 0 { u64::MAX } else { args.requests.div_ceil(args.connections.max(1) as u64) };
    let plan = Plan { connections: args.connections, per_connection, start, warmup, measure };
    let mut tasks = Vec::new();
    for c in 0..args.connections {
        let pushes = pushes.clone();
        let target = args.target.clone();
        let expect = args.expect.clone();
        tasks.push(tokio::spawn(async move { run_connection(c, plan, &target, &pushes, &expect).await }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut last = start + warmup;
    for t in tasks {
        let r = t.await.expect("connection task");
        all.extend(r.latencies_us);
        errors += r.errors;
        last = last.max(r.finished);
    }
    all.sort_unstable();
    let measured = last.saturating_duration_since(start + warmup).max(Duration::from_millis(1));
    let rps = all.len() as f64 / measured.as_secs_f64();
    println!(
        "label={} rps={:.0} p50_us={} p99_us={} max_us={} requests={} errors={}",
        args.label,
        rps,
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(0),
        all.len(),
        errors
    );
}

async fn run_connection(c: usize, plan: Plan, target: &str, pushes: &PushFactory, expect: &str) -> ConnResult {
    let Plan { connections, per_connection, start, warmup, measure } = plan;
    let mut result = ConnResult { latencies_us: Vec::with_capacity(100_000), errors: 0, finished: Instant::now() };
    let stream = tokio::net::TcpStream::connect(target).await.expect("connect to the target");
    stream.set_nodelay(true).ok();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    tokio::time::sleep_until(start.into()).await;
    let measure_from = start + warmup;
    let end = measure_from + measure;
    let stride = connections.max(1);
    let mut i = c;
    let mut sent_here = 0u64;
    loop {
        let now = Instant::now();
        if now >= end || sent_here >= per_connection {
            break;
        }
        sent_here += 1;
        let p = pushes.push(i as u64);
        i += stride;
        let req = Request::post(p.path_and_query.as_str())
            .header("host", target)
            .header("content-type", "text/xml")
            .body(Full::new(p.body.clone()))
            .expect("request");
        let sent = Instant::now();
        let ok = match sender.send_request(req).await {
            Ok(resp) => {
                let status = resp.status();
                let body: Bytes = resp.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                status == 200 && (expect.is_empty() || body.windows(expect.len()).any(|w| w == expect.as_bytes()))
            }
            Err(_) => false,
        };
        if sent >= measure_from && sent < end {
            if ok {
                result.latencies_us.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
            } else {
                result.errors += 1;
            }
        }
        if !ok && sender.ready().await.is_err() {
            break;
        }
    }
    result.finished = Instant::now().min(end);
    result
}
