//! Opaque cursors: clients hand back what they were given and must not build or parse it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

pub fn encode(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position)
}

/// The position a cursor stands for; 400 for anything this service did not issue.
pub fn decode(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::InvalidParameter { detail: "cursor: not a cursor this service issued".into() })
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip_and_refusal() {
        let c = super::encode("210102/42");
        assert!(!c.contains('/'));
        assert_eq!(super::decode(&c).unwrap(), "210102/42");
        assert!(super::decode("%%%").is_err());
    }
}
