//! Passwords checked and hashed before the writer (issue 28). Argon2id is
//! slow by design (tens of milliseconds, ~19 MiB): run inside the writer's
//! transaction it would hold up every write, and on an adapter's event loop
//! every connection of that loop. So a reader thread prepares `/login` and
//! `/password`: it reads what is stored (a snapshot), checks and hashes
//! outside any transaction, and hands the command to the writer with the
//! results in it; the rules (`agora_core::rules`) decide with them, and
//! accept a check only if the hash it was made against is still the one
//! stored.

use agora_core::accounts::{AccountCommand, PasswordCheck, Secret};
use agora_core::records::name_key;
use agora_core::rules::login_throttled;
use agora_core::time::UnixMillis;
use agora_core::view::{StoreError, View};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::OnceLock;

/// What a command's preparation read from a snapshot.
pub(crate) struct Stored {
    /// `/login` is throttled now: the rules answer 429 whatever the
    /// password, so nothing is hashed.
    throttled: bool,
    /// The PHC string the password is checked against (`None`: no such
    /// user, or no password).
    phc: Option<String>,
}

/// Reads what preparing `command` needs, in one read transaction.
pub(crate) fn stored(
    view: &mut impl View,
    command: &AccountCommand,
    now: UnixMillis,
) -> Result<Stored, StoreError> {
    match command {
        AccountCommand::Login {
            user_name, client, ..
        } => {
            if login_throttled(view, user_name, *client, now)?.is_some() {
                return Ok(Stored {
                    throttled: true,
                    phc: None,
                });
            }
            let user = view.user_by_name(&name_key(user_name))?;
            let phc = match user {
                Some(user) => view.password_of(user.id)?,
                None => None,
            };
            Ok(Stored {
                throttled: false,
                phc,
            })
        }
        AccountCommand::SetPassword { caller, .. } => {
            let phc = match view.user_by_token(caller)? {
                Some(user) => view.password_of(user.id)?,
                None => None,
            };
            Ok(Stored {
                throttled: false,
                phc,
            })
        }
        _ => Ok(Stored {
            throttled: false,
            phc: None,
        }),
    }
}

/// Checks and hashes what `command` carries against `stored` (the slow
/// part; no transaction is open), then drops the clear passwords from it.
/// A command that comes prepared already (the model-vs-store tests prepare
/// with the model's stand-in hash) is left as it is: `api::decode` never
/// makes one, so no request can skip the check.
pub(crate) fn prepare(command: &mut AccountCommand, stored: Stored) {
    match command {
        AccountCommand::Login { check, .. } if *check != PasswordCheck::Unchecked => {}
        AccountCommand::SetPassword { new_hash, .. } if new_hash.is_some() => {}
        AccountCommand::Login {
            password, check, ..
        } => {
            if !stored.throttled {
                let matches = verify(password, stored.phc.as_deref());
                *check = PasswordCheck::Checked {
                    against: stored.phc,
                    matches,
                };
            }
            *password = Secret(String::new());
        }
        AccountCommand::SetPassword {
            password,
            old_password,
            check,
            new_hash,
            ..
        } => {
            if let (Some(old), Some(_)) = (old_password.as_ref(), &stored.phc) {
                let matches = verify(old, stored.phc.as_deref());
                *check = PasswordCheck::Checked {
                    against: stored.phc,
                    matches,
                };
            }
            *new_hash = hash(password).ok();
            *password = Secret(String::new());
            if let Some(old) = old_password.as_mut() {
                *old = Secret(String::new());
            }
        }
        _ => {}
    }
}

/// An Argon2id PHC string of `secret` with a fresh salt from the operating
/// system, with the crate's recommended parameters.
pub(crate) fn hash(secret: &Secret) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(secret.0.as_bytes(), &salt)
        .map(|phc| phc.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `secret` is the password `phc` was made from. Without a stored
/// hash, a dummy one (of a random password, made once) is checked, so that
/// an unknown name takes as long as a wrong password and never matches.
fn verify(secret: &Secret, phc: Option<&str>) -> bool {
    let against = match phc {
        Some(phc) => phc,
        None => dummy(),
    };
    let Ok(parsed) = PasswordHash::new(against) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(secret.0.as_bytes(), &parsed)
        .is_ok();
    matches && phc.is_some()
}

fn dummy() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut random = [0u8; 24];
        let _ = getrandom::fill(&mut random);
        let password: String = random.iter().map(|b| format!("{b:02x}")).collect();
        hash(&Secret(password)).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_is_salted() {
        let secret = Secret("correct horse".into());
        let phc = hash(&secret).unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(!phc.contains("correct horse"));
        assert!(verify(&secret, Some(&phc)));
        assert!(!verify(&Secret("wrong horse".into()), Some(&phc)));
        assert_ne!(hash(&secret).unwrap(), phc, "a fresh salt each time");
        assert!(!verify(&secret, None));
    }
}
