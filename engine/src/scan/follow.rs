//! `--follow`: files read as they grow, reopened when rotated, read again when truncated,
//! until SIGINT or SIGTERM.

use super::pipeline::Scanner;
use std::fs::{self, File};
use std::io::{self, Read, Seek};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag set by SIGINT or SIGTERM (for `--follow`, which otherwise never ends).
pub(super) fn stop_on_signal() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut term), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                ) else {
                    return;
                };
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            });
            set.store(true, Ordering::SeqCst);
        });
    if spawned.is_err() {
        eprintln!("detect: cannot watch for signals; stop with SIGKILL");
    }
    flag
}

/// A file followed like `tail -F`: read as it grows, reopened when the name points to a new
/// file (rotation), read again from the start when truncated, waited for when missing.
pub(super) struct Followed {
    name: String,
    path: PathBuf,
    file: Option<File>,
    id: Option<(u64, u64)>,
    pos: u64,
    partial: Vec<u8>,
    line_no: u64,
    missing_reported: bool,
}

fn file_id(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

impl Followed {
    pub(super) fn new(name: String, path: PathBuf) -> Followed {
        Followed {
            name,
            path,
            file: None,
            id: None,
            pos: 0,
            partial: Vec::new(),
            line_no: 0,
            missing_reported: false,
        }
    }

    /// Reads whatever is new; true when something was read. `Err` only when alerts cannot be
    /// written.
    pub(super) fn poll(&mut self, sc: &mut Scanner<'_>) -> io::Result<bool> {
        let mut progressed = false;
        for _ in 0..2 {
            if self.file.is_none() && !self.open(sc) {
                return Ok(progressed);
            }
            progressed |= self.drain(sc)?;
            match fs::metadata(&self.path) {
                Ok(meta) if Some(file_id(&meta)) != self.id => {
                    // Rotated: finish the old file (the writer may still have appended to
                    // it), then open the new one and read it at once.
                    progressed |= self.drain(sc)?;
                    self.finish_partial(sc)?;
                    sc.warn(&format!(
                        "detect: {}: replaced; following the new file",
                        self.name
                    ));
                    self.file = None;
                    continue;
                }
                Ok(meta) if meta.len() < self.pos => {
                    sc.warn(&format!(
                        "detect: {}: truncated; reading from the start",
                        self.name
                    ));
                    if let Some(f) = &mut self.file {
                        if f.rewind().is_err() {
                            self.file = None;
                        }
                    }
                    self.pos = 0;
                    self.line_no = 0;
                    self.partial.clear();
                    progressed |= self.drain(sc)?;
                }
                _ => {} // unchanged, or gone for now (rotation under way): keep the old file
            }
            break;
        }
        Ok(progressed)
    }

    fn open(&mut self, sc: &Scanner<'_>) -> bool {
        match File::open(&self.path).and_then(|f| f.metadata().map(|m| (f, m))) {
            Ok((f, meta)) if meta.is_file() => {
                if self.missing_reported {
                    sc.warn(&format!("detect: {}: appeared; following it", self.name));
                }
                self.file = Some(f);
                self.id = Some(file_id(&meta));
                self.pos = 0;
                self.line_no = 0;
                self.partial.clear();
                self.missing_reported = false;
                true
            }
            Ok(_) => {
                if !self.missing_reported {
                    sc.warn(&format!("detect: {}: not a regular file", self.name));
                    self.missing_reported = true;
                }
                false
            }
            Err(e) => {
                if !self.missing_reported {
                    sc.warn(&format!(
                        "detect: {}: cannot open: {e} (will retry)",
                        self.name
                    ));
                    self.missing_reported = true;
                }
                false
            }
        }
    }

    /// Reads the open file to its current end, evaluating every complete line.
    fn drain(&mut self, sc: &mut Scanner<'_>) -> io::Result<bool> {
        let Some(file) = &mut self.file else {
            return Ok(false);
        };
        let mut chunk = vec![0u8; 1 << 16];
        let mut progressed = false;
        loop {
            let n = match file.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    sc.warn(&format!("detect: {}: cannot read: {e}", self.name));
                    break;
                }
            };
            progressed = true;
            self.pos += n as u64;
            self.partial.extend_from_slice(&chunk[..n]);
            let mut start = 0;
            while let Some(nl) = memchr::memchr(b'\n', &self.partial[start..]) {
                let end = start + nl + 1;
                self.line_no += 1;
                sc.line(&self.name, self.line_no, &self.partial[start..end])?;
                start = end;
            }
            self.partial.drain(..start);
        }
        Ok(progressed)
    }

    /// Evaluates a last line that has no newline (the file is being left).
    pub(super) fn finish_partial(&mut self, sc: &mut Scanner<'_>) -> io::Result<()> {
        if self.partial.is_empty() {
            return Ok(());
        }
        self.line_no += 1;
        let line = std::mem::take(&mut self.partial);
        sc.line(&self.name, self.line_no, &line)
    }
}
