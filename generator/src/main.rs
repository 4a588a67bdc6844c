//! `sigma-gen`: refresh or verify the committed generated code, and check rule files.
//!
//! ```text
//! sigma-gen write [--rules DIR] [--out DIR] [--placeholders FILE]
//! sigma-gen write --check [--rules DIR] [--out DIR] [--placeholders FILE]
//! sigma-gen check [--placeholders FILE] [DIR...]
//! ```

use sigma_gen::{source, Diagnostics, Options};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage:
  sigma-gen write [--rules DIR] [--out DIR] [--placeholders FILE]
      regenerate the committed code (default: detections/ -> generated/)
  sigma-gen write --check [--rules DIR] [--out DIR] [--placeholders FILE]
      exit 1 if the committed code is stale
  sigma-gen check [--placeholders FILE] [DIR...]
      validate rule files (default: detections/) and report every error
options:
  --placeholders FILE   YAML mapping `name: [value, ...]` for `|expand` placeholders";

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

/// Parsed command line: flags with values, boolean flags, positional arguments.
struct Args {
    rules: Option<PathBuf>,
    out: Option<PathBuf>,
    placeholders: Option<PathBuf>,
    check: bool,
    positional: Vec<PathBuf>,
}

/// A command line that cannot be read.
#[derive(Debug)]
enum UsageError {
    /// An option the command does not take.
    UnexpectedOption(String),
    /// An option given without its value.
    MissingValue(String),
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::UnexpectedOption(flag) => write!(f, "unexpected option `{flag}`"),
            UsageError::MissingValue(flag) => write!(f, "`{flag}` needs a value"),
        }
    }
}

fn parse_args(args: &[String], allowed: &[&str]) -> Result<Args, UsageError> {
    let mut parsed = Args {
        rules: None,
        out: None,
        placeholders: None,
        check: false,
        positional: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let flag = arg.as_str();
        if flag.starts_with("--") && !allowed.contains(&flag) {
            return Err(UsageError::UnexpectedOption(flag.to_owned()));
        }
        let mut value = || {
            it.next()
                .map(PathBuf::from)
                .ok_or_else(|| UsageError::MissingValue(flag.to_owned()))
        };
        match flag {
            "--check" => parsed.check = true,
            "--rules" => parsed.rules = Some(value()?),
            "--out" => parsed.out = Some(value()?),
            "--placeholders" => parsed.placeholders = Some(value()?),
            _ => parsed.positional.push(PathBuf::from(arg)),
        }
    }
    Ok(parsed)
}

/// Options as build.rs sets them: placeholders when given, and the shipped ECS pipeline.
fn options(placeholders: Option<&Path>) -> Result<Options, Diagnostics> {
    let mut options =
        Options::default().with_ecs_pipeline(&workspace().join("pipelines/kubernetes-ecs.yml"))?;
    if let Some(p) = placeholders {
        options = options.with_placeholders_file(p)?;
    }
    Ok(options)
}

fn write(args: &[String]) -> ExitCode {
    let args = match parse_args(args, &["--check", "--rules", "--out", "--placeholders"]) {
        Ok(a) if a.positional.is_empty() => a,
        Ok(a) => {
            return usage(&format!(
                "unexpected argument `{}`",
                a.positional[0].display()
            ))
        }
        Err(e) => return usage(&e.to_string()),
    };
    let rules = args.rules.unwrap_or_else(|| workspace().join("detections"));
    let out = args.out.unwrap_or_else(|| workspace().join("generated"));
    let generated = match options(args.placeholders.as_deref())
        .and_then(|o| sigma_gen::generate_dir(&rules, &o))
    {
        Ok(g) => g,
        Err(diags) => return fail(&diags),
    };
    eprint!("{}", generated.warnings);
    if args.check {
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
    let args = match parse_args(args, &["--placeholders"]) {
        Ok(a) => a,
        Err(e) => return usage(&e.to_string()),
    };
    let options = match options(args.placeholders.as_deref()) {
        Ok(o) => o,
        Err(diags) => return fail(&diags),
    };
    let dirs = if args.positional.is_empty() {
        vec![workspace().join("detections")]
    } else {
        args.positional
    };
    let (mut total, mut rejected) = (0usize, 0usize);
    let mut all = Diagnostics::default();
    for dir in &dirs {
        let label = sigma_gen::label_of(dir);
        let (sources, errors) = source::discover(dir, &label);
        rejected += errors.len();
        total += errors.len();
        all.0.extend(errors);
        // The whole directory is lowered at once, as the build sees it, so that references
        // across files (filters, correlations) resolve; a file is rejected when one of its
        // diagnostics is an error.
        let (_, diags) = sigma_gen::lower_with(&sources, &label, &options);
        for src in &sources {
            total += 1;
            let file = format!("{label}/{}", src.rel_path);
            if diags.0.iter().any(|d| d.is_error() && d.file == file) {
                rejected += 1;
            }
        }
        all.0.extend(diags.0);
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

fn usage(problem: &str) -> ExitCode {
    eprintln!("sigma-gen: {problem}\n{USAGE}");
    ExitCode::from(2)
}

fn fail(diags: &Diagnostics) -> ExitCode {
    eprint!("{diags}");
    eprintln!("\n{} error(s)", diags.error_count());
    ExitCode::FAILURE
}
