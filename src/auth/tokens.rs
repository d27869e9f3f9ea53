//! Access tokens (JWT) and refresh tokens.
//!
//! Access tokens are verified strictly: the header's algorithm must be the configured one (no `none`, no
//! switching between HMAC and public-key algorithms), key pairs need a known `kid`, and `exp`, `nbf`,
//! `iss` and `aud` are checked with a 30 s leeway.

use std::collections::HashMap;
use std::path::Path;

use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{JwtAlgorithm, Settings};
use crate::db::{AnyConnection, BoxError};
use crate::with_inner;

/// What an access token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Account id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
    pub jti: String,
}

/// Clock difference tolerated between instances, in seconds (documented in the README).
const LEEWAY_SECS: u64 = 30;

/// The keys this instance signs and verifies with.
pub struct TokenKeys {
    algorithm: Algorithm,
    signing: EncodingKey,
    signing_kid: Option<String>,
    /// Verification keys by `kid` (`None` for the shared HMAC secret).
    verifying: HashMap<Option<String>, DecodingKey>,
    issuer: String,
    audience: String,
    pub access_ttl_secs: u64,
}

impl TokenKeys {
    /// The configured keys; without a configured secret, the shared one kept in the database.
    pub fn load(settings: &Settings, conn: &mut AnyConnection) -> Result<Self, BoxError> {
        let (algorithm, signing, signing_kid, verifying) = match settings.jwt_algorithm {
            JwtAlgorithm::HS256 => {
                let secret = match &settings.jwt_secret {
                    Some(secret) => secret.expose().as_bytes().to_vec(),
                    None => shared_secret(conn, &settings.data_dir)?,
                };
                let verifying = HashMap::from([(None, DecodingKey::from_secret(&secret)?)]);
                (Algorithm::HS256, EncodingKey::from_secret(&secret)?, None, verifying)
            }
            pair => {
                let read =
                    |path: &Path| std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()));
                let private = read(settings.jwt_private_key_file.as_deref().expect("validated"))?;
                let mut verifying = HashMap::new();
                for entry in settings.jwt_public_keys.as_deref().expect("validated").split(',') {
                    let (kid, path) = entry.split_once('=').ok_or("jwt_public_keys entries are kid=PEM-file")?;
                    let pem = read(Path::new(path.trim()))?;
                    let key = match pair {
                        JwtAlgorithm::EdDSA => DecodingKey::from_ed_pem(&pem)?,
                        _ => DecodingKey::from_rsa_pem(&pem)?,
                    };
                    verifying.insert(Some(kid.trim().to_owned()), key);
                }
                let (algorithm, signing) = match pair {
                    JwtAlgorithm::EdDSA => (Algorithm::EdDSA, EncodingKey::from_ed_pem(&private)?),
                    _ => (Algorithm::RS256, EncodingKey::from_rsa_pem(&private)?),
                };
                (algorithm, signing, settings.jwt_key_id.clone(), verifying)
            }
        };
        Ok(Self {
            algorithm,
            signing,
            signing_kid,
            verifying,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            access_ttl_secs: settings.access_token_ttl_secs,
        })
    }

    /// A signed access token for an account.
    pub fn issue(&self, account_id: &str) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp() as u64;
        let claims = Claims {
            sub: account_id.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + self.access_ttl_secs,
            nbf: now,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(self.algorithm);
        header.kid = self.signing_kid.clone();
        encode(&header, &claims, &self.signing)
    }

    /// Verifies a token; the error says why it was refused (for logs, not for clients).
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let header = decode_header(token).map_err(|e| format!("malformed token: {e}"))?;
        if header.alg != self.algorithm {
            return Err(format!("algorithm {:?} is not accepted", header.alg));
        }
        let kid = match (self.algorithm, header.kid) {
            // This service signs HS256 tokens without a kid: one that names a key was made elsewhere.
            (Algorithm::HS256, Some(_)) => return Err("unknown kid".into()),
            (Algorithm::HS256, None) => None,
            (_, kid) => Some(kid.ok_or("the token has no kid")?),
        };
        let key = self.verifying.get(&kid).ok_or("unknown kid")?;
        let mut validation = Validation::new(self.algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let claims = decode::<Claims>(token, key, &validation).map(|data| data.claims).map_err(|e| e.to_string())?;
        // The library's time checks are coarser than documented; hold tokens to exactly the leeway.
        let now = chrono::Utc::now().timestamp() as u64;
        if claims.exp + LEEWAY_SECS <= now {
            return Err("the token has expired".into());
        }
        if claims.nbf > now + LEEWAY_SECS {
            return Err("the token is not valid yet".into());
        }
        Ok(claims)
    }
}

/// The HMAC secret every instance on this database shares, made by the first one to start (never
/// logged). A secret an earlier version kept in the data directory is adopted, so its tokens stay valid.
fn shared_secret(conn: &mut AnyConnection, data_dir: &Path) -> Result<Vec<u8>, BoxError> {
    use crate::db::schema::service_secrets as secrets;
    let earlier = std::fs::read_to_string(data_dir.join("jwt-secret")).ok().filter(|s| s.len() >= 32);
    let candidate = earlier.unwrap_or_else(|| random_hex(48));
    let row = (secrets::name.eq("jwt"), secrets::value.eq(&candidate), secrets::created_at.eq(crate::db::now()));
    // Two instances starting together: the first insert wins, both read it back.
    let inserted = with_inner!(&mut *conn, |c| diesel::insert_into(secrets::table)
        .values(row)
        .on_conflict(secrets::name)
        .do_nothing()
        .execute(c))?;
    if inserted == 1 {
        tracing::info!("generated the token signing secret shared by every instance");
    }
    let value: String = secrets::table.filter(secrets::name.eq("jwt")).select(secrets::value).first(conn)?;
    Ok(value.into_bytes())
}

/// `bytes` random bytes from the operating system, hex-encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system provides randomness");
    hex(&buf)
}

/// SHA-256 of a high-entropy token, hex-encoded: what is stored instead of the token.
pub fn token_digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    const SECRET: &str = "unit-test-secret-unit-test-secret-0123456789";

    fn keys() -> TokenKeys {
        let settings = Settings { jwt_secret: Some(Secret::new(SECRET)), ..Settings::default() };
        let mut conn = AnyConnection::open(&crate::config::DatabaseUrl::Sqlite(":memory:".into())).unwrap();
        TokenKeys::load(&settings, &mut conn).unwrap()
    }

    fn token(expired_secs_ago: i64, kid: Option<&str>) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "a".into(),
            iss: "airgrid".into(),
            aud: "airgrid".into(),
            exp: (now - expired_secs_ago) as u64,
            nbf: (now - 900) as u64,
            iat: (now - 900) as u64,
            jti: "j".into(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_owned);
        encode(&header, &claims, &EncodingKey::from_secret(SECRET.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn expiry_is_held_to_the_documented_leeway() {
        let keys = keys();
        assert!(keys.verify(&token(-60, None)).is_ok(), "valid");
        assert!(keys.verify(&token(20, None)).is_ok(), "expired within the leeway");
        assert!(keys.verify(&token(31, None)).is_err(), "expired beyond the leeway");
        assert!(keys.verify(&token(45, None)).is_err(), "expired beyond the leeway");
    }

    #[test]
    fn hs256_tokens_naming_a_key_are_refused() {
        assert_eq!(keys().verify(&token(-60, Some("other"))).unwrap_err(), "unknown kid");
    }
}
