//! Fixture loading shared by the generator's integration tests.

use sigma_gen::SourceFile;
use std::path::Path;

/// Every `*.yml` under `tests/fixtures/<dir>`, as (file stem, source), sorted by stem.
pub fn fixtures(dir: &str) -> Vec<(String, SourceFile)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<(String, SourceFile)> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).expect("fixture text");
            let rel_path = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, SourceFile { rel_path, text })
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
