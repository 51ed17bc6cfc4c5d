//! `wxgate sim`: run the simulated WeChat platform from a TOML config, with the `/cgi-bin/…` API for the server
//! under test and the `/sim/…` control API for scripts (send as a user, read the transcript, verify, probe).

use std::path::PathBuf;

use anyhow::Context;
use wxgate_sim::{SimConfig, Simulator};

/// Arguments of `wxgate sim`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Simulator config (TOML), e.g. `examples/sim.toml`.
    #[arg(short, long, env = "WXGATE_SIM_CONFIG")]
    pub config: PathBuf,
    /// Listen address, overriding `[sim] listen`.
    #[arg(short, long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Run the URL verification (or, for Cloud Hosting accounts, the container probe) for every account at start.
    #[arg(long)]
    pub verify: bool,
}

/// Runs the simulator until Ctrl-C.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config = SimConfig::load(&args.config).with_context(|| format!("loading {}", args.config.display()))?;
    if let Some(listen) = args.listen {
        config.sim.listen = Some(listen);
    }
    let sim = Simulator::builder().config(config).start().await.context("starting the simulator")?;
    let base = sim.base_url();
    println!("WeChat platform simulator on {base}");
    println!("  API base URL for your server: {base}   (instead of https://api.weixin.qq.com)");
    for account in sim.accounts() {
        let target = account.delivery.as_ref().map_or("<no delivery>", |d| d.url());
        println!("  account {} ({}) pushes to {target}", account.appid, account.original_id);
        if args.verify {
            let cloud = matches!(account.delivery, Some(wxgate_sim::Delivery::CloudHosting { .. }));
            let check = if cloud { sim.probe(&account.appid).await } else { sim.verify_url(&account.appid).await };
            match check {
                Ok(out) => println!(
                    "    {}: ok={} status={} body={:?}",
                    if cloud { "probe" } else { "verify" },
                    out.ok,
                    out.status,
                    out.body
                ),
                Err(e) => println!("    check failed: {e}"),
            }
        }
    }
    if let Some(account) = sim.accounts().first() {
        println!("Try:");
        println!(
            "  curl -s -X POST {base}/sim/send/{}/oUserOpenId0000000000000001 -d '{{\"type\":\"text\",\"content\":\"hello\"}}'",
            account.appid
        );
        println!("  curl -s {base}/sim/transcript/{}/oUserOpenId0000000000000001", account.appid);
    }
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    println!("stopped");
    Ok(())
}
