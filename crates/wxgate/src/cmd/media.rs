//! `wxgate media upload FILE` (temporary media, with a progress bar for large files and the media cache) and
//! `wxgate media download MEDIA_ID`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use wxgate_client::{DownloadedMedia, MediaType};

use super::platform::{PlatformArgs, media_type_for, read_file};

/// Files at least this large get a progress bar.
const PROGRESS_FROM: usize = 512 * 1024;

/// Arguments of `wxgate media`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platform options.
    #[command(flatten)]
    pub platform: PlatformArgs,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Upload a temporary media file (valid 3 days); the same file is reused from the cache.
    Upload {
        /// The file.
        file: PathBuf,
        /// image, voice, video or thumb (default: from the file extension).
        #[arg(long = "type")]
        media_type: Option<String>,
        /// Upload even if the cache holds a live media id for this file.
        #[arg(long)]
        no_cache: bool,
    },
    /// Download temporary media.
    Download {
        /// The media id.
        media_id: String,
        /// Where to write the file (default: the name the platform gives).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = args.platform.client().await?;
    match args.action {
        Action::Upload { file, media_type, no_cache } => {
            let media_type = match media_type {
                Some(t) => {
                    MediaType::parse(&t).with_context(|| format!("--type {t:?}: use image, voice, video or thumb"))?
                }
                None => media_type_for(&file).context("cannot tell the media type from the extension: pass --type")?,
            };
            let bytes = read_file(&file)?;
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("file").to_owned();
            let bar = (bytes.len() >= PROGRESS_FROM).then(|| {
                let bar = indicatif::ProgressBar::new(bytes.len() as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let progress: Option<wxgate_client::media::Progress> = bar.clone().map(|b| {
                Arc::new(move |sent: u64, _total: u64| b.set_position(sent)) as wxgate_client::media::Progress
            });
            let media_id = if no_cache {
                client.upload_media(media_type, &name, bytes, progress).await?.media_id
            } else {
                let (id, outcome) = client.upload_media_cached(media_type, &name, bytes, progress).await?;
                if outcome == wxgate_client::CacheOutcome::Hit {
                    eprintln!("reused from the media cache (valid at least until its 3-day life minus the margin)");
                }
                id
            };
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            println!("{media_id}");
        }
        Action::Download { media_id, out } => match client.download_media(&media_id).await? {
            DownloadedMedia::VideoUrl(url) => println!("video: {url}"),
            DownloadedMedia::Bytes { content_type, filename, bytes } => {
                // Only the last component of the platform's name: never write outside the current directory.
                let suggested = filename.and_then(|f| std::path::Path::new(&f).file_name().map(PathBuf::from));
                let path = out.or(suggested).unwrap_or_else(|| PathBuf::from(&media_id));
                std::fs::write(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
                println!("{} ({} bytes, {})", path.display(), bytes.len(), content_type.unwrap_or_default());
            }
        },
    }
    Ok(())
}
