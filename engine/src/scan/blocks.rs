//! Reading a stream in blocks of whole lines, straight into reusable, page-aligned buffers.

use std::io::{self, BufRead};
use std::ops::Range;

/// Cuts a stream into blocks of whole lines, reading straight into reusable buffers.
pub(super) struct Blocks<'r> {
    pub(super) input: &'r mut (dyn BufRead + Send),
    /// The start of a line cut by the previous block.
    pub(super) carry: Vec<u8>,
    pub(super) eof: bool,
}

/// Reads land at addresses aligned to this: the kernel copies several times faster to an
/// aligned destination than to an odd one.
const READ_ALIGN: usize = 4096;

impl Blocks<'_> {
    /// Fills `buf` with about `BLOCK` bytes of whole lines and returns where they are (`None`
    /// at the end): the cut line carried from the previous block, then what was read, from a
    /// `READ_ALIGN`-aligned address on. `buf` keeps its length between calls, so refilling it
    /// neither allocates nor zeroes; at the end of input the last line may lack its newline.
    pub(super) fn next(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Range<usize>>> {
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

/// Bytes per block handed to a worker.
pub(super) const BLOCK: usize = 1 << 20;
