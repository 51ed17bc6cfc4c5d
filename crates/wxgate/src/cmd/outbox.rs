//! `wxgate outbox list|retry|drop`: look at late answers, revive dead ones, drop what should not be sent.

use anyhow::Context as _;
use wxgate_server::config;
use wxgate_store::JobState;

/// Arguments of `wxgate outbox`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file (for `[store]`); without it the embedded default plus `WXGATE_…` (e.g. `WXGATE_STORE`).
    #[arg(short, long, env = "WXGATE_CONFIG", global = true)]
    pub config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// List jobs in a state (default: dead).
    List {
        /// awaiting, ready, sleeping (waiting for the user's next message), done or dead.
        #[arg(long, default_value = "dead")]
        state: String,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Put a dead job back in the queue.
    Retry {
        /// Job id.
        id: i64,
    },
    /// Delete a job.
    Drop {
        /// Job id.
        id: i64,
    },
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let cfg = config::load(args.config.as_deref())?;
    let store = super::store::outbox(&cfg).await?;
    match args.action {
        Action::List { state, limit } => {
            let state = JobState::parse(&state)
                .with_context(|| format!("unknown state {state:?}: use awaiting, ready, sleeping, done or dead"))?;
            let jobs = store.list(state, limit).await?;
            if jobs.is_empty() {
                println!("no {} jobs", state.as_str());
            }
            for j in jobs {
                println!(
                    "{:>6}  {:8}  {:<12} {:<30} attempts={} {}",
                    j.id,
                    j.state.as_str(),
                    j.account,
                    j.openid,
                    j.attempts,
                    j.last_error.as_deref().unwrap_or("")
                );
            }
        }
        Action::Retry { id } => {
            anyhow::ensure!(store.revive(id).await?, "job {id} is not dead (see `wxgate outbox list`)");
            println!("job {id} queued again");
        }
        Action::Drop { id } => {
            anyhow::ensure!(store.remove(id).await?, "no job {id}");
            println!("job {id} dropped");
        }
    }
    Ok(())
}
