//! `detect scan`: JSON lines from files, directories, `.gz` files and stdin, optionally
//! followed like `tail -F`.

use crate::{usage_error, InputFormatArg, ScanArgs};
use detections::io::alert::Location;
use detections::io::detector::{DedupeKey, Detector, Tally};
use detections::io::input::{
    decode_line, decode_single, trim_json_whitespace, Decoded, Format, Source,
};
use detections::io::prefilter::{line_count, line_starts, Hits, LineFilter};
use detections::runtime::Shape;
use detections::RULES;
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Seek, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Counters for the summary line.
#[derive(Default)]
struct Counts {
    lines: u64,
    events: u64,
    alerts: u64,
    bad: u64,
    bad_items: u64,
    duplicates: u64,
    skipped: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.lines += o.lines;
        self.events += o.events;
        self.alerts += o.alerts;
        self.bad += o.bad;
        self.bad_items += o.bad_items;
        self.duplicates += o.duplicates;
        self.skipped += o.skipped;
    }
}

/// What evaluating a run of lines produced, to be written in input order.
#[derive(Default)]
struct Produced {
    alerts: Vec<u8>,
    /// Rule evaluations, added to the detector's counters when written.
    tally: Tally,
    warnings: Vec<String>,
    counts: Counts,
}

/// How lines are evaluated: shared by every worker thread.
struct Evaluator<'a> {
    det: &'a Detector,
    format: Format,
    /// The byte prefilter, unless every line must be parsed (`--strict`, or a rule without
    /// literals).
    filter: Option<LineFilter>,
}

impl Evaluator<'_> {
    /// Runs the candidate rules over one event and counts it, its alerts and duplicates.
    fn event(
        &self,
        decoded: &Decoded<'_>,
        at: &Location<'_>,
        candidates: Option<&[u64]>,
        keys: &mut Vec<DedupeKey>,
        p: &mut Produced,
    ) {
        p.counts.events += 1;
        let o = self.det.evaluate_candidates(
            decoded,
            at,
            &mut p.alerts,
            keys,
            candidates,
            &mut p.tally,
        );
        p.counts.alerts += o.alerts;
        p.counts.duplicates += o.duplicates;
    }

    /// Evaluates one physical line (with or without its newline).
    fn line(
        &self,
        name: &str,
        line_no: u64,
        raw: &[u8],
        candidates: Option<&[u64]>,
        keys: &mut Vec<DedupeKey>,
        p: &mut Produced,
    ) {
        p.counts.lines += 1;
        let line = trim_json_whitespace(raw);
        if line.is_empty() {
            return;
        }
        if let Some(single) = decode_single(line, self.format) {
            match single {
                Ok(decoded) => {
                    let at = Location {
                        file: name,
                        line: line_no,
                        item: None,
                    };
                    self.event(&decoded, &at, candidates, keys, p);
                }
                Err(e) => {
                    p.counts.bad += 1;
                    p.warnings
                        .push(format!("detect: {name}:{line_no}: bad line: {e}"));
                }
            }
            return;
        }
        match decode_line(line, self.format) {
            Err(e) => {
                p.counts.bad += 1;
                p.warnings
                    .push(format!("detect: {name}:{line_no}: bad line: {e}"));
            }
            Ok(items) => {
                for item in items {
                    match item.result {
                        Ok(decoded) => {
                            let at = Location {
                                file: name,
                                line: line_no,
                                item: item.item,
                            };
                            self.event(&decoded, &at, candidates, keys, p);
                        }
                        Err(e) => match item.item {
                            Some(i) => {
                                p.counts.bad_items += 1;
                                p.warnings
                                    .push(format!("detect: {name}:{line_no}:{i}: bad item: {e}"));
                            }
                            None => {
                                p.counts.bad += 1;
                                p.warnings
                                    .push(format!("detect: {name}:{line_no}: bad line: {e}"));
                            }
                        },
                    }
                }
            }
        }
    }

    /// Evaluates a block of whole lines, the first numbered `first_line`: one prefilter pass
    /// over the block, then only the candidate lines are parsed. Also returns how many lines
    /// the block has (counted by that pass).
    fn block(&self, name: &str, first_line: u64, block: &[u8]) -> (Produced, u64) {
        let mut p = Produced::default();
        let mut keys = Vec::new();
        let Some(filter) = &self.filter else {
            let mut starts = Vec::new();
            line_starts(block, &mut starts);
            for (i, w) in starts.windows(2).enumerate() {
                self.line(
                    name,
                    first_line + i as u64,
                    &block[w[0]..w[1]],
                    None,
                    &mut keys,
                    &mut p,
                );
            }
            let total = starts.len() as u64 - 1;
            return (p, total);
        };
        let mut hits = Hits::default();
        let total = filter.hits(block, &mut hits);
        // Only the lines holding a literal are looked at; the others are counted as skipped
        // (blank lines among them).
        for (k, (&(start, end), &index)) in hits.lines.iter().zip(&hits.index).enumerate() {
            self.line(
                name,
                first_line + index,
                &block[start..end],
                Some(hits.rules(k)),
                &mut keys,
                &mut p,
            );
        }
        let parsed = hits.lines.len() as u64;
        p.counts.lines += total - parsed;
        p.counts.skipped += total - parsed;
        (p, total)
    }
}

