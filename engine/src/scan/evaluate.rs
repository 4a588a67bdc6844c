//! How a scan evaluates its input: one line at a time, or a block of lines through the byte
//! prefilter, into a [`Batch`] that is written in input order.

use crate::alert::Location;
use crate::detector::{Batch, Detector};
use crate::input::{trim_json_whitespace, Format};
use crate::prefilter::{line_starts, Hits, LineFilter};

/// How lines are evaluated: shared by every worker thread.
pub(super) struct Evaluator<'a> {
    pub(super) det: &'a Detector,
    pub(super) format: Format,
    /// The byte prefilter, unless every line must be parsed (`--strict`, `--reference`, or a
    /// rule without literals).
    pub(super) filter: Option<LineFilter>,
}

impl Evaluator<'_> {
    /// Evaluates one physical line (with or without its newline), running the rules set in
    /// `candidates` (every routed rule with `None`).
    pub(super) fn line(
        &self,
        name: &str,
        line_no: u64,
        raw: &[u8],
        candidates: Option<&[u64]>,
        batch: &mut Batch,
    ) {
        batch.counts.lines += 1;
        let line = trim_json_whitespace(raw);
        if line.is_empty() {
            return;
        }
        let decoder = self.det.decoder();
        // A line that is one event on its own (the common case) is evaluated as it is, without
        // a list of items.
        let items = match decoder.single(line, self.format) {
            Some(Ok(decoded)) => {
                let at = Location {
                    file: name,
                    line: line_no,
                    item: None,
                };
                self.det.event(&decoded, &at, candidates, batch);
                return;
            }
            Some(Err(e)) => Err(e),
            None => decoder.line(line, self.format),
        };
        match items {
            Ok(items) => self.det.items(items, name, line_no, candidates, batch),
            Err(e) => self.det.bad_line(name, line_no, &e, batch),
        }
    }

    /// Evaluates a block of whole lines, the first numbered `first_line`: one prefilter pass
    /// over the block, then only the candidate lines are parsed. Also returns how many lines
    /// the block has (counted by that pass).
    pub(super) fn block(&self, name: &str, first_line: u64, block: &[u8]) -> (Batch, u64) {
        let mut batch = Batch::default();
        let Some(filter) = &self.filter else {
            let mut starts = Vec::new();
            line_starts(block, &mut starts);
            for (i, w) in starts.windows(2).enumerate() {
                self.line(
                    name,
                    first_line + i as u64,
                    &block[w[0]..w[1]],
                    None,
                    &mut batch,
                );
            }
            let total = starts.len() as u64 - 1;
            return (batch, total);
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
                &mut batch,
            );
        }
        let parsed = hits.lines.len() as u64;
        batch.counts.lines += total - parsed;
        batch.counts.skipped += total - parsed;
        (batch, total)
    }
}
