//! Local checks of a media file before any network call: the type's size limit and accepted formats, judged by
//! the file's magic bytes and its extension (the platform judges by the extension, so both must agree).
//!
//! Limits default to the strictest variant WeChat's temporary-media documentation (新增临时素材) gives — image
//! 2 MB, voice 2 MB, video 10 MB, thumb 64 KB; some pages allow larger images and voice — which every variant of
//! the platform accepts. Voice duration (≤ 60 s) is not checked locally.

use crate::ClientError;

/// A temporary media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// PNG, JPEG or GIF.
    Image,
    /// AMR or MP3.
    Voice,
    /// MP4.
    Video,
    /// JPEG thumbnail (answered with `thumb_media_id`).
    Thumb,
}

impl MediaType {
    /// The `type` query value.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Voice => "voice",
            MediaType::Video => "video",
            MediaType::Thumb => "thumb",
        }
    }

    /// Parses `image`, `voice`, `video` or `thumb`.
    pub fn parse(s: &str) -> Option<MediaType> {
        Some(match s {
            "image" => MediaType::Image,
            "voice" => MediaType::Voice,
            "video" => MediaType::Video,
            "thumb" => MediaType::Thumb,
            _ => return None,
        })
    }

    fn accepted(self) -> &'static str {
        match self {
            MediaType::Image => "png, jpg/jpeg, gif",
            MediaType::Voice => "amr, mp3",
            MediaType::Video => "mp4",
            MediaType::Thumb => "jpg/jpeg",
        }
    }
}

/// Per-type size limits in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    /// Default 2 MB.
    pub image: usize,
    /// Default 2 MB.
    pub voice: usize,
    /// Default 10 MB.
    pub video: usize,
    /// Default 64 KB.
    pub thumb: usize,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits { image: 2 << 20, voice: 2 << 20, video: 10 << 20, thumb: 64 << 10 }
    }
}

impl MediaLimits {
    /// The limit of a type.
    pub fn of(&self, t: MediaType) -> usize {
        match t {
            MediaType::Image => self.image,
            MediaType::Voice => self.voice,
            MediaType::Video => self.video,
            MediaType::Thumb => self.thumb,
        }
    }
}

/// A format recognised by its magic bytes: (name, extensions, content type).
fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static [&'static str], &'static str)> {
    Some(if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ("jpeg", &["jpg", "jpeg"], "image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ("png", &["png"], "image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        ("gif", &["gif"], "image/gif")
    } else if bytes.starts_with(b"#!AMR") {
        ("amr", &["amr"], "audio/amr")
    } else if bytes.starts_with(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        ("mp3", &["mp3"], "audio/mpeg")
    } else if bytes.len() >= 8 && &bytes[4..8] == b"ftyp" {
        ("mp4", &["mp4"], "video/mp4")
    } else {
        return None;
    })
}

fn allowed(t: MediaType, format: &str) -> bool {
    match t {
        MediaType::Image => matches!(format, "jpeg" | "png" | "gif"),
        MediaType::Voice => matches!(format, "amr" | "mp3"),
        MediaType::Video => format == "mp4",
        MediaType::Thumb => format == "jpeg",
    }
}

/// Checks size and format; returns the part's content type.
pub fn check(t: MediaType, filename: &str, bytes: &[u8], limits: &MediaLimits) -> Result<&'static str, ClientError> {
    let media_type = t.as_str();
    if bytes.is_empty() {
        return Err(ClientError::MediaEmpty { media_type });
    }
    let limit = limits.of(t);
    if bytes.len() > limit {
        return Err(ClientError::MediaTooLarge { media_type, size: bytes.len(), limit });
    }
    let format_error = |reason: String| ClientError::MediaFormat { media_type, reason, accepted: t.accepted() };
    let (format, exts, content_type) =
        sniff(bytes).ok_or_else(|| format_error("the content is not a recognised media format".into()))?;
    if !allowed(t, format) {
        return Err(format_error(format!("the content is {format}")));
    }
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !exts.contains(&ext.as_str()) {
        return Err(format_error(format!("the content is {format} but the file name {filename:?} says otherwise")));
    }
    Ok(content_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];

    #[test]
    fn accepts_matching_content_and_name() {
        let l = MediaLimits::default();
        assert_eq!(check(MediaType::Image, "a.JPG", JPEG, &l).unwrap(), "image/jpeg");
        assert_eq!(check(MediaType::Thumb, "t.jpeg", JPEG, &l).unwrap(), "image/jpeg");
        assert_eq!(check(MediaType::Voice, "v.amr", b"#!AMR\n\x00", &l).unwrap(), "audio/amr");
        assert_eq!(check(MediaType::Video, "v.mp4", b"\0\0\0\x18ftypisom", &l).unwrap(), "video/mp4");
    }

    #[test]
    fn rejects_size_format_and_name() {
        let l = MediaLimits { thumb: 8, ..MediaLimits::default() };
        assert!(matches!(check(MediaType::Thumb, "t.jpg", JPEG, &l), Err(ClientError::MediaTooLarge { limit: 8, .. })));
        assert!(matches!(check(MediaType::Image, "a.jpg", b"", &l), Err(ClientError::MediaEmpty { .. })));
        assert!(matches!(check(MediaType::Image, "a.txt", b"hello", &l), Err(ClientError::MediaFormat { .. })));
        assert!(matches!(check(MediaType::Voice, "a.jpg", JPEG, &l), Err(ClientError::MediaFormat { .. })));
        assert!(matches!(check(MediaType::Image, "a.png", JPEG, &l), Err(ClientError::MediaFormat { .. })));
        let msg = check(MediaType::Image, "a.jpg", &vec![0xFF; (2 << 20) + 1], &MediaLimits::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("limit is 2097152 bytes"), "{msg}");
    }
}
