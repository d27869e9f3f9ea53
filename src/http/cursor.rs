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

/// The position of a record in a list ordered by a time and then its id: `time|id`.
pub fn timed(at: chrono::NaiveDateTime, id: &str) -> String {
    format!("{}|{id}", at.format("%Y-%m-%dT%H:%M:%S%.6f"))
}

/// The time and id a [`timed`] position stands for.
pub fn parse_timed(position: String) -> Result<(chrono::NaiveDateTime, String), ApiError> {
    let bad = || ApiError::InvalidParameter { detail: "cursor: not a cursor this service issued".into() };
    let (at, id) = position.split_once('|').ok_or_else(bad)?;
    let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| bad())?;
    Ok((at, id.to_owned()))
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

    #[test]
    fn timed_positions_round_trip() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap().and_hms_micro_opt(9, 30, 0, 250).unwrap();
        assert_eq!(super::parse_timed(super::timed(at, "019a")).unwrap(), (at, "019a".to_owned()));
        assert!(super::parse_timed("2026-06-01".into()).is_err());
    }
}
