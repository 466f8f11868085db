//! The runner's error type.

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("invalid setting {0}")]
    Config(String),
    #[error("cgroup {path}: {source}")]
    Cgroup {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}
