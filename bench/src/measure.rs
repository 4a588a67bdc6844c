//! Measuring: reading the corpus line by line in aligned blocks, the memchr floor, one timed
//! run of `detect` as a subprocess (alerts and peak RSS) or of an in-process baseline, and
//! the median of the runs.

use std::fs;
use std::io::{self, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Reads land on addresses aligned to this, as `detect`'s do: the kernel copies several times
/// faster to an aligned destination, and a baseline read to an odd address would be slowed
/// by that alone.
const READ_ALIGN: usize = 4096;

/// Where a read of `BLOCK` bytes goes in `buf` so that it lands aligned with `before` bytes
/// of room in front of it (the buffer grown as needed).
fn aligned_start(buf: &mut Vec<u8>, before: usize, block: usize) -> usize {
    let room = before + READ_ALIGN + block;
    if buf.len() < room {
        buf.resize(room, 0);
    }
    let base = buf.as_ptr() as usize;
    (base + before).next_multiple_of(READ_ALIGN) - base
}

/// Calls `f` on every line of the file (newline excluded, blank lines skipped), reading it in
/// 1 MiB blocks and splitting lines in place (no copy per line; a line cut by a block is
/// carried in front of the next read).
pub(crate) fn for_each_line(path: &Path, mut f: impl FnMut(&[u8])) -> io::Result<()> {
    const BLOCK: usize = 1 << 20;
    let mut file = fs::File::open(path)?;
    let mut buf = Vec::new();
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let start = aligned_start(&mut buf, carry.len(), BLOCK);
        let from = start - carry.len();
        buf[from..start].copy_from_slice(&carry);
        carry.clear();
        let n = file.read(&mut buf[start..start + BLOCK])?;
        let data = &buf[from..start + n];
        if n == 0 {
            if !data.is_empty() {
                f(data);
            }
            return Ok(());
        }
        let mut pos = 0;
        for nl in memchr::memchr_iter(b'\n', data) {
            let line = &data[pos..nl];
            if !line.is_empty() {
                f(line);
            }
            pos = nl + 1;
        }
        carry.extend_from_slice(&data[pos..]);
    }
}

/// The floor: occurrences of `needle` in the file, read in 1 MiB blocks (each read aligned,
/// with the last `needle.len() - 1` bytes of the previous one in front of it).
pub(crate) fn memchr_count(path: &Path, needle: &[u8]) -> io::Result<u64> {
    const BLOCK: usize = 1 << 20;
    let finder = memchr::memmem::Finder::new(needle);
    let keep = needle.len() - 1;
    let mut file = fs::File::open(path)?;
    let mut buf = Vec::new();
    let start = aligned_start(&mut buf, keep, BLOCK);
    let mut carried = 0;
    let mut count = 0u64;
    loop {
        let n = file.read(&mut buf[start..start + BLOCK])?;
        if n == 0 {
            return Ok(count);
        }
        let window = start - carried..start + n;
        count += finder.find_iter(&buf[window.clone()]).count() as u64;
        let next = keep.min(window.len());
        buf.copy_within(window.end - next..window.end, start - next);
        carried = next;
    }
}

/// The lines of the file that are UTF-8 and satisfy `keep`.
pub(crate) fn count_lines(path: &Path, mut keep: impl FnMut(&str) -> bool) -> io::Result<u64> {
    let mut n = 0u64;
    for_each_line(path, |line| {
        if utf8(line).is_some_and(&mut keep) {
            n += 1;
        }
    })?;
    Ok(n)
}

pub(crate) fn utf8(line: &[u8]) -> Option<&str> {
    std::str::from_utf8(line).ok()
}

/// One timed run: the match count (or alert count) and, for `detect`, its peak RSS in KiB.
pub(crate) struct Sample {
    pub(crate) secs: f64,
    pub(crate) count: u64,
    pub(crate) max_rss_kib: Option<u64>,
}

/// Runs `detect` on `file` as a subprocess, stdout to /dev/null, and reads its summary.
pub(crate) fn run_detect(
    bin: &Path,
    threads: Option<usize>,
    file: &Path,
) -> Result<Sample, String> {
    let mut cmd = Command::new(bin);
    cmd.arg("scan");
    if let Some(t) = threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    cmd.arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let mut stderr = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut stderr);
    }
    // wait4 gives this child's own resource usage (getrusage(RUSAGE_CHILDREN) would be the
    // maximum over every child, cargo and rustc included).
    let mut status = 0;
    // SAFETY: `rusage` is plain data (integers and timevals): all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: `status` and `usage` are live, writable and of the types wait4 expects; `pid`
    // is the child we spawned and have not waited for, so wait4 reaps exactly it.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = t.elapsed().as_secs_f64();
    if r != pid {
        return Err(format!("wait4 failed: {}", io::Error::last_os_error()));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!(
            "{} exited with status {status:#x}:\n{}",
            bin.display(),
            stderr.lines().take(20).collect::<Vec<_>>().join("\n")
        ));
    }
    let count = parse_alerts(&stderr)
        .ok_or_else(|| format!("no alert count in detect's summary: {stderr}"))?;
    Ok(Sample {
        secs,
        count,
        max_rss_kib: Some(usage.ru_maxrss as u64),
    })
}

/// The alert count from `detect: … N alerts …` on stderr.
fn parse_alerts(stderr: &str) -> Option<u64> {
    let line = stderr.lines().rev().find(|l| l.starts_with("detect:"))?;
    line.trim_start_matches("detect:")
        .split(',')
        .find_map(|part| {
            let mut words = part.split_whitespace();
            let n = words.next()?.replace(',', "");
            matches!(words.next(), Some("alerts" | "alert")).then(|| n.parse().ok())?
        })
}

pub(crate) fn timed(f: impl FnOnce() -> io::Result<u64>) -> Result<Sample, String> {
    let t = Instant::now();
    let count = f().map_err(|e| e.to_string())?;
    Ok(Sample {
        secs: t.elapsed().as_secs_f64(),
        count,
        max_rss_kib: None,
    })
}

pub(crate) fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
