//! The Data 360 API served locally (placeholder until the emulator lands).

/// Errors starting or running the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("emulator: {0}")]
    Other(String),
}
