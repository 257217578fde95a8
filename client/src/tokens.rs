//! Saved tokens: `tokens.json` in the config directory, one token per server
//! and user (`{"http://host:port": {"alice": "<token>"}}`). Servers are keyed
//! by their canonical URL, so `http://h/`, `http://h` and `http://h:80` are
//! one server. Written whole to a temporary file (mode 0600) and renamed over
//! the old one, so a crash never leaves half a file, and no other local user
//! can read a token.

use crate::server_url::ServerUrl;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const FILE_NAME: &str = "tokens.json";

/// `$AGORA_CONFIG_DIR`, else `$XDG_CONFIG_HOME/agora`, else
/// `$HOME/.config/agora`. `var` reads the environment (a parameter for tests).
pub fn config_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    set("AGORA_CONFIG_DIR")
        .or_else(|| set("XDG_CONFIG_HOME").map(|d| d.join("agora")))
        .or_else(|| set("HOME").map(|d| d.join(".config").join("agora")))
}

/// Why no token could be chosen; each says what to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    NoUser { server: String },
    Unknown { server: String, user: String },
    Ambiguous { server: String, users: Vec<String> },
}

impl std::fmt::Display for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lookup::NoUser { server } => write!(
                f,
                "no saved token for {server}; run `agora register NAME` first, or \
                 `agora login NAME --token TOKEN` for a user whose token you have"
            ),
            Lookup::Unknown { server, user } => write!(
                f,
                "no saved token for {user} on {server}; run `agora register {user}` \
                 (or `agora login {user} --token TOKEN`), or choose another --user"
            ),
            Lookup::Ambiguous { server, users } => write!(
                f,
                "several users have tokens for {server} ({}); choose one with --user",
                users.join(", ")
            ),
        }
    }
}

#[derive(Debug)]
pub struct TokenFile {
    path: PathBuf,
    servers: BTreeMap<String, BTreeMap<String, String>>,
}

impl TokenFile {
    /// Reads `tokens.json` in `dir`; a missing file is an empty one. Keys
    /// written another way (by hand, by an older agora) are read as their
    /// canonical URL; one that is no URL is kept as it is.
    pub fn load(dir: &Path) -> Result<TokenFile, String> {
        let path = dir.join(FILE_NAME);
        let saved: BTreeMap<String, BTreeMap<String, String>> = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let mut servers = BTreeMap::<String, BTreeMap<String, String>>::new();
        for (key, users) in saved {
            let key = ServerUrl::parse(&key).map_or(key, |url| url.to_string());
            servers.entry(key).or_default().extend(users);
        }
        Ok(TokenFile { path, servers })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The user and token for `server`: `user` if given (names compare
    /// without regard to case, as the server's do), else the only one saved.
    pub fn get(&self, server: &ServerUrl, user: Option<&str>) -> Result<(String, String), Lookup> {
        let server = server.to_string();
        let users = self.servers.get(&server);
        let mut saved = users.into_iter().flatten();
        match user {
            Some(wanted) => saved
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(name, token)| (name.clone(), token.clone()))
                .ok_or_else(|| Lookup::Unknown {
                    server,
                    user: wanted.to_owned(),
                }),
            None => match (saved.next(), saved.next()) {
                (Some((name, token)), None) => Ok((name.clone(), token.clone())),
                (None, _) => Err(Lookup::NoUser { server }),
                (Some(_), Some(_)) => Err(Lookup::Ambiguous {
                    server,
                    users: users
                        .into_iter()
                        .flatten()
                        .map(|(n, _)| n.clone())
                        .collect(),
                }),
            },
        }
    }

    /// Records a token (replacing one saved for the same name in any case).
    pub fn insert(&mut self, server: &ServerUrl, user: &str, token: &str) {
        let users = self.servers.entry(server.to_string()).or_default();
        users.retain(|name, _| !name.eq_ignore_ascii_case(user));
        users.insert(user.to_owned(), token.to_owned());
    }

    /// Writes the file atomically: directory 0700, file 0600.
    pub fn save(&self) -> io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let mut bytes = serde_json::to_vec_pretty(&self.servers).map_err(io::Error::other)?;
        bytes.push(b'\n');
        let temp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
        let written = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)
            .and_then(|mut file| {
                file.write_all(&bytes)?;
                file.sync_all()
            })
            .and_then(|()| fs::rename(&temp, &self.path));
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const SERVER: &str = "http://127.0.0.1:8000";

