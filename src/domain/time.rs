//! Times as Chinese systems send them: RFC 3339 with a zone, or a local time without one, which means the
//! city's time (Beijing time), in the forms Excel and hotline platforms export.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, SubsecRound, TimeZone, Utc};
use chrono_tz::Tz;

/// Local forms accepted when no zone is given.
const LOCAL_FORMATS: [&str; 6] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
];

/// Parses a time: with a zone (`2026-12-01T01:30:00Z`, `…+08:00`) as given, without one
/// (`2026-12-01 09:30:00`, `2026/12/1 9:30`) in `tz`. Truncated to microseconds, as stored.
pub fn parse(raw: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc).trunc_subsecs(6));
    }
    let local = LOCAL_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .or_else(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
        .ok_or_else(|| {
            "must be a time such as 2026-12-01T09:30:00+08:00, or 2026-12-01 09:30:00 (city time)".to_owned()
        })?;
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc).trunc_subsecs(6)),
        LocalResult::None => Err("does not exist in the city's time zone (a clock change skips it)".into()),
    }
}

/// The first instant of a city-local day, for periods given as days.
pub fn day_start(day: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&day.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc))
}

/// The instants a period of city-local days covers, from the first moment of `from` to the first moment
/// after `to`; at most 366 days, so one request cannot ask for years of records.
pub fn days(from: NaiveDate, to: NaiveDate, tz: Tz) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let bad = || "must be on or after from, at most 366 days later".to_owned();
    if to < from || (to - from).num_days() > 366 {
        return Err(bad());
    }
    day_start(from, tz).zip(to.succ_opt().and_then(|d| day_start(d, tz))).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_kept_and_local_times_are_beijing_time() {
        let tz = chrono_tz::Asia::Shanghai;
        let utc = "2026-12-01T01:30:00Z".parse::<DateTime<Utc>>().unwrap();
        for raw in [
            "2026-12-01T01:30:00Z",
            "2026-12-01T09:30:00+08:00",
            "2026-12-01 09:30:00",
            "2026-12-01T09:30:00",
            "2026-12-01 09:30",
            "2026/12/01 09:30:00",
            "2026/12/1 9:30",
            " 2026-12-01 09:30:00.000 ",
        ] {
            assert_eq!(parse(raw, tz), Ok(utc), "{raw}");
        }
        assert_eq!(parse("2026-12-01", tz).unwrap(), "2026-11-30T16:00:00Z".parse::<DateTime<Utc>>().unwrap());
        for bad in ["", "yesterday", "2026-13-01 00:00:00", "1764552600"] {
            assert!(parse(bad, tz).is_err(), "{bad}");
        }
    }
}
