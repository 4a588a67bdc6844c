//! No input, however broken, makes the generator panic: every prefix of real rule files and
//! many byte-level mutations of them are generated; each must end in output or diagnostics.

use sigma_gen::SourceFile;
use std::path::Path;

fn seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for dir in [
        "tests/fixtures/emit",
        "tests/fixtures/invalid",
        "../detections/kubernetes",
        "../tests/fixtures/hostile",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .collect();
        paths.sort();
        texts.extend(
            paths
                .iter()
                .map(|p| std::fs::read_to_string(p).expect("text")),
        );
    }
    assert!(texts.len() > 30);
    texts
}

fn run(text: &str) {
    let src = SourceFile {
        rel_path: "fuzz.yml".into(),
        text: text.to_owned(),
    };
    match sigma_gen::generate(&[src], "rules") {
        Ok(g) => assert!(g.output.files.contains_key("mod.rs")),
        Err(d) => {
            assert!(d.has_errors());
            let _ = d.to_string();
        }
    }
}

#[test]
fn every_prefix_of_the_flagship_rule() {
    let text = &seeds()
        .into_iter()
        .find(|t| t.contains("Impersonating Privileged"))
        .expect("flagship");
    for end in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
        run(&text[..end]);
    }
}

#[test]
fn byte_mutations_of_every_fixture() {
    const BYTES: &[u8] = b" \t\n:-|*?\\'\"[]{}#&!%@`>0aZ\x7f";
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in seeds() {
        for _ in 0..150 {
            let mut bytes = seed.clone().into_bytes();
            for _ in 0..1 + next() % 4 {
                if bytes.is_empty() {
                    break;
                }
                let at = (next() % bytes.len() as u64) as usize;
                let b = BYTES[(next() % BYTES.len() as u64) as usize];
                match next() % 3 {
                    0 => bytes[at] = b,
                    1 => bytes.insert(at, b),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            if let Ok(text) = String::from_utf8(bytes) {
                run(&text);
            }
        }
    }
}
