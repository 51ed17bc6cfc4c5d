//! Time to the first part of a long model answer: a user asks, the model writes a long answer at a steady pace,
//! and the parts arrive on the simulated phone by customer service. Measured with streaming (parts go out as they
//! are written) and, in the same run, without (the baseline: the answer is split and sent once it is finished).
//! Prints one line per mode and the ratio of the streamed times to the baseline's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use wxgate_llm::fake::FakeModel;
use wxgate_server::{Gateway, Stores, WorkerConfig, config};
use wxgate_sim::{Account, Item, Simulator};

/// Arguments.
#[derive(Parser)]
struct Args {
    /// Characters in the answer (ASCII; keep it within five messages, the quota of one user message).
    #[arg(long, default_value_t = 6000)]
    chars: usize,
    /// The model's pace: milliseconds per 24-character piece.
    #[arg(long, default_value_t = 40)]
    piece_ms: u64,
}

const APPID: &str = "wx00000000000000b2";
const USER: &str = "oBenchFirstPart0000000000000";
const TOKEN: &str = "bench-token";

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let streamed = run(&args, true).await;
    let whole = run(&args, false).await;
    for (mode, (first, last, parts)) in [("stream", streamed), ("whole", whole)] {
        println!("mode={mode} parts={parts} first_part_ms={} last_part_ms={}", first.as_millis(), last.as_millis());
    }
    println!(
        "ratio stream/whole: first_part={:.2} last_part={:.2}",
        streamed.0.as_secs_f64() / whole.0.as_secs_f64(),
        streamed.1.as_secs_f64() / whole.1.as_secs_f64()
    );
}

/// One question; returns the times to the first and the last customer-service message, and their number.
async fn run(args: &Args, stream: bool) -> (Duration, Duration, usize) {
    let model = FakeModel::start().await.expect("fake model");
    // Paragraphs of twelve sentences, like a model's long answer.
    let paragraph = "A model writes a long answer one piece at a time. ".repeat(12) + "\n\n";
    let answer: String = paragraph.repeat(args.chars / paragraph.len() + 1).chars().take(args.chars).collect();
    model.set_answer(Some(answer.clone()));
    model.set_chunk_delay(Duration::from_millis(args.piece_ms));
    let sim = Simulator::builder().start().await.expect("simulator");
    let toml = format!(
        "[[accounts]]\nname = \"bench\"\npath = \"/wx\"\ntoken = \"{TOKEN}\"\nappid = \"{APPID}\"\nsecret = \"s\"\n\
         api_base = \"{}\"\n[accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\nstream = {stream}\ntimeout_secs = 600\n",
        sim.base_url(),
        model.base_url()
    );
    let config = config::load_str(&toml, "bench", Vec::new()).expect("bench config");
    let store = Arc::new(wxgate_store_sqlite::SqliteStore::in_memory().expect("sqlite"));
    let worker = WorkerConfig { poll: Duration::from_millis(20), ..WorkerConfig::default() };
    let gateway = Gateway::builder(config).stores(Stores::single(store)).worker(worker).build().expect("gateway");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(gateway.serve(listener, async {
        let _ = stopped.await;
    }));
    sim.add_account(Account::new(APPID, "s", "gh_0000000bench2", TOKEN).with_url(format!("http://{addr}/wx")))
        .expect("account");
    sim.add_user(APPID, USER).expect("user");

    let started = Instant::now();
    let user = sim.user(APPID, USER);
    tokio::spawn(async move { user.send_text("tell me everything").await });
    cs(&sim, 1).await;
    let first = started.elapsed();
    let whole = wxgate_proto::text::markdown_to_text(&answer);
    let expected = wxgate_server::messages(
        wxgate_server::AccountKind::OfficialAccount,
        wxgate_proto::ReplyBody::text(whole).into(),
        "o",
    )
    .len();
    let parts = cs(&sim, expected).await;
    let last = started.elapsed();
    let _ = stop.send(());
    (first, last, parts)
}

/// Waits until the user has `n` customer-service messages; returns how many there are.
async fn cs(sim: &Simulator, n: usize) -> usize {
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    let wait = sim.wait_for(APPID, USER, Duration::from_secs(600), |t| t.iter().filter(|e| is_cs(e)).count() >= n);
    let _ = wait.await;
    sim.transcript(APPID, USER).iter().filter(|e| is_cs(e)).count()
}
