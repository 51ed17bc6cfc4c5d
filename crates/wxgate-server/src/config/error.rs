//! A configuration mistake, told with the key that holds it and how to fix it.

use thiserror::Error;

/// A configuration mistake.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TOML does not parse or has an unknown key / wrong type.
    #[error("config {origin}: {message}")]
    Parse {
        /// File name or "embedded default".
        origin: String,
        /// The parser's message (names the key and position).
        message: String,
    },
    /// A value is wrong.
    #[error("config key `{key}`: {reason}; fix: {fix}")]
    Invalid {
        /// The key (dotted path, or the environment variable).
        key: String,
        /// What is wrong.
        reason: String,
        /// What to do.
        fix: String,
    },
    /// A `WXGATE_…` variable that is not a config key.
    #[error("environment variable {var} is not a config key: {hint}")]
    UnknownEnv {
        /// The variable name.
        var: String,
        /// How to spell it.
        hint: String,
    },
}

/// A wrong value at `key`.
pub(crate) fn invalid(key: impl Into<String>, reason: impl Into<String>, fix: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), reason: reason.into(), fix: fix.into() }
}
