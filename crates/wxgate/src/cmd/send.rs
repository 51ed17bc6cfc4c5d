//! `wxgate send <type> --to OPENID …`: one customer-service message of any type. Media can be given as a
//! media id or as a local file (uploaded through the media cache). Text can be converted from Markdown and is
//! split into parts of at most 2048 bytes.

use std::path::PathBuf;

use anyhow::Context as _;
use wxgate_client::{Client, MediaType};
use wxgate_proto::kf::*;

use super::platform::{PlatformArgs, upload_cached};

/// Arguments of `wxgate send`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platform options.
    #[command(flatten)]
    pub platform: PlatformArgs,
    /// The user's openid.
    #[arg(long, global = true)]
    pub to: Option<String>,
    /// Send as this customer-service agent (`agent@gh_xxx`).
    #[arg(long, global = true)]
    pub kf_account: Option<String>,
    #[command(subcommand)]
    kind: Kind,
}

/// A media id or a file to upload.
#[derive(Debug, Clone, clap::Args)]
struct MediaArg {
    /// An uploaded media id.
    #[arg(long, conflicts_with = "file", required_unless_present = "file")]
    media_id: Option<String>,
    /// A local file, uploaded (or reused from the media cache).
    #[arg(long)]
    file: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum Kind {
    /// Text (split into ≤ 2048-byte parts; several messages if needed).
    Text {
        /// The text.
        content: String,
        /// Convert Markdown to plain text first.
        #[arg(long)]
        markdown: bool,
        /// Wrap the text in a link opening this Mini Program…
        #[arg(long, requires = "miniprogram_path")]
        miniprogram_appid: Option<String>,
        /// …at this page.
        #[arg(long)]
        miniprogram_path: Option<String>,
        /// Fallback URL for old clients.
        #[arg(long, default_value = "http://www.qq.com")]
        href: String,
    },
    /// Image.
    Image(MediaArg),
    /// Voice.
    Voice(MediaArg),
    /// Video.
    Video {
        #[command(flatten)]
        media: MediaArg,
        /// Thumbnail media id.
        #[arg(long)]
        thumb_media_id: Option<String>,
        /// Title.
        #[arg(long)]
        title: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Music.
    Music {
        /// Music URL.
        #[arg(long)]
        musicurl: String,
        /// High-quality music URL (default: the music URL).
        #[arg(long)]
        hqmusicurl: Option<String>,
        /// Thumbnail media id.
        #[arg(long)]
        thumb_media_id: Option<String>,
        /// Title.
        #[arg(long)]
        title: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
    },
    /// One news article (an external link card).
    News {
        /// Title.
        #[arg(long)]
        title: String,
        /// Link.
        #[arg(long)]
        url: String,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Picture URL.
        #[arg(long)]
        picurl: Option<String>,
    },
    /// An article from permanent material.
    Mpnews {
        /// Permanent media id.
        #[arg(long)]
        media_id: String,
    },
    /// A published article.
    Mpnewsarticle {
        /// Article id.
        #[arg(long)]
        article_id: String,
    },
    /// Clickable options.
    Msgmenu {
        /// Text above the options.
        #[arg(long)]
        head: Option<String>,
        /// An option as `ID=TEXT` (repeat).
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        /// Text below the options.
        #[arg(long)]
        tail: Option<String>,
    },
    /// A card.
    Wxcard {
        /// Card id.
        #[arg(long)]
        card_id: String,
        /// card_ext JSON string.
        #[arg(long)]
        card_ext: Option<String>,
    },
    /// A Mini Program page card.
    Miniprogrampage {
        /// Title.
        #[arg(long)]
        title: String,
        /// Page path.
        #[arg(long)]
        pagepath: String,
        /// The Mini Program's appid (Official Accounts only; omit when a Mini Program sends).
        #[arg(long)]
        appid: Option<String>,
        /// Cover image media id.
        #[arg(long, conflicts_with = "thumb_file", required_unless_present = "thumb_file")]
        thumb_media_id: Option<String>,
        /// Cover image file (uploaded as an image).
        #[arg(long)]
        thumb_file: Option<PathBuf>,
    },
    /// A link card (Mini Programs).
    Link {
        /// Title.
        #[arg(long)]
        title: String,
        /// Description.
        #[arg(long)]
        description: String,
        /// Link.
        #[arg(long)]
        url: String,
        /// Thumbnail URL.
        #[arg(long)]
        thumb_url: String,
    },
}

async fn media_id(client: &Client, t: MediaType, m: MediaArg) -> anyhow::Result<String> {
    match (m.media_id, m.file) {
        (Some(id), _) => Ok(id),
        (None, Some(path)) => upload_cached(client, t, &path).await,
        (None, None) => anyhow::bail!("pass --media-id or --file"),
    }
}

/// The bodies to send (several for long text).
async fn bodies(client: &Client, kind: Kind) -> anyhow::Result<Vec<KfBody>> {
    Ok(match kind {
        Kind::Text { content, markdown, miniprogram_appid, miniprogram_path, href } => {
            let text = if markdown { wxgate_proto::text::markdown_to_text(&content) } else { content };
            if let (Some(appid), Some(path)) = (miniprogram_appid, miniprogram_path) {
                vec![KfBody::text(miniprogram_link(&text, &href, &appid, &path))]
            } else {
                let parts = wxgate_proto::text::split_trimmed(&text, wxgate_proto::reply::MAX_TEXT_BYTES);
                anyhow::ensure!(!parts.is_empty(), "empty text");
                parts.into_iter().map(KfBody::text).collect()
            }
        }
        Kind::Image(m) => vec![KfBody::Image(MediaRef { media_id: media_id(client, MediaType::Image, m).await? })],
        Kind::Voice(m) => vec![KfBody::Voice(MediaRef { media_id: media_id(client, MediaType::Voice, m).await? })],
        Kind::Video { media, thumb_media_id, title, description } => vec![KfBody::Video(Video {
            media_id: media_id(client, MediaType::Video, media).await?,
            thumb_media_id,
            title,
            description,
        })],
        Kind::Music { musicurl, hqmusicurl, thumb_media_id, title, description } => vec![KfBody::Music(Music {
            title,
            description,
            hqmusicurl: hqmusicurl.unwrap_or_else(|| musicurl.clone()),
            musicurl,
            thumb_media_id,
        })],
        Kind::News { title, url, description, picurl } => {
            vec![KfBody::News(News { articles: vec![NewsArticle { title, description, url, picurl }] })]
        }
        Kind::Mpnews { media_id } => vec![KfBody::MpNews(MediaRef { media_id })],
        Kind::Mpnewsarticle { article_id } => vec![KfBody::MpNewsArticle(MpNewsArticle { article_id })],
        Kind::Msgmenu { head, items, tail } => {
            let list = items
                .iter()
                .map(|i| {
                    let (id, content) = i.split_once('=').with_context(|| format!("--item {i:?}: use ID=TEXT"))?;
                    Ok(MenuItem { id: id.to_owned(), content: content.to_owned() })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            vec![KfBody::MsgMenu(MsgMenu { head_content: head, list, tail_content: tail })]
        }
        Kind::Wxcard { card_id, card_ext } => vec![KfBody::WxCard(WxCard { card_id, card_ext })],
        Kind::Miniprogrampage { title, pagepath, appid, thumb_media_id, thumb_file } => {
            let thumb_media_id = match (thumb_media_id, thumb_file) {
                (Some(id), _) => id,
                (None, Some(path)) => upload_cached(client, MediaType::Image, &path).await?,
                (None, None) => anyhow::bail!("pass --thumb-media-id or --thumb-file"),
            };
            vec![KfBody::MiniProgramPage(MiniProgramPage { title, appid, pagepath, thumb_media_id })]
        }
        Kind::Link { title, description, url, thumb_url } => {
            vec![KfBody::Link(Link { title, description, url, thumb_url })]
        }
    })
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let to = args.to.context("pass --to OPENID")?;
    let client = args.platform.client().await?;
    let bodies = bodies(&client, args.kind).await?;
    let total = bodies.len();
    for (i, body) in bodies.into_iter().enumerate() {
        let mut msg = KfMessage::new(to.clone(), body);
        if let Some(kf) = &args.kf_account {
            msg = msg.as_agent(kf.clone());
        }
        client.send(&msg).await.with_context(|| format!("message {} of {total} was not sent", i + 1))?;
    }
    println!("sent {total} message(s) to {to}");
    Ok(())
}
