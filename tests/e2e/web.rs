//! The web client's files, served by the server itself: the page and its
//! modules with their types, tags, caching and security headers, 304 on a
//! matching If-None-Match, HEAD, 405 and 404.

use crate::harness::{Client, Runtime, Server};

per_runtime!(web_page_and_files, web_revalidation, web_refusals);

/// The paths the page loads: its `src` and `href` attributes.
fn referenced_paths(html: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for attribute in [" src=\"", " href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            paths.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    paths
}

fn get_with(c: &mut Client, path: &str, extra: &str) -> crate::harness::Reply {
    c.send_raw(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n").as_bytes());
    c.read_reply().expect("a response")
}

fn web_page_and_files(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let page = c.get("/", None);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(
        csp.contains("connect-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let etag = page.header("etag").expect("an ETag").to_owned();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong: {etag}"
    );
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.starts_with("<!doctype html>"));

    let paths = referenced_paths(&html);
    assert!(paths.iter().any(|p| p.ends_with(".js")), "{paths:?}");
    for path in paths {
        let file = c.get(&path, None);
        assert_eq!(file.status, 200, "{path}");
        let expected = match path.rsplit('.').next().unwrap() {
            "js" => "text/javascript; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            "svg" => "image/svg+xml",
            other => panic!("unexpected file type {other}"),
        };
        assert_eq!(file.header("content-type"), Some(expected), "{path}");
        assert!(file.header("etag").is_some(), "{path}");
        assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
        assert!(!file.body.is_empty());
    }

    // HEAD: the same head, no body; the connection goes on.
    c.send_raw(b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let head = c.read_head_reply().expect("a response");
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(html.len().to_string().as_str())
    );
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert_eq!(c.get("/", None).body, html.as_bytes());
}

fn web_revalidation(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let script = c.get("/assets/js/main.js", None);
    let etag = script.header("etag").unwrap().to_owned();

    let unchanged = get_with(
        &mut c,
        "/assets/js/main.js",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.body.is_empty());
    assert_eq!(unchanged.header("content-length"), None);
    assert_eq!(unchanged.header("etag"), Some(etag.as_str()));
    assert_eq!(unchanged.header("cache-control"), Some("no-cache"));

    let weak = get_with(
        &mut c,
        "/assets/js/main.js",
        &format!("If-None-Match: \"x\", W/{etag}\r\n"),
    );
    assert_eq!(weak.status, 304);

    // Another file's tag does not match: the file comes whole.
    let changed = get_with(&mut c, "/", &format!("If-None-Match: {etag}\r\n"));
    assert_eq!(changed.status, 200);
    assert!(!changed.body.is_empty());
    // The keep-alive connection still serves the API after the 304s.
    assert_eq!(c.get("/status", None).status, 401);
}

fn web_refusals(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    for (method, path) in [
        ("POST", "/"),
        ("PUT", "/assets/js/main.js"),
        ("DELETE", "/assets/style.css"),
    ] {
        let reply = c.request(method, path, None, None);
        reply.expect_error(405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"), "{method} {path}");
    }
    // A refused head with Expect: 100-continue gets the 405 without 100 Continue.
    c.send_raw(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
    );
    let reply = c.read_any().expect("a response");
    assert_eq!(reply.status, 405);
    let mut c = server.client();
    for path in ["/assets/nope.js", "/assets/", "/index.html"] {
        c.get(path, None).expect_error(404, "not_found");
    }
}
