//! Download of temporary media (`GET /cgi-bin/media/get`): bytes with their content type and file name, or —
//! for videos — a JSON `{"video_url": …}` to fetch over plain HTTP.

use bytes::Bytes;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderMap};

/// What a download returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadedMedia {
    /// The file.
    Bytes {
        /// `Content-Type`.
        content_type: Option<String>,
        /// The file name from `Content-Disposition`.
        filename: Option<String>,
        /// The content.
        bytes: Bytes,
    },
    /// A video: where to download it.
    VideoUrl(String),
}

/// The `filename="…"` of a `Content-Disposition` header.
fn filename(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(CONTENT_DISPOSITION)?.to_str().ok()?;
    let start = v.find("filename=")? + "filename=".len();
    Some(v[start..].trim_matches(|c| c == '"' || c == ' ' || c == ';').to_owned())
}

/// Classifies a successful answer (errcodes were already turned into errors).
pub(crate) fn classify(headers: &HeaderMap, body: Bytes) -> DownloadedMedia {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if looks_json
        && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(url) = v.get("video_url").and_then(|u| u.as_str())
    {
        return DownloadedMedia::VideoUrl(url.to_owned());
    }
    DownloadedMedia::Bytes { content_type, filename: filename(headers), bytes: body }
}
