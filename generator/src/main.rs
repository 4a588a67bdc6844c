//! `sigma-gen`: refresh or verify the committed generated code, and check rule files.
//!
//! ```text
//! sigma-gen write [--rules DIR] [--out DIR]     regenerate generated/ from detections/
//! sigma-gen write --check [--rules DIR] [--out DIR]   fail if generated/ is stale
//! sigma-gen check [DIR...]                      report every error of every rule file
//! ```

use sigma_gen::{source, Diagnostics};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  sigma-gen write [--rules DIR] [--out DIR]          regenerate the committed code (default: detections/ -> generated/)
  sigma-gen write --check [--rules DIR] [--out DIR]  exit 1 if the committed code is stale
  sigma-gen check [DIR...]                           validate rule files and report every error (default: detections/)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("write") => write(&args[1..]),
        Some("check") => check(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root (this package's parent directory), for default paths.
fn workspace() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn write(args: &[String]) -> ExitCode {
    let mut rules = workspace().join("detections");
    let mut out = workspace().join("generated");
    let mut check_only = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match (arg.as_str(), it.clone().next()) {
            ("--check", _) => check_only = true,
            ("--rules", Some(v)) => {
                rules = PathBuf::from(v);
                it.next();
            }
            ("--out", Some(v)) => {
                out = PathBuf::from(v);
                it.next();
            }
            _ => {
                eprintln!("sigma-gen write: unexpected argument `{arg}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let generated = match sigma_gen::generate_dir(&rules) {
        Ok(g) => g,
        Err(diags) => return fail(&diags),
    };
    eprint!("{}", generated.warnings);
    if check_only {
        return match generated.output.diff(&out) {
            Ok(stale) if stale.is_empty() => {
                eprintln!(
                    "{} is up to date ({} files)",
                    out.display(),
                    generated.output.files.len()
                );
                ExitCode::SUCCESS
            }
            Ok(stale) => {
                eprintln!(
                    "{} is stale:\n{stale}run `cargo regen` and commit the result",
                    out.display()
                );
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("cannot read {}: {e}", out.display());
                ExitCode::FAILURE
            }
        };
    }
    match generated.output.write(&out) {
        Ok(()) => {
            eprintln!(
                "wrote {} files to {}",
                generated.output.files.len(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

fn check(args: &[String]) -> ExitCode {
    let dirs: Vec<PathBuf> = if args.is_empty() {
        vec![workspace().join("detections")]
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    let (mut total, mut rejected) = (0usize, 0usize);
    let mut all = Diagnostics::default();
    for dir in &dirs {
        let label = sigma_gen::label_of(dir);
        let (sources, errors) = source::discover(dir, &label);
        rejected += errors.len();
        total += errors.len();
        all.0.extend(errors);
        for src in &sources {
            total += 1;
            let (_, diags) = sigma_gen::lower(std::slice::from_ref(src), &label);
            if diags.has_errors() {
                rejected += 1;
            }
            all.0.extend(diags.0);
        }
    }
    print!("{all}");
    if !all.0.is_empty() {
        println!();
    }
    println!(
        "checked {total} rules: {} ok, {rejected} rejected",
        total - rejected
    );
    if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn fail(diags: &Diagnostics) -> ExitCode {
    eprint!("{diags}");
    eprintln!("\n{} error(s)", diags.error_count());
    ExitCode::FAILURE
}
