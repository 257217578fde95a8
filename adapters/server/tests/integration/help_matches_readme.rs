//! `agora-server --help` and the README's options table name the same flags
//! with the same defaults, so that a flag added to one is added to the other.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Every long flag of `--help` (but clap's own `--help` and `--version`),
/// with its `[default: ...]` when it shows one.
fn help_flags() -> BTreeMap<String, Option<String>> {
    let out = Command::new(env!("CARGO_BIN_EXE_agora-server"))
        .arg("--help")
        .output()
        .expect("run agora-server --help");
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8(out.stdout).unwrap();
    let mut flags = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in help.lines() {
        let trimmed = line.trim_start();
        // An option's first line: `--name <VALUE>` or `-x, --name`.
        let long = trimmed
            .strip_prefix("--")
            .or_else(|| trimmed.split_once(", --").map(|(_, rest)| rest))
            .filter(|_| line.starts_with("  ") && trimmed.starts_with('-'));
        if let Some(rest) = long {
            let name = rest.split_whitespace().next().unwrap().to_owned();
            flags.insert(name.clone(), None);
            current = Some(name);
        } else if let (Some(name), Some(at)) = (&current, trimmed.find("[default: ")) {
            let value = &trimmed[at + "[default: ".len()..];
            let value = value.strip_suffix(']').unwrap_or(value);
            flags.insert(name.clone(), Some(value.to_owned()));
        }
    }
    flags.remove("help");
    flags.remove("version");
    flags
}

/// The rows of the README's table under `## Options`: flag name and the
/// default column as written.
fn readme_table() -> BTreeMap<String, String> {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(readme).unwrap();
    let section = readme
        .split("\n## Options\n")
        .nth(1)
        .expect("an Options section");
    let section = section.split("\n## ").next().unwrap();
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `--")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1]
            .trim_matches('`')
            .trim_start_matches("--")
            .to_owned();
        rows.insert(name, cells[2].to_owned());
    }
    rows
}

#[test]
fn every_flag_of_help_is_in_the_readme_table_with_its_default() {
    let help = help_flags();
    let table = readme_table();
    assert!(
        help.len() > 20 && help.contains_key("poll-timeout"),
        "{help:?}"
    );
    let missing: Vec<&String> = help.keys().filter(|f| !table.contains_key(*f)).collect();
    assert!(
        missing.is_empty(),
        "flags of agora-server --help missing from README.md's options table: {missing:?}"
    );
    let stale: Vec<&String> = table.keys().filter(|f| !help.contains_key(*f)).collect();
    assert!(
        stale.is_empty(),
        "README.md's options table lists flags agora-server does not have: {stale:?}"
    );
    for (flag, default) in &help {
        if let Some(default) = default {
            assert_eq!(
                table[flag],
                format!("`{default}`"),
                "the default of --{flag} in README.md's options table"
            );
        }
    }
}

/// The fields of a request's JSON log line, read from a real server's stderr.
fn request_log_fields() -> Vec<String> {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_agora-server"))
        .args([
            "--port",
            "0",
            "--log",
            "debug",
            "--log-format",
            "json",
            "--db",
        ])
        .arg(dir.path().join("agora.db"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start agora-server");
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let mut next_json = || -> serde_json::Value {
        let line = lines.next().expect("a log line").unwrap();
        serde_json::from_str(&line).unwrap()
    };
    let addr = loop {
        let line = next_json();
        let message = line["message"].as_str().unwrap_or("").to_owned();
        if let Some(at) = message.find("http://") {
            break message[at + 7..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned();
        }
    };
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let _ = conn.read_to_end(&mut Vec::new());
    let fields = loop {
        let line = next_json();
        if line.get("status").is_some() && line.get("method").is_some() {
            break line.as_object().unwrap().keys().cloned().collect();
        }
    };
    let _ = server.kill();
    let _ = server.wait();
    fields
}

#[test]
fn log_format_help_names_every_field_of_a_request_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_agora-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let at = help.find("--log-format").expect("--log-format in --help");
    let text = &help[at..at + help[at..].find("Possible values").unwrap()];
    let standard = ["timestamp", "level", "target", "message"];
    let fields = request_log_fields();
    assert!(fields.iter().any(|f| f == "uri"), "{fields:?}");
    for field in fields.iter().filter(|f| !standard.contains(&f.as_str())) {
        assert!(
            text.contains(field.as_str()),
            "--help for --log-format does not name `{field}`: {text}"
        );
    }
}