    fn url(text: &str) -> ServerUrl {
        ServerUrl::parse(text).unwrap()
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn config_dir_precedence() {
        let all = [
            ("AGORA_CONFIG_DIR", "/a"),
            ("XDG_CONFIG_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(config_dir(env(&all)), Some(PathBuf::from("/a")));
        assert_eq!(config_dir(env(&all[1..])), Some(PathBuf::from("/x/agora")));
        assert_eq!(
            config_dir(env(&[("XDG_CONFIG_HOME", ""), ("HOME", "/h")])),
            Some(PathBuf::from("/h/.config/agora"))
        );
        assert_eq!(config_dir(env(&[])), None);
    }

    #[test]
    fn saves_with_private_modes_and_reads_back() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("cfg").join("agora");
        let mut file = TokenFile::load(&dir).unwrap();
        assert_eq!(
            file.get(&url(SERVER), None),
            Err(Lookup::NoUser {
                server: SERVER.into()
            })
        );
        file.insert(&url(SERVER), "alice", "00112233445566778899aabbccddeeff");
        file.save().unwrap();

        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [OsString::from(FILE_NAME)], "no temporary file left");

        let again = TokenFile::load(&dir).unwrap();
        assert_eq!(
            again.get(&url(SERVER), None).unwrap(),
            ("alice".into(), "00112233445566778899aabbccddeeff".into())
        );
        assert_eq!(again.get(&url(SERVER), Some("ALICE")).unwrap().0, "alice");
        assert!(matches!(
            again.get(&url("http://other:1"), None),
            Err(Lookup::NoUser { .. })
        ));
    }

    #[test]
    fn tightens_a_loose_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, "{}").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let mut file = TokenFile::load(dir.path()).unwrap();
        file.insert(&url(SERVER), "bob", "t");
        file.save().unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn chooses_among_several_users() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = TokenFile::load(dir.path()).unwrap();
        file.insert(&url(SERVER), "alice", "ta");
        file.insert(&url(SERVER), "bob", "tb");
        file.insert(&url("http://elsewhere"), "carol", "tc");
        assert_eq!(
            file.get(&url(SERVER), None),
            Err(Lookup::Ambiguous {
                server: SERVER.into(),
                users: vec!["alice".into(), "bob".into()]
            })
        );
        assert_eq!(file.get(&url(SERVER), Some("bob")).unwrap().1, "tb");
        assert!(matches!(
            file.get(&url(SERVER), Some("carol")),
            Err(Lookup::Unknown { .. })
        ));
        file.insert(&url(SERVER), "Bob", "tb2");
        assert_eq!(
            file.get(&url(SERVER), Some("bob")).unwrap(),
            ("Bob".into(), "tb2".into())
        );
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        let err = TokenFile::load(dir.path()).unwrap_err();
        assert!(err.contains("tokens.json"), "{err}");
    }

    #[test]
    fn one_server_however_its_url_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let written_by_hand = r#"{"HTTP://Example.ORG/": {"alice": "ta"},
                                  "http://127.0.0.1:8000/": {"bob": "tb"},
                                  "not a url": {"carol": "tc"}}"#;
        fs::write(dir.path().join(FILE_NAME), written_by_hand).unwrap();
        let mut file = TokenFile::load(dir.path()).unwrap();
        for server in ["http://example.org", "http://example.org:80/"] {
            assert_eq!(file.get(&url(server), None).unwrap().1, "ta", "{server}");
        }
        assert_eq!(file.get(&url(SERVER), None).unwrap().1, "tb");
        file.insert(&url("http://127.0.0.1:8000/"), "dave", "td");
        file.save().unwrap();
        let saved: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.path().join(FILE_NAME)).unwrap()).unwrap();
        assert_eq!(
            saved,
            serde_json::json!({
                "http://example.org:80": {"alice": "ta"},
                SERVER: {"bob": "tb", "dave": "td"},
                "not a url": {"carol": "tc"},
            })
        );
    }
}
