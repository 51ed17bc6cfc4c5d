//! The store error type.

use thiserror::Error;

/// A storage failure.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The backend failed (I/O, SQL, connection).
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// Stored data could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// No such record.
    #[error("not found: {0}")]
    NotFound(String),
}
