//! Clients nobody here wrote: Python's `http.client` and curl. A missing tool
//! fails its test (CI installs both), unless `AGORA_SKIP_EXTERNAL=1` says to
//! skip it, which is then said loudly.

use crate::harness::{Runtime, Server};
use crate::steps;
use std::process::Command;

per_runtime!(python_http_client, curl);

pub(crate) fn available(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("AGORA_SKIP_EXTERNAL").is_some_and(|v| v == "1"),
            "{tool} is not installed: install it, or set AGORA_SKIP_EXTERNAL=1 to skip this test"
        );
        // A skip is not a pass: never in CI, where the tools are installed.
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "{tool} is not installed, and AGORA_SKIP_EXTERNAL=1 is not honoured in CI (CI is set)"
        );
        // Past the test harness's capture, so that a skip is never silent;
        // the thread is named after the test (`..::tokio_pg` included).
        let test = std::thread::current().name().unwrap_or("?").to_owned();
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("SKIPPED (AGORA_SKIP_EXTERNAL=1): {test}: {tool} is not installed\n")
                .as_bytes(),
        );
    }
    found
}

const PYTHON_CLIENT: &str = r#"
import http.client, json, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
def call(method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    r = conn.getresponse()
    return r.status, json.loads(r.read()), r
status, body, _ = call("POST", "/get-token", body={"user_name": "py"})
assert status == 200, (status, body)
token = body["token"]
status, body, _ = call("POST", "/send", token, {"message": "from python"})
assert status == 201, (status, body)
status, body, r = call("GET", "/status", token)
assert status == 200 and body["connected_as"] == "py", body
assert r.getheader("Content-Type") == "application/json"
status, body, _ = call("POST", "/connect", token, {})
assert [m["message_text"] for m in body["messages"]] == ["from python"], body
status, body, r = call("GET", "/status")
assert status == 401 and r.getheader("WWW-Authenticate", "").startswith("Bearer"), body
print("ok")
"#;

fn python_http_client(rt: Runtime) {
    if !available("python3") {
        return;
    }
    let server = Server::start(rt, &[]);
    let out = Command::new("python3")
        .args(["-c", PYTHON_CLIENT, &server.addr.port().to_string()])
        .output()
        .expect("run python3");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "python http.client failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs curl; one `(status, JSON body)` per transfer (options after `--next`
/// must repeat `-sS -w ...`). The status is written right after the body, so
/// each body must end with its own newline (as a terminal wants) for the two
/// to come out on lines of their own.
fn curl_calls(args: &[&str]) -> Vec<(u16, serde_json::Value)> {
    let out = steps::curl("%{http_code}\n", args);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let pairs = lines.chunks_exact(2);
    assert!(pairs.remainder().is_empty(), "curl printed {text:?}");
    pairs
        .map(|pair| {
            (
                pair[1].parse().unwrap(),
                serde_json::from_str(pair[0]).unwrap(),
            )
        })
        .collect()
}

fn curl(rt: Runtime) {
    if !available("curl") {
        return;
    }
    let server = Server::start(rt, &[]);
    let base = format!("http://{}", server.addr);
    let token = curl_calls(&[
        "-X",
        "POST",
        "-d",
        r#"{"user_name":"curly"}"#,
        &format!("{base}/get-token"),
    ]);
    assert_eq!(token[0].0, 200, "{}", token[0].1);
    let auth = format!(
        "Authorization: Bearer {}",
        token[0].1["token"].as_str().unwrap()
    );
    // Two transfers on one connection (curl reuses it), the second with a
    // chunked body.
    let replies = curl_calls(&[
        "-H",
        &auth,
        &format!("{base}/status"),
        "--next",
        "-sS",
        "-w",
        "%{http_code}\n",
        "-H",
        &auth,
        "-H",
        "Transfer-Encoding: chunked",
        "-d",
        r#"{"message":"from curl"}"#,
        &format!("{base}/send"),
    ]);
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0].0, 200, "{}", replies[0].1);
    assert_eq!(replies[0].1["connected_as"], "curly");
    assert_eq!(replies[1].0, 201, "{}", replies[1].1);
    assert_eq!(replies[1].1["info"], "message sent");
}
