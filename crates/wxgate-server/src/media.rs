//! Rules that reply with a local file: the file is uploaded as temporary media on first use and its media id
//! reused (the client's media cache) until its 3-day life runs out.

use std::future::Future;
use std::pin::Pin;

use wxgate_proto::ReplyBody;

use crate::rules::MediaFile;

/// A boxed future.
pub type UploadFut<'a> = Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>>;

/// Turns a local file into a media id of an account.
pub trait MediaUploader: Send + Sync + std::fmt::Debug {
    /// Uploads (or finds in the cache) the file; returns its media id.
    fn media_id<'a>(&'a self, account: &'a str, file: &'a MediaFile) -> UploadFut<'a>;
}

/// The reply with its media id filled in.
pub fn with_media_id(reply: ReplyBody, media_id: String) -> ReplyBody {
    match reply {
        ReplyBody::Image { .. } => ReplyBody::Image { media_id },
        ReplyBody::Voice { .. } => ReplyBody::Voice { media_id },
        ReplyBody::Video { title, description, .. } => ReplyBody::Video { media_id, title, description },
        other => other,
    }
}

/// Uploads a rule's file and builds the reply; `None` (logged) when it cannot.
pub async fn reply_with_file(
    uploader: Option<&std::sync::Arc<dyn MediaUploader>>,
    account: &str,
    reply: ReplyBody,
    file: &MediaFile,
) -> Option<ReplyBody> {
    let Some(uploader) = uploader else {
        tracing::error!(account, file = %file.path.display(), "a rule replies with a file but the account has no platform client (set its secret)");
        return None;
    };
    match uploader.media_id(account, file).await {
        Ok(media_id) => Some(with_media_id(reply, media_id)),
        Err(e) => {
            tracing::error!(account, file = %file.path.display(), error = %e, "cannot upload a rule's file");
            None
        }
    }
}
