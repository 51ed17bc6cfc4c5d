//! Temporary media (PROTOCOL §8): types and local limits ([`validate`]), upload with the content-hash cache
//! ([`upload`]) and download ([`download`]).

pub mod download;
pub mod upload;
pub mod validate;

use std::sync::Arc;

pub use download::DownloadedMedia;
pub use upload::{CacheOutcome, UploadedMedia};
pub use validate::{MediaLimits, MediaType};

/// Upload progress: called with (bytes sent so far, total bytes).
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// The platform keeps temporary media 3 days.
pub const MEDIA_LIFETIME_MS: u64 = 3 * 24 * 3600 * 1000;
