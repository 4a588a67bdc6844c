//! Running a child process to its end: wall time, exit status, stderr, and its peak RSS as
//! `wait4` reports it (the largest resident set of the child or of any descendant it waited
//! for: for `cargo build`, the largest rustc; for `detect`, `detect` itself).

use std::io::Read;
use std::process::{ChildStdout, Command, Stdio};
use std::time::Instant;

pub(crate) struct Finished {
    pub(crate) secs: f64,
    pub(crate) stderr: String,
    pub(crate) max_rss_kib: u64,
}

/// Runs `cmd` (stdin closed, stderr captured) and hands its stdout, when piped, to `read`
/// while it runs. An exit status other than 0 is an error quoting stderr.
pub(crate) fn run<R>(
    cmd: &mut Command,
    read: impl FnOnce(Option<ChildStdout>) -> R,
) -> Result<(Finished, R), String> {
    let what = format!("{:?}", cmd.get_program());
    let t = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    let mut err_pipe = child.stderr.take();
    let stderr_reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let out = read(child.stdout.take());
    let stderr = stderr_reader.join().unwrap_or_default();
    let mut status = 0;
    // SAFETY: `rusage` is plain data (integers and timevals): all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: `status` and `usage` are live, writable and of the types wait4 expects; `pid`
    // is the child spawned above and not yet waited for, so wait4 reaps exactly it.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = t.elapsed().as_secs_f64();
    if r != pid {
        return Err(format!("wait4 failed: {}", std::io::Error::last_os_error()));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!(
            "{what} exited with status {status:#x}:\n{}",
            stderr
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    Ok((
        Finished {
            secs,
            stderr,
            max_rss_kib: usage.ru_maxrss as u64,
        },
        out,
    ))
}