/// Cuts a stream into blocks of whole lines, reading straight into reusable buffers.
struct Blocks<'r> {
    input: &'r mut (dyn BufRead + Send),
    /// The start of a line cut by the previous block.
    carry: Vec<u8>,
    eof: bool,
}

/// Reads land at addresses aligned to this: the kernel copies several times faster to an
/// aligned destination than to an odd one.
const READ_ALIGN: usize = 4096;

impl Blocks<'_> {
    /// Fills `buf` with about `BLOCK` bytes of whole lines and returns where they are (`None`
    /// at the end): the cut line carried from the previous block, then what was read, from a
    /// `READ_ALIGN`-aligned address on. `buf` keeps its length between calls, so refilling it
    /// neither allocates nor zeroes; at the end of input the last line may lack its newline.
    fn next(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Range<usize>>> {
        let carried = self.carry.len();
        let room = carried + READ_ALIGN + BLOCK;
        if buf.len() < room {
            buf.resize(room, 0);
        }
        let base = buf.as_ptr() as usize;
        let start = (base + carried).next_multiple_of(READ_ALIGN) - base - carried;
        let mut n = start + carried;
        buf[start..n].copy_from_slice(&self.carry);
        self.carry.clear();
        loop {
            while n < buf.len() && !self.eof {
                match self.input.read(&mut buf[n..]) {
                    Ok(0) => self.eof = true,
                    Ok(r) => n += r,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if n == start {
                return Ok(None);
            }
            if self.eof {
                return Ok(Some(start..n));
            }
            // Keep whole lines; the cut one starts the next block.
            if let Some(last) = memchr::memrchr(b'\n', &buf[start..n]) {
                let end = start + last + 1;
                self.carry.extend_from_slice(&buf[end..n]);
                return Ok(Some(start..end));
            }
            // One line longer than the buffer: grow it.
            let len = buf.len();
            buf.resize(len * 2, 0);
        }
    }
}

/// Why reading an input stopped.
enum Failure {
    Read(io::Error),
    Write(io::Error),
}

/// Evaluates lines and writes their alerts.
struct Scanner<'a> {
    ev: &'a Evaluator<'a>,
    threads: usize,
    out: &'a mut dyn Write,
    counts: Counts,
    keys: Vec<DedupeKey>,
    progress: Option<ProgressBar>,
}

/// Bytes per block handed to a worker.
const BLOCK: usize = 1 << 20;

impl Scanner<'_> {
    fn warn(&self, message: &str) {
        match &self.progress {
            Some(pb) => pb.println(message),
            None => eprintln!("{message}"),
        }
    }

    /// Writes what a block or line produced, in order.
    fn emit(&mut self, mut p: Produced) -> io::Result<()> {
        self.ev.det.flush(&mut p.tally);
        for w in &p.warnings {
            self.warn(w);
        }
        self.counts.add(&p.counts);
        if !p.alerts.is_empty() {
            self.out.write_all(&p.alerts)?;
        }
        if let Some(pb) = &self.progress {
            pb.set_message(format!(
                "{} events, {} alerts",
                self.counts.events, self.counts.alerts
            ));
        }
        Ok(())
    }

    /// Evaluates one physical line (with or without its newline), without the prefilter
    /// (`--follow` reads line by line).
    fn line(&mut self, name: &str, line_no: u64, raw: &[u8]) -> io::Result<()> {
        let mut p = Produced::default();
        let mut keys = std::mem::take(&mut self.keys);
        self.ev.line(name, line_no, raw, None, &mut keys, &mut p);
        keys.clear();
        self.keys = keys;
        self.emit(p)
    }

    /// Reads a stream to its end in blocks of whole lines, on `threads` workers, writing the
    /// results in input order.
    fn stream(&mut self, name: &str, mut input: impl BufRead + Send) -> Result<(), Failure> {
        let mut blocks = Blocks {
            input: &mut input,
            carry: Vec::new(),
            eof: false,
        };
        if self.threads <= 1 {
            let mut next_line = 1u64;
            let mut buf = Vec::new();
            while let Some(range) = blocks.next(&mut buf).map_err(Failure::Read)? {
                let (p, lines) = self.ev.block(name, next_line, &buf[range]);
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
        // How far reading may run ahead of writing, in blocks.
        let window = threads as u64 * 4;
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
            let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<(u64, Produced)>(threads * 2);
            for _ in 0..threads {
                let (shared, room, stop, done_tx) = (&shared, &room, &stop, done_tx.clone());
                scope.spawn(move || {
                    let mut buf = Vec::new();
                    loop {
                        let (seq, first, range) = {
                            let mut r = shared.lock().unwrap_or_else(|e| e.into_inner());
                            while r.next_seq >= r.written + window && !stop.load(Ordering::Relaxed)
                            {
                                r = room.wait(r).unwrap_or_else(|e| e.into_inner());
                            }
                            if r.failed.is_some() || stop.load(Ordering::Relaxed) {
                                return;
                            }
                            match r.blocks.next(&mut buf) {
                                Ok(Some(range)) => {
                                    let (seq, first) = (r.next_seq, r.next_line);
                                    r.next_seq += 1;
                                    r.next_line += line_count(&buf[range.clone()]);
                                    (seq, first, range)
                                }
                                Ok(None) => return,
                                Err(e) => {
                                    r.failed = Some(e);
                                    return;
                                }
                            }
                        };
                        // The block's lines are numbered already.
                        let (p, _) = ev.block(name, first, &buf[range]);
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

/// One input named on the command line (directories expanded).
enum Input {
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
fn expand(args: &[OsString]) -> Vec<Input> {
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

/// A buffered reader that decompresses gzip input (recognised by its magic bytes).
fn reader<R: Read + Send + 'static>(inner: R) -> io::Result<Box<dyn BufRead + Send>> {
    let mut br = BufReader::with_capacity(1 << 16, inner);
    if br.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(br),
        )))
    } else {
        Ok(Box::new(br))
    }
}

fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

pub fn run(args: ScanArgs) -> ExitCode {
    if args.logsource.is_some() && !matches!(args.input_format, InputFormatArg::Json) {
        return usage_error("--logsource applies to --input-format json only");
    }
    let options = match args.output.options(args.logsource.as_deref()) {
        Ok(o) => o,
        Err(e) => return usage_error(&format!("--logsource: {e}")),
    };
    let det = Detector::new(RULES, options);

    let stdout;
    let mut sink: Box<dyn Write> = match &args.output.output {
        Some(path) => match OpenOptions::new().create(true).append(true).open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("detect: {}: cannot open for writing: {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
        None => {
            stdout = io::stdout();
            Box::new(stdout.lock())
        }
    };
    let mut out = BufWriter::with_capacity(1 << 16, &mut sink);

    let files = if args.files.is_empty() {
        vec![OsString::from("-")]
    } else {
        args.files.clone()
    };
    let inputs = expand(&files);

    let progress = (!args.no_progress
        && !args.follow
        && io::stderr().is_terminal()
        && !inputs.iter().any(|i| matches!(i, Input::Stdin))
        && inputs.iter().any(|i| matches!(i, Input::File { .. })))
    .then(|| progress_bar(&inputs));

    let format = args.input_format.format();
    let (source, shapes): (Source, &[Shape]) = match format {
        Format::Raw | Format::EventList | Format::Aks => (Source::Audit, &[Shape::Raw]),
        Format::Ecs => (Source::Audit, &[Shape::Ecs]),
        Format::Auto => (Source::Audit, &[Shape::Raw, Shape::Ecs]),
        Format::Json => (Source::Other, &[Shape::Raw]),
    };
    detections::io::input::use_full_parse(args.reference);
    let filter = if args.strict || args.reference {
        None
    } else {
        LineFilter::new(RULES, det.route(source), shapes)
    };
    let ev = Evaluator {
        det: &det,
        format,
        filter,
    };
    // Stage de-duplication depends on the order events are seen in: one thread.
    let threads = match (args.output.dedupe_stages || args.reference, args.threads) {
        (true, _) => 1,
        (false, Some(n)) => n.max(1),
        (false, None) => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut sc = Scanner {
        ev: &ev,
        threads,
        out: &mut out,
        counts: Counts::default(),
        keys: Vec::new(),
        progress,
    };
    let mut failed = false;
    let mut followers: Vec<Followed> = Vec::new();

    for input in inputs {
        let (name, result) = match input {
            Input::Stdin => {
                let result = reader(io::stdin())
                    .map_err(Failure::Read)
                    .and_then(|r| sc.stream("-", r));
                ("-".to_owned(), result)
            }
            Input::File { name, path } if args.follow && !is_gzip(&path) => {
                let mut f = Followed::new(name, path);
                if let Err(e) = f.poll(&mut sc) {
                    write_failed(&e);
                    return ExitCode::FAILURE;
                }
                followers.push(f);
                continue;
            }
            Input::File { name, path } => {
                let result = match File::open(&path) {
                    Ok(f) => {
                        let r: Box<dyn Read + Send> = match &sc.progress {
                            Some(pb) => Box::new(pb.wrap_read(f)),
                            None => Box::new(f),
                        };
                        reader(r)
                            .map_err(Failure::Read)
                            .and_then(|r| sc.stream(&name, r))
                    }
                    Err(e) => Err(Failure::Read(e)),
                };
                (name, result)
            }
            Input::Failed { name, path, error }
                if args.follow && error.kind() == io::ErrorKind::NotFound =>
            {
                let mut f = Followed::new(name, path);
                let _ = f.poll(&mut sc); // reports that it will retry
                followers.push(f);
                continue;
            }
            Input::Failed { name, error, .. } => (name, Err(Failure::Read(error))),
        };
        match result {
            Ok(()) => {}
            Err(Failure::Read(e)) => {
                sc.warn(&format!("detect: {name}: cannot read: {e}"));
                failed = true;
            }
            Err(Failure::Write(e)) => {
                write_failed(&e);
                return ExitCode::FAILURE;
            }
        }
    }

    if !followers.is_empty() {
        let stop = stop_on_signal();
        let interval = Duration::from_millis(args.poll_interval.max(1));
        if let Err(e) = sc.out.flush() {
            write_failed(&e);
            return ExitCode::FAILURE;
        }
        while !stop.load(Ordering::SeqCst) {
            let mut progressed = false;
            for f in &mut followers {
                match f.poll(&mut sc) {
                    Ok(p) => progressed |= p,
                    Err(e) => {
                        write_failed(&e);
                        return ExitCode::FAILURE;
                    }
                }
            }
            if progressed {
                if let Err(e) = sc.out.flush() {
                    write_failed(&e);
                    return ExitCode::FAILURE;
                }
            } else {
                std::thread::sleep(interval);
            }
        }
        // A last line without its newline still counts once we stop.
        for f in &mut followers {
            if let Err(e) = f.finish_partial(&mut sc) {
                write_failed(&e);
                return ExitCode::FAILURE;
            }
        }
    }

    if let Some(pb) = sc.progress.take() {
        pb.finish_and_clear();
    }
    if let Err(e) = sc.out.flush() {
        write_failed(&e);
        return ExitCode::FAILURE;
    }
    let c = &sc.counts;
    let mut summary = format!(
        "detect: {} lines read, {} events evaluated, {} alerts, {} bad lines",
        c.lines, c.events, c.alerts, c.bad
    );
    if c.bad_items > 0 {
        summary.push_str(&format!(", {} bad items", c.bad_items));
    }
    if c.duplicates > 0 {
        summary.push_str(&format!(", {} duplicates dropped", c.duplicates));
    }
    if c.skipped > 0 {
        summary.push_str(&format!(", {} lines skipped by the prefilter", c.skipped));
    }
    if args.output.stats {
        eprint!("{}", det.stats_table());
    }
    eprintln!("{summary}");
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn write_failed(e: &io::Error) {
    eprintln!("detect: cannot write alerts: {e}");
}

fn progress_bar(inputs: &[Input]) -> ProgressBar {
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

/// A flag set by SIGINT or SIGTERM (for `--follow`, which otherwise never ends).
fn stop_on_signal() -> Arc<AtomicBool> {
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
struct Followed {
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
    fn new(name: String, path: PathBuf) -> Followed {
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
    fn poll(&mut self, sc: &mut Scanner<'_>) -> io::Result<bool> {
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
            while let Some(nl) = memchr(b'\n', &self.partial[start..]) {
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
    fn finish_partial(&mut self, sc: &mut Scanner<'_>) -> io::Result<()> {
        if self.partial.is_empty() {
            return Ok(());
        }
        self.line_no += 1;
        let line = std::mem::take(&mut self.partial);
        sc.line(&self.name, self.line_no, &line)
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}
