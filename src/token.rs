//! Hook tokens: the unguessable part of a hook's URL.

use anyhow::Result;

pub const LEN: usize = 32;
const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A new token: 32 characters `[a-z0-9]` from the OS random source
/// (about 165 bits).
pub fn generate() -> Result<String> {
    let mut token = String::with_capacity(LEN);
    let mut bytes = [0u8; 64];
    while token.len() < LEN {
        getrandom::fill(&mut bytes)
            .map_err(|e| anyhow::anyhow!("could not read the OS random source: {e}"))?;
        // Rejection sampling keeps every character equally likely:
        // 252 = 7 × 36 is the largest multiple of 36 below 256.
        for &byte in bytes.iter().filter(|&&b| b < 252) {
            if token.len() == LEN {
                break;
            }
            token.push(ALPHABET[usize::from(byte % 36)] as char);
        }
    }
    Ok(token)
}

/// True for a string of the token's shape.
pub fn is_token(text: &str) -> bool {
    text.len() == LEN && text.bytes().all(|b| ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_shape_of_the_spec() {
        let tokens: Vec<String> = (0..200).map(|_| generate().unwrap()).collect();
        for token in &tokens {
            assert!(is_token(token), "{token}");
        }
        let distinct: std::collections::HashSet<_> = tokens.iter().collect();
        assert_eq!(distinct.len(), tokens.len());
        // Over 6,400 characters every one of the 36 should appear.
        let seen: std::collections::HashSet<u8> = tokens.iter().flat_map(|t| t.bytes()).collect();
        assert_eq!(seen.len(), 36);
    }

    #[test]
    fn recognises_tokens() {
        assert!(is_token("abcdefghijklmnopqrstuvwxyz012345"));
        assert!(!is_token("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"));
        assert!(!is_token("short"));
        assert!(!is_token("abcdefghijklmnopqrstuvwxyz012345/"));
    }
}
