//! Where a setting came from, and the errors of reading, parsing and validating configuration.

use std::fmt;

/// The source a raw setting was taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The key table's default.
    Default,
    /// A config file (or a file it imports), 1-based line of the setting.
    File { path: String, line: u32 },
    /// An environment variable such as `PGRST_DB_POOL`.
    Env { var: String },
    /// An in-database setting such as `pgrst.db_schemas`.
    Database { name: String },
}

impl Origin {
    /// ` (in FILE line N)` and the like, appended to error messages; empty for defaults.
    pub fn suffix(&self) -> String {
        match self {
            Origin::Default => String::new(),
            other => format!(" ({other})"),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line } => write!(f, "in {path} line {line}"),
            Origin::Env { var } => write!(f, "from environment variable {var}"),
            Origin::Database { name } => write!(f, "from in-database setting {name}"),
        }
    }
}

/// Everything that can stop a configuration from loading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid config syntax (or an interpolation or import in it failed).
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: u32,
        column: u32,
        message: String,
    },
    /// A value is not acceptable for its key; `message` names the key and says what is wrong.
    #[error("{message}{}", .origin.suffix())]
    Invalid {
        key: String,
        message: String,
        origin: Origin,
    },
    /// An `@file` value could not be read.
    #[error("{key}: cannot read \"{path}\": {reason}{}", .origin.suffix())]
    ReadFile {
        key: String,
        path: String,
        reason: String,
        origin: Origin,
    },
}
