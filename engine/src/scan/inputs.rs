//! The inputs named on the command line: stdin, files, directories (expanded, sorted), gzip
//! recognised by its magic bytes; and the progress bar over them.

use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One input named on the command line (directories expanded).
pub(super) enum Input {
    Stdin,
    File {
        name: String,
        path: PathBuf,
    },
    Failed {
        name: String,
        path: PathBuf,
        error: io::Error,
    },
}

/// Expands the arguments: `-` is stdin, directories become the files below them (sorted by
/// name, recursively).
pub(super) fn expand(args: &[OsString]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for arg in args {
        if arg == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = PathBuf::from(arg);
        let name = arg.to_string_lossy().into_owned();
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                let before = inputs.len();
                let mut seen = HashSet::new();
                walk(&path, &name, &mut inputs, &mut seen);
                if inputs.len() == before {
                    inputs.push(Input::Failed {
                        name,
                        path,
                        error: io::Error::other("is a directory holding no files to read"),
                    });
                }
            }
            Ok(_) => inputs.push(Input::File { name, path }),
            Err(error) => inputs.push(Input::Failed { name, path, error }),
        }
    }
    inputs
}

fn walk(dir: &Path, name: &str, inputs: &mut Vec<Input>, seen: &mut HashSet<PathBuf>) {
    // Symbolic links may loop: visit each real directory once.
    if let Ok(real) = fs::canonicalize(dir) {
        if !seen.insert(real) {
            return;
        }
    }
    let mut entries: Vec<(OsString, PathBuf)> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| (e.file_name(), e.path()))
            .collect(),
        Err(error) => {
            inputs.push(Input::Failed {
                name: name.to_owned(),
                path: dir.to_owned(),
                error,
            });
            return;
        }
    };
    entries.sort();
    for (file_name, path) in entries {
        let child = Path::new(name).join(&file_name);
        let child_name = child.to_string_lossy().into_owned();
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, &child_name, inputs, seen),
            Ok(meta) if meta.is_file() => inputs.push(Input::File {
                name: child_name,
                path,
            }),
            Ok(_) => {} // sockets, fifos, devices below a directory are not logs
            Err(error) => inputs.push(Input::Failed {
                name: child_name,
                path,
                error,
            }),
        }
    }
}

/// The first bytes of a gzip file.
pub(super) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A buffered reader that decompresses gzip input (recognised by its magic bytes).
pub(super) fn reader<R: Read + Send + 'static>(inner: R) -> io::Result<Box<dyn BufRead + Send>> {
    let mut br = BufReader::with_capacity(1 << 16, inner);
    if br.fill_buf()?.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(br),
        )))
    } else {
        Ok(Box::new(br))
    }
}

pub(super) fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == GZIP_MAGIC
}

pub(super) fn progress_bar(inputs: &[Input]) -> ProgressBar {
    let total: u64 = inputs
        .iter()
        .filter_map(|i| match i {
            Input::File { path, .. } => fs::metadata(path).ok().map(|m| m.len()),
            _ => None,
        })
        .sum();
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    pb.set_style(style);
    pb
}
