//! `detect`: the engine's command line over the rules compiled into this crate.
//! User documentation: `docs/detect.md`.

fn main() -> std::process::ExitCode {
    sigma_engine::cli::main_with_correlations(&detections::RULES, &detections::CORRELATIONS)
}
