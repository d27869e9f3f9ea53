//! Argon2id hashing of passwords and client secrets.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

pub fn hash(secret: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(Argon2::default().hash_password(secret.as_bytes())?.to_string())
}

/// Checks `secret` against a stored hash. With no hash (unknown account), the same work is done
/// against a fixed hash, so the answer takes as long either way.
pub fn verify(secret: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("airgrid-timing-equaliser").expect("hashing works"));
    let target = stored.unwrap_or(dummy);
    let Ok(parsed) = PasswordHash::new(target) else { return false };
    Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok() && stored.is_some()
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifies_only_the_right_secret() {
        let stored = super::hash("Correct-horse-1").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(super::verify("Correct-horse-1", Some(&stored)));
        assert!(!super::verify("wrong", Some(&stored)));
        assert!(!super::verify("airgrid-timing-equaliser", None), "no account never verifies");
    }
}
