//! Cutting a stream into blocks of whole lines: read straight into reusable, page-aligned
//! buffers, or sliced out of a memory-mapped file.

use super::mapped::Mapped;
use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::ops::Range;

/// Where the blocks come from.
pub(super) enum Blocks<'r> {
    /// Read into the caller's buffer.
    Read {
        input: &'r mut (dyn BufRead + Send),
        /// The start of a line cut by the previous block.
        carry: Vec<u8>,
        eof: bool,
    },
    /// Sliced out of a mapped file.
    Mapped(Sliced<'r>),
}

/// A mapped file being cut into blocks: its pages are mapped in ahead of the blocks handed
/// out and released behind the oldest block that may still be in use.
pub(super) struct Sliced<'r> {
    map: &'r Mapped,
    /// Bytes handed out so far.
    pos: usize,
    /// Mapped in up to here, released up to there.
    ahead: usize,
    behind: usize,
    /// The starts of the last `in_flight` blocks handed out (the oldest first).
    starts: VecDeque<usize>,
    in_flight: usize,
}

/// Pages are mapped in and released this many bytes at a time.
const STEP: usize = 8 << 20;

/// A block of whole lines: a range of the caller's buffer, or a slice of the mapped file.
#[derive(Clone)]
pub(super) enum Block<'r> {
    Buf(Range<usize>),
    Mapped(&'r [u8]),
}

impl<'r> Block<'r> {
    /// The block's bytes (`buf` is the buffer `Blocks::next` was handed).
    pub(super) fn bytes<'a>(&self, buf: &'a [u8]) -> &'a [u8]
    where
        'r: 'a,
    {
        match self {
            Block::Buf(range) => &buf[range.clone()],
            Block::Mapped(bytes) => bytes,
        }
    }
}

impl<'r> Sliced<'r> {
    fn next(&mut self) -> Option<&'r [u8]> {
        let bytes: &'r [u8] = self.map.bytes();
        let start = self.pos;
        if start == bytes.len() {
            return None;
        }
        while self.ahead < bytes.len() && self.ahead < start + 2 * BLOCK {
            self.map.populate(self.ahead..self.ahead + STEP);
            self.ahead += STEP;
        }
        let rest = &bytes[start..];
        let len = match rest.get(BLOCK..) {
            None => rest.len(),
            Some(after) => memchr::memchr(b'\n', after).map_or(rest.len(), |i| BLOCK + i + 1),
        };
        self.pos += len;
        self.starts.push_back(start);
        if self.starts.len() > self.in_flight {
            self.starts.pop_front();
        }
        // Blocks before the oldest one that may be in use are done with.
        let oldest = self.starts[0];
        if oldest >= self.behind + STEP {
            self.map.release(self.behind..oldest);
            self.behind = oldest;
        }
        Some(&rest[..len])
    }
}

/// Reads land at addresses aligned to this: the kernel copies several times faster to an
/// aligned destination than to an odd one.
const READ_ALIGN: usize = 4096;

