//! Compresses the web client's files (`web/` at the top of the repository)
//! with gzip once, at build time, into `$OUT_DIR/web/<file>.gz`, for
//! `api::assets` to embed beside the plain files: serving costs no
//! compression, and core stays free of it at run time.

use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::Path;

fn main() {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo");
    let web = Path::new(&manifest).join("../web");
    let out = Path::new(&std::env::var_os("OUT_DIR").expect("set by cargo")).join("web");
    println!("cargo::rerun-if-changed={}", web.display());
    compress_tree(&web, &out);
}

/// Writes `<file>.gz` under `out` for every file under `dir`, keeping the
/// folders.
fn compress_tree(dir: &Path, out: &Path) {
    std::fs::create_dir_all(out).expect("create OUT_DIR/web");
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("web/ is readable")
        .map(|entry| entry.expect("a web/ entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().expect("a name").to_os_string();
        if path.is_dir() {
            println!("cargo::rerun-if-changed={}", path.display());
            compress_tree(&path, &out.join(name));
            continue;
        }
        println!("cargo::rerun-if-changed={}", path.display());
        let bytes = std::fs::read(&path).expect("a web/ file is readable");
        // The gzip header's time stays 0, so a build gives the same bytes.
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&bytes).expect("compress to memory");
        let compressed = encoder.finish().expect("compress to memory");
        let mut gz_name = name;
        gz_name.push(".gz");
        std::fs::write(out.join(gz_name), compressed).expect("write to OUT_DIR");
    }
}
