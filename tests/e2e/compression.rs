//! The web client's files gzip-coded for a client that takes gzip, checked
//! by a decoder nobody here wrote (curl `--compressed`, zlib): the bytes it
//! decodes are the files of `web/`, and every answer says `Vary`.

use crate::external::available;
use crate::harness::{workspace_root, Runtime, Server};
use crate::steps::curl;
use std::path::Path;

per_runtime!(gzip_assets);

/// Every file of `web/`, as `(URL path, file under web/)`: the page at `/`,
/// the others under `/assets/`.
fn web_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            let file = format!("{prefix}{name}");
            if path.is_dir() {
                walk(&path, &format!("{file}/"), out);
            } else if file == "index.html" {
                out.push(("/".to_owned(), file));
            } else {
                out.push((format!("/assets/{file}"), file));
            }
        }
    }
    let mut files = Vec::new();
    walk(&workspace_root().join("web"), "", &mut files);
    assert!(files.len() > 3, "{files:?}");
    files
}

/// One curl transfer: `(response head, decoded body, bytes on the wire)`.
fn curl_get(url: &str, extra: &[&str]) -> (String, Vec<u8>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let (head, body) = (dir.path().join("head"), dir.path().join("body"));
    let mut args = extra.to_vec();
    args.extend([
        "-D",
        head.to_str().unwrap(),
        "-o",
        body.to_str().unwrap(),
        url,
    ]);
    let out = curl("%{size_download}", &args);
    let size = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (
        std::fs::read_to_string(head).unwrap().to_ascii_lowercase(),
        std::fs::read(body).unwrap(),
        size,
    )
}

/// Asserts that `head`, curl's (lowercase) of the reply for `path`, has the
/// field line `field`.
fn has_field(path: &str, head: &str, field: &str) {
    assert!(
        head.contains(&format!("\r\n{field}\r\n")),
        "{path}: no {field:?} in {head}"
    );
}

fn gzip_assets(rt: Runtime) {
    if !available("curl") {
        return;
    }
    let server = Server::start(rt, &[]);
    let (mut plain_total, mut gzip_total) = (0, 0);
    for (path, file) in web_files() {
        let url = format!("http://{}{path}", server.addr);
        let on_disk = std::fs::read(workspace_root().join("web").join(&file)).unwrap();

        let (head, body, size) = curl_get(&url, &["--compressed"]);
        assert!(head.starts_with("http/1.1 200"), "{path}: {head}");
        has_field(&path, &head, "content-encoding: gzip");
        has_field(&path, &head, "vary: accept-encoding");
        // The length is the coded body's.
        has_field(&path, &head, &format!("content-length: {size}"));
        assert_eq!(body, on_disk, "{path} decodes to web/{file}");
        assert!(size < on_disk.len(), "{path}: {size} bytes coded");
        gzip_total += size;

        let (head, body, size) = curl_get(&url, &[]);
        assert!(!head.contains("content-encoding"), "{path}: {head}");
        has_field(&path, &head, "vary: accept-encoding");
        assert_eq!(body, on_disk);
        plain_total += size;

        let (head, _, _) = curl_get(&url, &["-H", "Accept-Encoding: gzip;q=0, *"]);
        assert!(!head.contains("content-encoding"), "{path}: {head}");
    }
    // The README quotes these (run with --nocapture to see them).
    println!("web/: {plain_total} bytes plain, {gzip_total} bytes with gzip");
}
