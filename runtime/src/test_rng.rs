//! A small xorshift generator for unit tests' pseudo-random inputs (no dependency, the same
//! sequence on every machine). Public for the engine's tests; not part of the runtime's API.

/// xorshift64 state.
pub struct Rng(pub u64);

impl Rng {
    /// The next number of the sequence.
    // Not an iterator (the sequence never ends): the short name reads best in tests.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
