//! Regular files read through a read-only memory map instead of `read` into a buffer: the
//! page cache is scanned in place, which saves the kernel's copy (the larger part of a scan
//! that the prefilter rules out almost every line of).
//!
//! A mapped file that shrinks while it is scanned (truncated by a log rotation) would raise
//! SIGBUS on its lost pages. A handler, installed with the first map, catches exactly those:
//! it maps a zero page over the faulting one, notes it, and the scan goes on reading NUL
//! bytes there (a bad line, counted). The scan then reports that the file changed while it
//! was read. A SIGBUS outside the current map gets the default action.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

/// Files smaller than this are read: a map costs more than it saves there.
const MIN_LEN: u64 = 1 << 20;

/// The maps alive, for the SIGBUS handler: a slot is free while its start is 0. Inputs are
/// scanned in turn, so one slot is in use at a time; with every slot taken a file is read.
static SLOTS: [Slot; 4] = [Slot::free(), Slot::free(), Slot::free(), Slot::free()];
static HANDLER: Once = Once::new();
/// The page size, read once before the handler is installed.
static PAGE: AtomicUsize = AtomicUsize::new(4096);

struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    /// A lost page of this map was replaced by zeroes.
    lost: AtomicBool,
}

impl Slot {
    const fn free() -> Slot {
        Slot {
            start: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            lost: AtomicBool::new(false),
        }
    }
}

/// A whole file mapped read-only; unmapped when dropped.
pub(super) struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
    slot: &'static Slot,
}

