//! The committed fuzz corpora, for the stable replay tests.

use std::path::PathBuf;

/// Every input of `fuzz/corpus/<target>/`, sorted by file name, with its path
/// (so a failing one can be named and run again alone).
pub fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    files
        .into_iter()
        .map(|file| {
            let data = std::fs::read(&file).expect("a corpus file");
            (file, data)
        })
        .collect()
}

/// Runs `harness` on every input of `target`'s corpus; a failing input is
/// named, so it can be run again alone.
pub fn replay(target: &str, harness: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    let inputs = inputs(target);
    for (file, data) in &inputs {
        let result = std::panic::catch_unwind(|| harness(data));
        assert!(result.is_ok(), "{} fails", file.display());
    }
    eprintln!("{target}: {} inputs replayed", inputs.len());
}
