//! The server secret's file (issue 28, `agora_core::server_secret`):
//! `--secret-file`, by default beside a SQLite database (`agora.db.secret`)
//! or, on PostgreSQL, `agora.secret` in the working directory. Made on first
//! start with 32 random bytes, written as 64 hex digits and a line break,
//! owner-only, and never replaced; read on every later start. Every node of
//! one database needs the same file (the store refuses another: see
//! `agora_store`'s verifier).

use agora_core::server_secret::{ServerSecret, SECRET_LEN};
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The file `--secret-file` names when not given.
pub fn default_path(db: &Path, postgres: bool) -> PathBuf {
    if postgres {
        return PathBuf::from("agora.secret");
    }
    let mut path = db.as_os_str().to_owned();
    path.push(".secret");
    PathBuf::from(path)
}

/// The secret, and whether this start made its file.
pub struct Loaded {
    pub secret: ServerSecret,
    pub created: bool,
}

/// Reads the secret at `path`, or makes the file when there is none.
pub fn load_or_create(path: &Path) -> Result<Loaded, String> {
    match fs::read(path) {
        Ok(bytes) => {
            warn_if_others_may_read(path);
            parse(&bytes)
                .map(|secret| Loaded {
                    secret,
                    created: false,
                })
                .ok_or_else(|| {
                    format!(
                        "the secret file {} is not one agora-server wrote (64 hex digits and a \
                     line break); restore it from another node, or remove it only if no \
                     node has served this database yet",
                        path.display()
                    )
                })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(format!(
            "cannot read the secret file {}: {e}",
            path.display()
        )),
    }
}

/// A copy made without care (a `cp` under another umask, a mounted secret)
/// may be readable by others: said, not refused, since the operator may
/// have reasons (a group the server's user is in).
fn warn_if_others_may_read(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "the secret file may be read by other users than the server's: chmod 600 it"
            );
        }
    }
}

/// 64 hex digits, optionally followed by one line break.
fn parse(bytes: &[u8]) -> Option<ServerSecret> {
    let digits = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if digits.len() != SECRET_LEN * 2 {
        return None;
    }
    let mut secret = [0u8; SECRET_LEN];
    for (byte, pair) in secret.iter_mut().zip(digits.chunks(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        *byte = u8::from_str_radix(text, 16).ok()?;
    }
    Some(ServerSecret::new(secret))
}

/// Writes a new secret to a temporary file beside `path` (mode 0600,
/// synced) and links it to `path`: a link never replaces a file, so two
/// nodes making it at once agree on the one that got there first (the
/// other reads it).
fn create(path: &Path) -> Result<Loaded, String> {
    let mut bytes = [0u8; SECRET_LEN];
    getrandom::fill(&mut bytes).map_err(|e| format!("cannot draw the server secret: {e}"))?;
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n";
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let cannot = |e: std::io::Error| {
        format!(
            "cannot create the secret file {}: {e}; check that its folder exists and is \
             writable, or pass another path with --secret-file",
            path.display()
        )
    };
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        });
    let linked = written.and_then(|()| fs::hard_link(&temporary, path));
    let _ = fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            sync_folder(path);
            tracing::info!(path = %path.display(), "created the server secret file");
            Ok(Loaded {
                secret: ServerSecret::new(bytes),
                created: true,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            load_or_create(path).map(|loaded| Loaded {
                created: false,
                ..loaded
            })
        }
        Err(e) => Err(cannot(e)),
    }
}

/// The link survives a crash once its folder is synced (best effort).
fn sync_folder(path: &Path) {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(folder) = fs::File::open(folder) {
        let _ = folder.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn made_once_owner_only_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agora.db.secret");
        let first = load_or_create(&path).unwrap();
        assert!(first.created);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 65, "{text:?}");
        let again = load_or_create(&path).unwrap();
        assert!(!again.created);
        assert_eq!(again.secret, first.secret);
        // Nothing else is left in the folder.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_file_agora_did_not_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let good = "ab".repeat(32);
        fs::write(&path, &good).unwrap();
        assert!(load_or_create(&path).is_ok(), "without the line break");
        for bad in [
            String::new(),
            "ab".repeat(31) + "\n",
            "ab".repeat(33) + "\n",
            "zz".repeat(32) + "\n",
            good.clone() + "\n\n",
            format!(" {good}"),
        ] {
            fs::write(&path, &bad).unwrap();
            let refused = load_or_create(&path).err().unwrap();
            assert!(
                refused.contains("is not one agora-server wrote"),
                "{bad:?}: {refused}"
            );
        }
    }

    #[test]
    fn the_default_is_beside_a_sqlite_file_or_in_the_working_directory() {
        assert_eq!(
            default_path(Path::new("/srv/agora.db"), false),
            PathBuf::from("/srv/agora.db.secret")
        );
        assert_eq!(
            default_path(Path::new("postgres://db/agora"), true),
            PathBuf::from("agora.secret")
        );
    }
}
