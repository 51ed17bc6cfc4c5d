//! Temporary media (临时素材, kept by the platform for 3 days): types and local limits ([`validate`]), upload
//! with the content-hash cache ([`upload`]) and download ([`download`]).

pub mod download;
pub mod upload;
pub mod validate;

pub use download::DownloadedMedia;
pub use upload::{CacheOutcome, Progress, UploadedMedia};
pub use validate::{MediaLimits, MediaType};

/// The platform keeps temporary media 3 days.
pub const MEDIA_LIFETIME_MS: u64 = 3 * 24 * 3600 * 1000;
