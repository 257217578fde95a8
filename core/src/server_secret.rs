//! The server secret (issue 28): 32 random bytes that every node of one
//! database shares and that the database never holds. The server binary
//! reads it from its secret file at start and hands it to core as bytes
//! (core reads no file).
//!
//! It keys everything about an `Idempotency-Key` that the database keeps
//! and that must say nothing to whoever reads the database:
//! - the request's fingerprint: an HMAC, so a kept fingerprint of a
//!   `/login` or `/password` body (which holds a password) cannot be used
//!   to test password guesses offline;
//! - the key that seals a kept answer holding a new token ([`SealKey`]), so
//!   the token is not in the database while a retry still gets it back;
//! - the verifier the database keeps, so that a node started with another
//!   secret refuses to start instead of failing every replay.
//!
//! Each use is an HMAC-SHA256 with a label of its own (domain separation)
//! over length-prefixed parts (no two inputs give the same bytes).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The secret's length, in bytes.
pub const SECRET_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// The server secret. Never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ServerSecret([u8; SECRET_LEN]);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(..)")
    }
}

/// HMAC-SHA256 keyed by `key` over `label` and each of `parts`, each
/// length-prefixed.
pub(crate) fn mac(key: &[u8], label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in std::iter::once(label).chain(parts.iter().copied()) {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl ServerSecret {
    /// The secret from its bytes. (`Default`, all zeros, is for tests and
    /// in-process servers only: the binary always reads a secret file.)
    pub fn new(bytes: [u8; SECRET_LEN]) -> ServerSecret {
        ServerSecret(bytes)
    }

    /// What the database keeps to tell the secret it was written with,
    /// without telling the secret.
    pub fn verifier(&self) -> [u8; 32] {
        mac(&self.0, b"agora secret verifier", &[])
    }

    /// The fingerprint of a keyed request, over its parts (method, target,
    /// body).
    pub fn fingerprint(&self, parts: &[&[u8]]) -> [u8; 32] {
        mac(&self.0, b"agora request fingerprint", parts)
    }

    /// The key that seals the kept answer of the `Idempotency-Key` `key`.
    pub fn seal_key(&self, key: &str) -> SealKey {
        SealKey(mac(&self.0, b"agora seal key", &[key.as_bytes()]))
    }
}

/// Seals and opens one key's kept answer: deterministic authenticated
/// encryption (SIV) from HMAC-SHA256 alone. The synthetic IV is the MAC of
/// the scope and the plaintext; the keystream is HMAC(key, IV, block
/// number). A keystream is reused only for the same plaintext (which says
/// no more than that the two are equal; an answer with a token never is),
/// so no random nonce is needed, and core stays free of randomness. Opening
/// checks the IV again: a body that was not sealed with this key (another
/// secret, another scope, a changed row) does not open.
#[derive(Clone, PartialEq, Eq)]
pub struct SealKey([u8; 32]);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(..)")
    }
}

/// The synthetic IV's length: the first half of the MAC.
const IV_LEN: usize = 16;

impl SealKey {
    fn iv(&self, scope: &str, plain: &[u8]) -> [u8; IV_LEN] {
        let tag = mac(&self.0, b"iv", &[scope.as_bytes(), plain]);
        tag[..IV_LEN].try_into().expect("16 of 32 bytes")
    }

    fn xor_keystream(&self, iv: &[u8], data: &mut [u8]) {
        for (block, chunk) in data.chunks_mut(32).enumerate() {
            let stream = mac(&self.0, b"stream", &[iv, &(block as u64).to_be_bytes()]);
            chunk.iter_mut().zip(stream).for_each(|(b, s)| *b ^= s);
        }
    }

    /// `plain` sealed for `scope`: IV, then the ciphertext.
    pub fn seal(&self, scope: &str, plain: &[u8]) -> Vec<u8> {
        let iv = self.iv(scope, plain);
        let mut sealed = Vec::with_capacity(IV_LEN + plain.len());
        sealed.extend_from_slice(&iv);
        sealed.extend_from_slice(plain);
        self.xor_keystream(&iv, &mut sealed[IV_LEN..]);
        sealed
    }

    /// The plaintext of what [`seal`](SealKey::seal) gave for `scope`;
    /// `None` when it was not sealed with this key for this scope.
    pub fn open(&self, scope: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < IV_LEN {
            return None;
        }
        let (iv, ciphertext) = sealed.split_at(IV_LEN);
        let mut plain = ciphertext.to_vec();
        self.xor_keystream(iv, &mut plain);
        let expected = self.iv(scope, &plain);
        // Compared in constant time: which byte differs says nothing.
        let differ = expected
            .iter()
            .zip(iv)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        (differ == 0).then_some(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8) -> ServerSecret {
        ServerSecret::new([byte; SECRET_LEN])
    }

    #[test]
    fn hmac_is_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?",
        // through the crate directly (our `mac` adds labels and lengths).
        let mut m = HmacSha256::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        let out: [u8; 32] = m.finalize().into_bytes().into();
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn each_use_and_each_secret_gives_its_own_bytes() {
        let a = secret(1);
        assert_ne!(a.verifier(), secret(2).verifier());
        assert_ne!(a.fingerprint(&[b"x"]), secret(2).fingerprint(&[b"x"]));
        // Labels separate the uses; length prefixes separate the parts.
        assert_ne!(a.fingerprint(&[]), a.verifier());
        assert_ne!(a.fingerprint(&[b"ab", b"c"]), a.fingerprint(&[b"a", b"bc"]));
        assert_ne!(a.seal_key("k"), a.seal_key("l"));
        assert_eq!(format!("{a:?}"), "ServerSecret(..)");
    }

    #[test]
    fn a_sealed_answer_opens_only_with_its_key_and_scope() {
        let key = secret(7).seal_key("retry-1");
        let plain = br#"{"token":"0123456789abcdef0123456789abcdef","user_name":"ann"}"#.repeat(3);
        let sealed = key.seal("address:127.0.0.1", &plain);
        assert_eq!(sealed.len(), plain.len() + IV_LEN);
        assert!(!sealed
            .windows(16)
            .any(|w| plain.windows(16).any(|p| p == w)));
        assert_eq!(key.open("address:127.0.0.1", &sealed), Some(plain.clone()));
        assert_eq!(key.open("address:127.0.0.2", &sealed), None);
        assert_eq!(
            secret(8)
                .seal_key("retry-1")
                .open("address:127.0.0.1", &sealed),
            None
        );
        assert_eq!(
            secret(7)
                .seal_key("retry-2")
                .open("address:127.0.0.1", &sealed),
            None
        );
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(key.open("address:127.0.0.1", &changed), None);
        assert_eq!(key.open("address:127.0.0.1", &sealed[..10]), None);
        assert_eq!(key.open("s", &key.seal("s", b"")), Some(Vec::new()));
    }
}
