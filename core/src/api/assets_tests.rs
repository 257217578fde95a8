//! The web client's files: how they are answered, and what the files
//! themselves must hold to (size, no inline code, no markup from data).

use super::*;
use crate::http::{Headers, Version};
use std::path::{Path, PathBuf};

fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> Request {
    let mut fields = Headers::default();
    for (name, value) in headers {
        fields.push(name, value.as_bytes());
    }
    Request {
        method: method.to_owned(),
        target: target.to_owned(),
        version: Version::Http11,
        headers: fields,
        body: Vec::new(),
    }
}

fn get(target: &str, headers: &[(&str, &str)]) -> Response {
    answer(&request("GET", target, headers)).expect("a file's path")
}

fn asset(path: &str) -> &'static Asset {
    ASSETS
        .iter()
        .find(|a| a.path == path)
        .expect("in the table")
}

#[test]
fn every_file_is_served_with_its_type_tag_and_the_security_headers() {
    for asset in &ASSETS {
        let response = get(asset.path, &[]);
        assert_eq!(response.status, 200, "{}", asset.path);
        assert_eq!(response.body, asset.bytes);
        assert_eq!(response.header("content-type"), Some(asset.content_type));
        assert_eq!(response.header("etag"), Some(asset.etag()));
        assert_eq!(response.header("cache-control"), Some("no-cache"));
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        let csp = response.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
    }
    assert_eq!(asset("/").content_type, "text/html; charset=utf-8");
    assert_eq!(
        asset("/assets/js/main.js").content_type,
        "text/javascript; charset=utf-8"
    );
}

#[test]
fn the_page_ignores_a_query_string() {
    assert_eq!(get("/?from=bookmark", &[]).body, asset("/").bytes);
}

#[test]
fn etags_are_strong_and_differ_between_files() {
    let tags: Vec<&str> = ASSETS.iter().map(Asset::etag).collect();
    for tag in &tags {
        assert!(
            tag.starts_with('"') && tag.ends_with('"') && tag.len() == 34,
            "{tag}"
        );
        assert!(!tag.contains(','), "{tag}");
    }
    let mut unique = tags.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), tags.len());
}

#[test]
fn if_none_match_naming_the_tag_gets_304_without_a_body() {
    let tag = asset("/").etag();
    let weak = format!("W/{tag}");
    let listed = format!("\"other\", {tag}");
    for value in [tag, weak.as_str(), listed.as_str(), "*"] {
        let response = get("/", &[("If-None-Match", value)]);
        assert_eq!(response.status, 304, "If-None-Match: {value}");
        assert!(response.body.is_empty());
        assert_eq!(response.header("etag"), Some(tag));
        assert_eq!(response.header("cache-control"), Some("no-cache"));
    }
    // A second field may name it too.
    let response = get("/", &[("If-None-Match", "\"old\""), ("If-None-Match", tag)]);
    assert_eq!(response.status, 304);
}

#[test]
fn if_none_match_naming_another_tag_gets_the_file() {
    let other = asset("/assets/style.css").etag();
    for value in [other, "\"\"", "", "W/", "\"a,b\"", "garbage"] {
        let response = get("/", &[("If-None-Match", value)]);
        assert_eq!(response.status, 200, "If-None-Match: {value}");
        assert_eq!(response.body, asset("/").bytes);
    }
}

#[test]
fn head_is_served_like_get() {
    let head = answer(&request("HEAD", "/", &[])).unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("etag"), Some(asset("/").etag()));
}

#[test]
fn other_methods_get_405_with_allow_from_the_head_alone() {
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW", "get"] {
        let req = request(method, "/assets/js/main.js", &[]);
        let response = answer(&req).unwrap();
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.header("allow"), Some(ALLOW));
        let pre = super::super::precheck(&req).expect("refused from the head");
        assert_eq!(pre.status, 405);
    }
    assert_eq!(super::super::precheck(&request("GET", "/", &[])), None);
}

#[test]
fn unknown_paths_are_left_to_the_api_routes() {
    for path in [
        "/assets/nope.js",
        "/assets/",
        "/assets",
        "/index.html",
        "/web/js/main.js",
    ] {
        let req = request("GET", path, &[]);
        assert!(answer(&req).is_none(), "{path}");
        let refusal = super::super::decode(
            &req,
            &Default::default(),
            std::net::Ipv4Addr::LOCALHOST.into(),
            &mut || -> crate::token::Token { unreachable!() },
        )
        .expect_err("not a command");
        assert_eq!(refusal.status, 404, "{path}");
    }
}

#[test]
fn the_whole_page_weighs_under_140_kb() {
    let total: usize = ASSETS.iter().map(|asset| asset.bytes.len()).sum();
    // Contract v3 (issues 25-28: rooms, history, the user picker, edits,
    // reactions, mentions, notifications, search, devices) took it from
    // 66 kB to 131 kB; about 48 kB of it reaches a browser, gzipped.
    assert!(total < 140_000, "the web client weighs {total} bytes");
}

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
}

fn files_under(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("web/ is readable") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, base, out);
        } else {
            let relative = path.strip_prefix(base).unwrap();
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn the_table_lists_every_file_of_web_and_only_those() {
    let mut on_disk = Vec::new();
    files_under(&web_dir(), &web_dir(), &mut on_disk);
    on_disk.sort();
    let mut listed: Vec<String> = ASSETS.iter().map(|a| a.file.to_owned()).collect();
    listed.sort();
    assert_eq!(listed, on_disk, "add new files of web/ to ASSETS");
    for asset in &ASSETS {
        if asset.path != "/" {
            assert_eq!(asset.path, format!("/assets/{}", asset.file));
        }
    }
}

fn text(asset: &Asset) -> &'static str {
    std::str::from_utf8(asset.bytes).expect("UTF-8")
}