impl<'r> Blocks<'r> {
    pub(super) fn read(input: &'r mut (dyn BufRead + Send)) -> Blocks<'r> {
        Blocks::Read {
            input,
            carry: Vec::new(),
            eof: false,
        }
    }

    /// Blocks of `map`, of which at most `in_flight` (the one just handed out included) are
    /// in use at a time.
    pub(super) fn mapped(map: &'r Mapped, in_flight: usize) -> Blocks<'r> {
        Blocks::Mapped(Sliced {
            map,
            pos: 0,
            ahead: 0,
            behind: 0,
            starts: VecDeque::new(),
            in_flight: in_flight.max(1),
        })
    }

    /// The next block of about `BLOCK` bytes of whole lines (`None` at the end); at the end of
    /// input the last line may lack its newline. Read blocks land in `buf`, which keeps its
    /// length between calls, so refilling it neither allocates nor zeroes.
    pub(super) fn next(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Block<'r>>> {
        match self {
            Blocks::Read { input, carry, eof } => {
                Ok(read_block(&mut **input, carry, eof, buf)?.map(Block::Buf))
            }
            Blocks::Mapped(s) => Ok(s.next().map(Block::Mapped)),
        }
    }
}

/// Fills `buf` with the cut line carried from the previous block, then what was read, from a
/// `READ_ALIGN`-aligned address on, up to the last whole line; returns where that is.
fn read_block(
    input: &mut (dyn BufRead + Send),
    carry: &mut Vec<u8>,
    eof: &mut bool,
    buf: &mut Vec<u8>,
) -> io::Result<Option<Range<usize>>> {
    let carried = carry.len();
    let room = carried + READ_ALIGN + BLOCK;
    if buf.len() < room {
        buf.resize(room, 0);
    }
    let base = buf.as_ptr() as usize;
    let start = (base + carried).next_multiple_of(READ_ALIGN) - base - carried;
    let mut n = start + carried;
    buf[start..n].copy_from_slice(carry);
    carry.clear();
    loop {
        while n < buf.len() && !*eof {
            match input.read(&mut buf[n..]) {
                Ok(0) => *eof = true,
                Ok(r) => n += r,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if n == start {
            return Ok(None);
        }
        if *eof {
            return Ok(Some(start..n));
        }
        // Keep whole lines; the cut one starts the next block.
        if let Some(last) = memchr::memrchr(b'\n', &buf[start..n]) {
            let end = start + last + 1;
            carry.extend_from_slice(&buf[end..n]);
            return Ok(Some(start..end));
        }
        // One line longer than the buffer: grow it.
        let len = buf.len();
        buf.resize(len * 2, 0);
    }
}

/// Bytes per block handed to a worker.
pub(super) const BLOCK: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way of cutting gives back the input, in whole lines.
    fn cut(blocks: &mut Blocks<'_>) -> Vec<Vec<u8>> {
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(b) = blocks.next(&mut buf).unwrap() {
            out.push(b.bytes(&buf).to_vec());
        }
        out
    }

    #[test]
    fn mapped_and_read_blocks_cut_the_same_whole_lines() {
        let mut text = Vec::new();
        let mut i = 0u64;
        while text.len() < 3 * BLOCK + 17 {
            text.extend_from_slice(
                format!(
                    "{{\"n\":{i},\"pad\":\"{}\"}}\n",
                    "x".repeat((i % 97) as usize)
                )
                .as_bytes(),
            );
            i += 1;
        }
        text.extend_from_slice(b"{\"last\":true}"); // no newline at the end
        let mut cursor = io::Cursor::new(text.clone());
        let read = cut(&mut Blocks::read(&mut cursor));
        let (path, map) = mapped_file("lines", &text);
        let mapped = cut(&mut Blocks::mapped(&map, 1));
        drop(map);
        let _ = std::fs::remove_file(path);
        for blocks in [&read, &mapped] {
            assert!(blocks.len() >= 3);
            assert_eq!(blocks.concat(), text);
            for b in &blocks[..blocks.len() - 1] {
                assert_eq!(b.last(), Some(&b'\n'), "blocks end at a line's end");
            }
        }
        // One line longer than a block is one block.
        let long = [vec![b'y'; 2 * BLOCK], b"\nz\n".to_vec()].concat();
        let (path, map) = mapped_file("long", &long);
        let blocks = cut(&mut Blocks::mapped(&map, 4));
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1], b"z\n");
        drop(map);
        let _ = std::fs::remove_file(path);
    }

    fn mapped_file(name: &str, bytes: &[u8]) -> (std::path::PathBuf, Mapped) {
        let path =
            std::env::temp_dir().join(format!("detect-blocks-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let map = Mapped::new(&std::fs::File::open(&path).unwrap()).expect("large enough to map");
        (path, map)
    }
}
