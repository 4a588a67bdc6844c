//! The scanner: evaluates streams in blocks, on one thread or several, and writes what each
//! block produced in input order.

use super::blocks::Blocks;
use super::evaluate::Evaluator;
use super::mapped::Mapped;
use crate::correlate::Correlator;
use crate::detector::{Batch, Counts};
use crate::prefilter::line_count;
use indicatif::ProgressBar;
use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

/// Why reading an input stopped.
pub(super) enum Failure {
    Read(io::Error),
    Write(io::Error),
}

/// Evaluates lines and writes their alerts.
pub(super) struct Scanner<'a> {
    pub(super) ev: &'a Evaluator<'a>,
    pub(super) threads: usize,
    pub(super) out: &'a mut dyn Write,
    /// Everything counted so far.
    pub(super) counts: Counts,
    pub(super) progress: Option<ProgressBar>,
    /// The correlations' state, fed the batches' hits in input order.
    pub(super) correlator: Correlator,
    /// Also release matches older than the wall clock minus this (`--follow`: the stream
    /// may pause for long).
    pub(super) wall_clock_lateness: Option<i64>,
}

impl Scanner<'_> {
    pub(super) fn warn(&self, message: &str) {
        match &self.progress {
            Some(pb) => pb.println(message),
            None => eprintln!("{message}"),
        }
    }

    /// Writes what a block or line produced, in order, then the correlation alerts its
    /// matches completed.
    fn emit(&mut self, mut batch: Batch) -> io::Result<()> {
        for w in &batch.warnings {
            self.warn(w);
        }
        let hits = std::mem::take(&mut batch.hits);
        let mut warnings = Vec::new();
        let mut written = self
            .correlator
            .feed(hits, &mut batch.alerts, &mut |w| warnings.push(w));
        if let Some(lateness) = self.wall_clock_lateness {
            written += self
                .correlator
                .release_until(now_micros() - lateness, &mut batch.alerts);
        }
        for w in &warnings {
            self.warn(w);
        }
        batch.counts.alerts += written;
        batch.counts.correlation_alerts += written;
        self.counts.add(&batch.counts);
        if !batch.alerts.is_empty() {
            self.out.write_all(&batch.alerts)?;
        }
        if let Some(pb) = &self.progress {
            pb.set_message(format!(
                "{} events, {} alerts",
                self.counts.events, self.counts.alerts
            ));
        }
        Ok(())
    }

    /// Releases the matches the wall clock says no earlier one may still come for
    /// (`--follow`), writing their alerts; how many.
    pub(super) fn tick(&mut self) -> io::Result<u64> {
        let Some(lateness) = self.wall_clock_lateness else {
            return Ok(0);
        };
        let mut out = Vec::new();
        let written = self
            .correlator
            .release_until(now_micros() - lateness, &mut out);
        self.counts.alerts += written;
        self.counts.correlation_alerts += written;
        self.out.write_all(&out)?;
        Ok(written)
    }

    /// Correlates every match still waiting (the end of the input) and writes the alerts.
    pub(super) fn finish(&mut self) -> io::Result<()> {
        let mut out = Vec::new();
        let written = self.correlator.flush(&mut out);
        self.counts.alerts += written;
        self.counts.correlation_alerts += written;
        self.out.write_all(&out)
    }

    /// Evaluates one physical line (with or without its newline), without the prefilter
    /// (`--follow` reads line by line).
    pub(super) fn line(&mut self, name: &str, line_no: u64, raw: &[u8]) -> io::Result<()> {
        let mut batch = Batch::default();
        self.ev.line(name, line_no, raw, None, &mut batch);
        self.emit(batch)
    }

    /// Reads a stream to its end in blocks of whole lines, on `threads` workers, writing the
    /// results in input order.
    pub(super) fn stream(
        &mut self,
        name: &str,
        mut input: impl BufRead + Send,
    ) -> Result<(), Failure> {
        self.blocks(name, Blocks::read(&mut input))
    }

    /// Scans a mapped file, as `stream` does a stream.
    pub(super) fn mapped(&mut self, name: &str, map: &Mapped) -> Result<(), Failure> {
        let in_flight = if self.threads <= 1 {
            1
        } else {
            window(self.threads) as usize
        };
        self.blocks(name, Blocks::mapped(map, in_flight))
    }

    fn blocks(&mut self, name: &str, mut blocks: Blocks<'_>) -> Result<(), Failure> {
        if self.threads <= 1 {
            let mut next_line = 1u64;
            let mut buf = Vec::new();
            while let Some(block) = blocks.next(&mut buf).map_err(Failure::Read)? {
                let (p, lines) = self.ev.block(name, next_line, block.bytes(&buf));
                next_line += lines;
                self.emit(p).map_err(Failure::Write)?;
            }
            return Ok(());
        }
        // Every worker reads its own block (in turn, under the lock, which also numbers the
        // block and its first line), evaluates it, and sends what it produced; this thread
        // only writes results back in input order. No thread does nothing but read, so
        // `threads` workers keep `threads` cores busy.
        let ev = self.ev;
        let threads = self.threads;
        let window = window(threads);
        let shared = Mutex::new(Reading {
            blocks,
            next_seq: 0,
            next_line: 1,
            written: 0,
            failed: None,
        });
        let room = Condvar::new();
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<(u64, Batch)>(threads * 2);
            for _ in 0..threads {
                let (shared, room, stop, done_tx) = (&shared, &room, &stop, done_tx.clone());
                scope.spawn(move || {
                    let mut buf = Vec::new();
                    loop {
                        let (seq, first, block) = {
                            let mut r = shared.lock().unwrap_or_else(|e| e.into_inner());
                            while r.next_seq >= r.written + window && !stop.load(Ordering::Relaxed)
                            {
                                r = room.wait(r).unwrap_or_else(|e| e.into_inner());
                            }
                            if r.failed.is_some() || stop.load(Ordering::Relaxed) {
                                return;
                            }
                            match r.blocks.next(&mut buf) {
                                Ok(Some(block)) => {
                                    let (seq, first) = (r.next_seq, r.next_line);
                                    r.next_seq += 1;
                                    r.next_line += line_count(block.bytes(&buf));
                                    (seq, first, block)
                                }
                                Ok(None) => return,
                                Err(e) => {
                                    r.failed = Some(e);
                                    return;
                                }
                            }
                        };
                        // The block's lines are numbered already.
                        let (p, _) = ev.block(name, first, block.bytes(&buf));
                        if done_tx.send((seq, p)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done_tx);
            let mut pending = std::collections::BTreeMap::new();
            let mut written = 0u64;
            let mut result = Ok(());
            // Until every worker has stopped (blocks already read are written before a read
            // error is reported; after a write error the rest is drained unwritten).
            for (seq, p) in done_rx.iter() {
                pending.insert(seq, p);
                while let Some(p) = pending.remove(&written) {
                    written += 1;
                    if result.is_ok() {
                        if let Err(e) = self.emit(p) {
                            result = Err(Failure::Write(e));
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
                shared.lock().unwrap_or_else(|e| e.into_inner()).written = written;
                room.notify_all();
            }
            let failed = shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .failed
                .take();
            match (result, failed) {
                (Ok(()), Some(e)) => Err(Failure::Read(e)),
                (result, _) => result,
            }
        })
    }
}

/// How far reading may run ahead of writing on `threads` workers, in blocks: no more blocks
/// than this are in use at a time.
fn window(threads: usize) -> u64 {
    threads as u64 * 4
}

/// The reading side of a multi-threaded scan, shared by the workers under a lock.
struct Reading<'r> {
    blocks: Blocks<'r>,
    /// The number of the next block read, and of its first line.
    next_seq: u64,
    next_line: u64,
    /// Blocks written so far (reading waits when it runs too far ahead).
    written: u64,
    /// The read error that stopped reading.
    failed: Option<io::Error>,
}

/// The wall clock, in microseconds since the epoch.
pub(super) fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
