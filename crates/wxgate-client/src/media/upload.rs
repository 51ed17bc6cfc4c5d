//! Upload of temporary media as multipart field `media` (the thumb answer carries `thumb_media_id`), and the
//! cached form: the same bytes for the same account and type are uploaded once and reused until their 3-day
//! life, minus a margin, runs out.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream;
use reqwest::multipart::{Form, Part};

use super::validate::MediaType;

/// Upload progress: called with (bytes sent so far, total bytes).
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// The answer of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedMedia {
    /// The type uploaded.
    pub media_type: MediaType,
    /// `media_id` (or `thumb_media_id` for thumbs).
    pub media_id: String,
    /// The platform's `created_at` (Unix seconds).
    pub created_at: u64,
}

/// Whether a cached upload was reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// The cache held a live media id; nothing was uploaded.
    Hit,
    /// The file was uploaded (first use, or the cached id was about to expire).
    Uploaded,
}

/// Bytes per chunk of the streamed part (each chunk reports progress).
const CHUNK: usize = 64 * 1024;

/// The multipart form of one attempt (rebuilt for every attempt).
pub(crate) fn form(filename: &str, content_type: &'static str, bytes: Bytes, progress: Option<Progress>) -> Form {
    let total = bytes.len() as u64;
    let part = match progress {
        None => Part::stream_with_length(bytes, total),
        Some(progress) => {
            let chunks: Vec<Bytes> =
                (0..bytes.len()).step_by(CHUNK).map(|i| bytes.slice(i..(i + CHUNK).min(bytes.len()))).collect();
            let mut sent = 0u64;
            let body = stream::iter(chunks.into_iter().map(move |c| {
                sent += c.len() as u64;
                progress(sent, total);
                Ok::<Bytes, std::io::Error>(c)
            }));
            Part::stream_with_length(reqwest::Body::wrap_stream(body), total)
        }
    };
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::CONTENT_TYPE, reqwest::header::HeaderValue::from_static(content_type));
    let part = part.file_name(filename.to_owned()).headers(headers);
    Form::new().part("media", part)
}

/// Reads the upload answer.
pub(crate) fn parse(media_type: MediaType, v: &serde_json::Value) -> Option<UploadedMedia> {
    let key = if media_type == MediaType::Thumb { "thumb_media_id" } else { "media_id" };
    let id = v.get(key).or_else(|| v.get("media_id")).or_else(|| v.get("thumb_media_id"))?.as_str()?;
    let created_at = v.get("created_at").and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok())).unwrap_or(0);
    Some(UploadedMedia { media_type, media_id: id.to_owned(), created_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thumb_answers_thumb_media_id() {
        let v = json!({"type": "thumb", "thumb_media_id": "T1", "created_at": 1700000000});
        assert_eq!(parse(MediaType::Thumb, &v).unwrap().media_id, "T1");
        let v = json!({"type": "image", "media_id": "M1", "created_at": "1700000000"});
        let u = parse(MediaType::Image, &v).unwrap();
        assert_eq!((u.media_id.as_str(), u.created_at), ("M1", 1700000000));
        assert!(parse(MediaType::Image, &json!({"type": "image"})).is_none());
    }
}
