//! `detect serve` (placeholder while the server is written).
use crate::ServeArgs;
use std::process::ExitCode;
pub fn run(_args: ServeArgs) -> ExitCode {
    ExitCode::FAILURE
}
