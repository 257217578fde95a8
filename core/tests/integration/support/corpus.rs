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
