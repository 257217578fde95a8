//! Bearer tokens: 16 bytes from the caller's CSPRNG, shown as 32 lowercase hex
//! characters, stored only as their SHA-256 hash.

use sha2::{Digest, Sha256};

/// A fresh token's bytes. The core never makes one: the adapter draws them from
/// the operating system and hands them in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Token(pub [u8; 16]);

/// What the store keeps and looks users up by.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenHash(pub [u8; 32]);

impl Token {
    /// Parses exactly 32 lowercase hex characters; anything else is no token.
    pub fn from_hex(text: &[u8]) -> Option<Token> {
        if text.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, pair) in text.chunks_exact(2).enumerate() {
            bytes[i] = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Some(Token(bytes))
    }

    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(32);
        for b in self.0 {
            out.push(DIGITS[(b >> 4) as usize] as char);
            out.push(DIGITS[(b & 15) as usize] as char);
        }
        out
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0).into())
    }
}

// Tokens are secrets: never print them by accident.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenHash({:02x}{:02x}..)", self.0[0], self.0[1])
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_strictness() {
        let t = Token([0xab; 16]);
        let hex = t.to_hex();
        assert_eq!(hex, "ab".repeat(16));
        assert!(Token::from_hex(hex.as_bytes()) == Some(t));
        assert!(Token::from_hex("AB".repeat(16).as_bytes()).is_none());
        assert!(Token::from_hex(b"abc").is_none());
        assert!(Token::from_hex("zz".repeat(16).as_bytes()).is_none());
    }

    #[test]
    fn hash_is_sha256_of_the_bytes() {
        // sha256 of 16 zero bytes
        let h = Token([0; 16]).hash();
        assert_eq!(h.0[..4], [0x37, 0x47, 0x08, 0xff]);
    }
}