/// The values of `attribute="..."` in `html`.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            &rest[..rest.find('"').expect("a closed attribute")]
        })
        .collect()
}

#[test]
fn the_page_has_no_inline_script_or_style_and_loads_only_served_files() {
    let html = text(asset("/"));
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<style"), "inline <style>");
    assert!(!lower.contains(" style="), "style attribute");
    assert_eq!(
        lower.matches("<script").count(),
        lower.matches("<script type=\"module\" src=\"").count(),
        "every script is a module loaded from a file"
    );
    let inline_handler = lower
        .split_whitespace()
        .any(|word| word.starts_with("on") && word.contains('='));
    assert!(!inline_handler, "an inline on... handler");
    let mut referenced = attribute_values(html, "src");
    referenced.extend(attribute_values(html, "href"));
    assert!(!referenced.is_empty());
    for path in referenced {
        assert!(
            ASSETS.iter().any(|a| a.path == path),
            "{path} is not served"
        );
    }
}

#[test]
fn scripts_never_turn_data_into_markup_and_import_only_served_modules() {
    for asset in ASSETS.iter().filter(|a| a.file.ends_with(".js")) {
        let js = text(asset);
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "createContextualFragment",
        ] {
            assert!(!js.contains(sink), "{} uses {sink}", asset.file);
        }
        for line in js.lines().filter(|l| l.contains(" from './")) {
            let module = line.split("from './").nth(1).unwrap();
            let module = &module[..module.find('\'').unwrap()];
            let path = format!("/assets/js/{module}");
            assert!(
                ASSETS.iter().any(|a| a.path == path),
                "{} imports {path}, which is not served",
                asset.file
            );
        }
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .expect("a gzip body");
    plain
}

#[test]
fn a_client_that_takes_gzip_gets_every_file_gzip_coded_with_its_own_tag() {
    for asset in &ASSETS {
        let response = get(asset.path, &[("Accept-Encoding", "gzip, deflate, br")]);
        assert_eq!(response.status, 200, "{}", asset.path);
        assert_eq!(response.header("content-encoding"), Some("gzip"));
        assert_eq!(response.header("vary"), Some("Accept-Encoding"));
        assert_eq!(response.header("content-type"), Some(asset.content_type));
        assert!(response.body.len() < asset.bytes.len(), "{}", asset.path);
        assert_eq!(gunzip(&response.body), asset.bytes, "{}", asset.path);
        let tag = response.header("etag").unwrap();
        assert_ne!(tag, asset.etag(), "two representations, two tags");
        assert!(tag.starts_with('"') && tag.ends_with("-gzip\""), "{tag}");
        // Compressed once: the same bytes each time.
        let again = get(asset.path, &[("Accept-Encoding", "gzip")]);
        assert_eq!(again.body, response.body);
    }
}

#[test]
fn a_client_that_does_not_take_gzip_gets_the_plain_file_and_vary() {
    for accept in [
        None,
        Some(""),
        Some("identity"),
        Some("gzip;q=0"),
        Some("*;q=0"),
        Some("br"),
    ] {
        let headers: Vec<(&str, &str)> =
            accept.map(|a| ("Accept-Encoding", a)).into_iter().collect();
        let response = get("/assets/js/main.js", &headers);
        assert_eq!(response.status, 200, "{accept:?}");
        assert_eq!(response.header("content-encoding"), None, "{accept:?}");
        assert_eq!(
            response.header("vary"),
            Some("Accept-Encoding"),
            "{accept:?}"
        );
        assert_eq!(response.body, asset("/assets/js/main.js").bytes);
        assert_eq!(
            response.header("etag"),
            Some(asset("/assets/js/main.js").etag())
        );
    }
}

#[test]
fn if_none_match_is_checked_against_the_representation_sent() {
    let path = "/assets/style.css";
    let gzip = get(path, &[("Accept-Encoding", "gzip")]);
    let gzip_tag = gzip.header("etag").unwrap().to_owned();
    let plain_tag = asset(path).etag();

    let fresh = get(
        path,
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &gzip_tag)],
    );
    assert_eq!(fresh.status, 304);
    assert!(fresh.body.is_empty());
    assert_eq!(fresh.header("etag"), Some(gzip_tag.as_str()));
    assert_eq!(fresh.header("vary"), Some("Accept-Encoding"));
    assert_eq!(fresh.header("content-encoding"), Some("gzip"));

    // A plain copy's tag does not stand for the gzip form, nor the reverse.
    let stale = get(
        path,
        &[("Accept-Encoding", "gzip"), ("If-None-Match", plain_tag)],
    );
    assert_eq!(stale.status, 200);
    assert_eq!(gunzip(&stale.body), asset(path).bytes);
    let stale = get(path, &[("If-None-Match", &gzip_tag)]);
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body, asset(path).bytes);
}

#[test]
fn head_with_gzip_says_the_coded_length() {
    let req = request("HEAD", "/", &[("Accept-Encoding", "gzip")]);
    let head = answer(&req).unwrap();
    assert_eq!(head.header("content-encoding"), Some("gzip"));
    // The HTTP machine writes Content-Length from the body and leaves it out for HEAD.
    assert_eq!(head.body, asset("/").gzipped().unwrap().0);
}