// SAFETY: the map is read-only and owned by this value (the pointer is never written
// through); moving it to another thread moves the ownership of immutable bytes.
unsafe impl Send for Mapped {}
// SAFETY: as for `Send`: threads share only `&[u8]` views of immutable bytes, and the madvise
// calls through `&self` keep the contents (see `advise`).
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Maps `file` when it is a regular file of at least `MIN_LEN` bytes (`None` otherwise, or
    /// when the map fails: the caller reads it instead).
    pub(super) fn new(file: &File) -> Option<Mapped> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() < MIN_LEN {
            return None;
        }
        let len = usize::try_from(meta.len()).ok()?;
        HANDLER.call_once(install_handler);
        // Claim a slot (marked busy with 1 until the map's address is known).
        let slot = SLOTS.iter().find(|s| {
            s.start
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        })?;
        // SAFETY: a fresh read-only private map of an open file descriptor; the kernel picks
        // the address. Its pages are only read, through `bytes`, while `self` lives.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            slot.start.store(0, Ordering::SeqCst);
            return None;
        }
        slot.lost.store(false, Ordering::SeqCst);
        slot.len.store(len, Ordering::SeqCst);
        slot.start.store(ptr as usize, Ordering::SeqCst);
        Some(Mapped { ptr, len, slot })
    }

    /// The file's bytes (as they were when mapped; pages lost since read as zeroes).
    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr..ptr + len` is mapped readable for as long as `self` lives; pages the
        // file lost are replaced by zero pages, so every read of it is defined.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }

    /// Maps the pages of `range` in now (one call instead of a fault every few pages);
    /// failure (an older kernel) only leaves them to be faulted in.
    pub(super) fn populate(&self, range: Range<usize>) {
        self.advise(range, libc::MADV_POPULATE_READ);
    }

    /// Unmaps the pages of `range` from this process (the page cache keeps them), so that the
    /// resident size stays that of the blocks in use, not of the file. Reading them again
    /// would only fault them back in from the file: releasing too early costs time, never
    /// bytes.
    pub(super) fn release(&self, range: Range<usize>) {
        self.advise(range, libc::MADV_DONTNEED);
    }

    /// `advice` for the whole pages in `range` (its start rounded down to a page).
    fn advise(&self, range: Range<usize>, advice: libc::c_int) {
        let page = PAGE.load(Ordering::Relaxed);
        let start = range.start & !(page - 1);
        let end = range.end.min(self.len);
        if end <= start {
            return;
        }
        // SAFETY: `start..end` lies inside this map and is page-aligned at its start. Both
        // advices keep the map's contents: a private read-only file map reads the file's
        // bytes whether its pages are mapped in, dropped or faulted back.
        unsafe {
            libc::madvise(
                (self.ptr as *mut u8).add(start) as *mut libc::c_void,
                end - start,
                advice,
            )
        };
    }

    /// True when part of the file disappeared while it was mapped (truncated).
    pub(super) fn lost_pages(&self) -> bool {
        self.slot.lost.load(Ordering::SeqCst)
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the map this value made; no view of it outlives `self`.
        unsafe { libc::munmap(self.ptr, self.len) };
        self.slot.len.store(0, Ordering::SeqCst);
        self.slot.start.store(0, Ordering::SeqCst);
    }
}

fn install_handler() {
    PAGE.store(page_size(), Ordering::SeqCst);
    // SAFETY: installs `on_sigbus` for SIGBUS with SA_SIGINFO (it reads the fault address);
    // the action struct is fully initialised.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// Replaces the lost page of a live map by a zero page (only atomics and `mmap`, which
/// are safe in a signal handler); any other SIGBUS gets the default action when it recurs.
extern "C" fn on_sigbus(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel hands SA_SIGINFO handlers a valid siginfo.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::SeqCst);
    for slot in &SLOTS {
        let (start, len) = (
            slot.start.load(Ordering::SeqCst),
            slot.len.load(Ordering::SeqCst),
        );
        if start <= 1 || addr < start || addr >= start + len {
            continue;
        }
        let at = addr & !(page - 1);
        // SAFETY: `at` is a page of the current map (inside `start..start + len`), replaced
        // in place by an anonymous zero page of the same protection.
        let r = unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                page,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if r != libc::MAP_FAILED {
            slot.lost.store(true, Ordering::SeqCst);
            return;
        }
        break;
    }
    // SAFETY: restoring the default action; the faulting access recurs and ends the process
    // as it would have without this handler.
    unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).unwrap_or(4096).max(4096)
}

/// The error reported for a file that shrank while it was scanned.
pub(super) fn shrank() -> io::Error {
    io::Error::other(
        "the file shrank while it was read (truncated?): its lost end was read as NUL bytes; \
         scan it again, or pass --no-mmap to read files instead of mapping them",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp(name: &str, bytes: &[u8]) -> (std::path::PathBuf, File) {
        let path =
            std::env::temp_dir().join(format!("detect-mapped-{}-{name}", std::process::id()));
        let mut f = File::create(&path).unwrap();
        f.write_all(bytes).unwrap();
        (path.clone(), File::open(&path).unwrap())
    }

    #[test]
    fn maps_large_files_only_and_reads_them_whole() {
        let big: Vec<u8> = (0..MIN_LEN as usize + 5).map(|i| (i % 251) as u8).collect();
        let (p1, f) = temp("big", &big);
        let m = Mapped::new(&f).expect("a regular file of MIN_LEN bytes is mapped");
        assert_eq!(m.bytes(), &big[..]);
        assert!(!m.lost_pages());
        drop(m);
        let (p2, small) = temp("small", b"{\"a\":1}\n");
        assert!(Mapped::new(&small).is_none());
        let _ = std::fs::remove_file(p1);
        let _ = std::fs::remove_file(p2);
    }

    #[test]
    fn a_file_truncated_under_its_map_reads_zeroes_and_says_so() {
        let page = page_size();
        let len = (MIN_LEN as usize).max(page * 4);
        let (path, f) = temp("shrinks", &vec![b'x'; len]);
        let m = Mapped::new(&f).unwrap();
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(page as u64)
            .unwrap();
        let bytes = m.bytes();
        assert_eq!(bytes[0], b'x');
        assert_eq!(
            bytes[len - 1],
            0,
            "a lost page reads as zeroes, without SIGBUS"
        );
        assert!(m.lost_pages());
        drop(m);
        let _ = std::fs::remove_file(path);
    }
}
