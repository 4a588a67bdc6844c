//! Line utilities: how many lines a block has, where they start, and the start of the line
//! holding a position.

/// Lines in a block (a last line without a newline counts).
pub fn line_count(block: &[u8]) -> u64 {
    let n = memchr::memchr_iter(b'\n', block).count() as u64;
    n + u64::from(!block.ends_with(b"\n") && !block.is_empty())
}

/// The start of every line of `block` (and its end as the last entry).
pub fn line_starts(block: &[u8], out: &mut Vec<usize>) {
    out.clear();
    out.push(0);
    out.extend(
        memchr::memchr_iter(b'\n', block)
            .map(|i| i + 1)
            .filter(|&i| i < block.len()),
    );
    out.push(block.len());
}

/// The start of the line holding position `j` of `block`.
pub(super) fn line_start(block: &[u8], j: usize) -> usize {
    memchr::memrchr(b'\n', &block[..j]).map_or(0, |i| i + 1)
}
