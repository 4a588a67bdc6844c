//! The webhook's durable sink: one writer thread owns the output, writes the batches waiting
//! and commits them with one fsync, then answers each.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use tokio::sync::oneshot;

/// Why a batch's alerts were not written (the webhook answers 500, and the API server sends
/// the batch again).
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// Writing or committing the output failed (shared by every batch of that commit).
    #[error("{0}")]
    Io(Arc<io::Error>),
    /// The writer thread is gone.
    #[error("the writer stopped")]
    Stopped,
    /// The server is shutting down and takes no more batches.
    #[error("shutting down")]
    ShuttingDown,
}

/// Why the output could not be opened or repaired.
#[derive(Debug, thiserror::Error)]
#[error("{}: {what}: {source}", path.display())]
pub struct SinkError {
    path: PathBuf,
    what: &'static str,
    source: io::Error,
}

/// Where alerts go.
pub(super) enum Sink {
    File(File),
    Stdout(io::Stdout),
}

impl Sink {
    pub(super) fn open(path: Option<&Path>) -> Result<Sink, SinkError> {
        let fail = |what: &'static str| {
            move |source: io::Error| SinkError {
                path: path.map(Path::to_owned).unwrap_or_default(),
                what,
                source,
            }
        };
        let Some(path) = path else {
            return Ok(Sink::Stdout(io::stdout()));
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(fail("cannot open for writing"))?;
        // A crash (kill -9, power loss) may have cut the last alert short: start on a new line
        // so that the next alert is not glued to the fragment.
        let len = file.metadata().map_err(fail("cannot read its size"))?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(fail("cannot read its last byte"))?;
            if last[0] != b'\n' {
                eprintln!(
                    "detect: {}: the last line was cut short (an interrupted write); starting a new line",
                    path.display()
                );
                file.write_all(b"\n")
                    .and_then(|()| file.sync_data())
                    .map_err(fail("cannot write"))?;
            }
        }
        Ok(Sink::File(file))
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::File(f) => f.write_all(bytes),
            Sink::Stdout(s) => s.lock().write_all(bytes),
        }
    }

    /// Makes what was written durable: fsync for a file, flush for stdout.
    fn commit(&mut self) -> io::Result<()> {
        match self {
            Sink::File(f) => f.sync_data(),
            Sink::Stdout(s) => s.lock().flush(),
        }
    }
}

/// Alerts of one batch, and where to say whether they were written.
pub(super) struct Job {
    pub(super) bytes: Vec<u8>,
    pub(super) done: oneshot::Sender<Result<(), WriteError>>,
}

/// Owns the output: writes the jobs waiting, commits them with one fsync, answers each.
pub(super) fn writer(rx: mpsc::Receiver<Job>, mut sink: Sink) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < 256 {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut results = Vec::with_capacity(jobs.len());
        let mut broken: Option<WriteError> = None;
        for job in &jobs {
            let r = match &broken {
                Some(e) => Err(e.clone()),
                None => sink
                    .write_all(&job.bytes)
                    .map_err(|e| WriteError::Io(Arc::new(e))),
            };
            if let Err(e) = &r {
                broken.get_or_insert_with(|| e.clone());
            }
            results.push(r);
        }
        if let Err(e) = sink.commit() {
            let e = WriteError::Io(Arc::new(e));
            for r in &mut results {
                if r.is_ok() {
                    *r = Err(e.clone());
                }
            }
        }
        for (job, r) in jobs.into_iter().zip(results) {
            let _ = job.done.send(r);
        }
    }
}
