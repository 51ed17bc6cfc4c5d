//! How SQLite's failures reach callers: as the store's `Backend` error carrying SQLite's own message, written
//! once for every module that talks to the database.

use wxgate_store::StoreError;

/// SQLite's error (or any other low-level failure) as the store's `Backend` error.
pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}
