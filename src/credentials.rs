//! Secrets: random tokens, password hashing and generated passwords.
//!
//! Argon2id is deliberately slow; callers on the async runtime run these functions on the
//! server's password threads.

use argon2::{Argon2, PasswordHash, PasswordHasher};
use sha2::{Digest, Sha256};

use crate::domain::account::NewPassword;

/// The operating system's random source failed: nothing safe can be issued.
#[derive(Debug, thiserror::Error)]
#[error("no randomness available: {0}")]
pub struct NoRandomness(String);

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(bytes)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh 256-bit token as 64 hex characters: session cookies and CSRF tokens.
pub fn random_token() -> Result<String, NoRandomness> {
    Ok(to_hex(&random_bytes::<32>()?))
}

/// What the database keeps of a session token: its SHA-256, so that a copy of the
/// database does not hand out live sessions.
pub fn token_digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Constant-time comparison of two tokens.
pub fn tokens_match(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Hashing a password failed inside argon2 (it does not for valid lengths).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash password: {0}")]
pub struct HashError(String);

/// Hashes a password as an argon2id PHC string with a random salt.
pub fn hash_password(password: &NewPassword) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.expose().as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

thread_local! {
    /// Argon2's working memory (19 MiB with the default parameters), kept by each thread
    /// that checks passwords and reused. Allocated afresh for every check, as argon2 does
    /// by itself, glibc's allocator could not reuse the aligned block it had freed, and
    /// each sign-in left the server 20 MB larger.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Checks a typed password against a stored hash. A malformed stored hash never matches.
pub fn verify_password(typed: &str, stored_hash: &str) -> bool {
    use argon2::{Algorithm, Params, Version};
    use subtle::ConstantTimeEq;

    let Ok(hash) = PasswordHash::new(stored_hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(hash.algorithm.as_str()),
        Params::try_from(&hash),
    ) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let mut computed = vec![0_u8; expected.len()];
    let hashed = ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() != params.block_count() {
            *memory = vec![argon2::Block::default(); params.block_count()];
        }
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                typed.as_bytes(),
                salt.as_ref(),
                &mut computed,
                &mut memory[..],
            )
            .is_ok()
    });
    hashed && bool::from(computed.as_slice().ct_eq(expected.as_bytes()))
}

/// A hash of a password nobody knows, verified when the username does not exist so that
/// a failed sign-in takes as long whether or not the account exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let decoy = NewPassword::parse("decoy password never used").expect("valid length");
        // Should argon2 ever fail here, an empty string still fails verification, only faster.
        hash_password(&decoy).unwrap_or_default()
    })
}

/// A new password for a person to type on a phone: 15 lowercase letters and digits in
/// three groups, without look-alikes (0/o, 1/l/i). About 75 bits of entropy.
pub fn generate_password() -> Result<NewPassword, NoRandomness> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = random_bytes::<15>()?;
    let mut password = String::with_capacity(17);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            password.push('-');
        }
        // 256 is not a multiple of 31: the bias is under 1% per character, and the
        // sign-in throttle makes guessing the only attack; accepted for readability.
        password.push(char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]));
    }
    Ok(NewPassword::parse(&password).expect("17 characters meet the length rule"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hex() {
        let a = random_token().expect("random");
        let b = random_token().expect("random");
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(token_digest(&a).len(), 32);
        assert!(tokens_match(&a, &a.clone()));
        assert!(!tokens_match(&a, &b));
        assert!(!tokens_match(&a, ""));
    }

    #[test]
    fn password_hash_round_trip() {
        let password = NewPassword::parse("correct horse battery").expect("valid");
        let hash = hash_password(&password).expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery ", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", decoy_hash()));
    }

    #[test]
    fn generated_passwords_are_readable() {
        let password = generate_password().expect("random");
        let text = password.expose();
        assert_eq!(text.len(), 17);
        assert_eq!(text.matches('-').count(), 2);
        assert!(!text.contains(['0', 'o', '1', 'l', 'i']));
    }
}
