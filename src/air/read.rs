//! Reads hourly readings by header name (the field names, or the Chinese columns station software exports)
//! into parsed station-hours, naming every bad row.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::domain::aqi::Pollutant;
use crate::error::{ApiError, FieldError};
use crate::import::{Columns, Upload};

static COLUMNS: LazyLock<Columns> = LazyLock::new(|| {
    Columns::new(&[
        ("station_code", &["station", "站点编码", "站点代码", "监测点编码", "点位编码"]),
        ("time", &["时间", "监测时间", "日期时间", "数据时间"]),
        ("so2", &["二氧化硫", "SO2(µg/m³)", "SO2(μg/m3)"]),
        ("no2", &["二氧化氮", "NO2(µg/m³)", "NO2(μg/m3)"]),
        ("co", &["一氧化碳", "CO(mg/m³)", "CO(mg/m3)"]),
        ("o3", &["臭氧", "O3(µg/m³)", "O3(μg/m3)"]),
        ("pm10", &["PM10(µg/m³)", "PM10(μg/m3)"]),
        ("pm2_5", &["pm2.5", "pm25", "细颗粒物", "PM2.5(µg/m³)", "PM2.5(μg/m3)"]),
        ("valid", &["有效", "validity", "有效性"]),
    ])
});

/// The six pollutants in the order readings carry them.
pub const POLLUTANTS: [(Pollutant, &str); 6] = [
    (Pollutant::So2, "so2"),
    (Pollutant::No2, "no2"),
    (Pollutant::Co, "co"),
    (Pollutant::O3, "o3"),
    (Pollutant::Pm10, "pm10"),
    (Pollutant::Pm25, "pm2_5"),
];

/// Above these no station measures (µg/m³; CO mg/m³): a unit slip or a broken analyser, not air.
fn ceiling(p: Pollutant) -> Decimal {
    match p {
        Pollutant::Co => Decimal::from(150),
        _ => Decimal::from(10_000),
    }
}

/// One station-hour of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub row: u64,
    pub station: String,
    /// The start of the hour, UTC.
    pub hour_start: DateTime<Utc>,
    /// SO2, NO2, CO, O3, PM10, PM2.5; `None` missing.
    pub values: [Option<Decimal>; 6],
    pub valid: bool,
}

/// Every row, parsed, with what is wrong with the others (call it on a blocking thread); 422
/// `import-invalid-file` for something that is no list of readings.
pub fn readings(upload: Upload, now: DateTime<Utc>, tz: Tz) -> Result<(Vec<Reading>, Vec<FieldError>), ApiError> {
    let rows = upload.rows(&COLUMNS, &["station_code", "time"])?;
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for record in rows {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match parse(|f| record.text(f), now, tz) {
            Ok((station, hour_start, values, valid)) => {
                found.push(Reading { row: record.row, station, hour_start, values, valid })
            }
            Err(bad) => errors.extend(bad.into_iter().map(|(field, message)| record.error(&field, message))),
        }
    }
    Ok((found, errors))
}

type Parsed = (String, DateTime<Utc>, [Option<Decimal>; 6], bool);

/// One row: the station, the hour (`time` is the end of the hour, as the national platform publishes it:
/// `01:00` is the mean of 00:00–01:00; without a zone it is Beijing time), the values and the flag.
pub fn parse<'a>(
    field: impl Fn(&str) -> Option<&'a str>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Parsed, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut bad = |f: &str, m: &str| errors.push((f.to_owned(), m.to_owned()));
    let station = field("station_code").unwrap_or_default().to_owned();
    if station.is_empty() || station.chars().count() > 40 {
        bad("station_code", "is required (at most 40 characters)");
    }
    let end = match field("time").map(|t| crate::domain::time::parse(t, tz)) {
        Some(Ok(t)) if t.minute() != 0 || t.second() != 0 || t.nanosecond() != 0 => {
            bad("time", "must be a whole hour (the end of the hour measured)");
            None
        }
        Some(Ok(t)) if t > now => {
            bad("time", "is in the future");
            None
        }
        Some(Ok(t)) => Some(t),
        Some(Err(m)) => {
            bad("time", &m);
            None
        }
        None => {
            bad("time", "is required");
            None
        }
    };
    let mut values = [None; 6];
    for (i, (pollutant, name)) in POLLUTANTS.iter().enumerate() {
        let Some(raw) = field(name).filter(|v| !matches!(*v, "-" | "—" | "--" | "NA" | "N/A" | "null")) else {
            continue;
        };
        match raw.parse::<Decimal>() {
            Ok(v) if v.is_sign_negative() => bad(name, "must not be negative"),
            Ok(v) if v > ceiling(*pollutant) => {
                bad(name, &format!("must be at most {} {}", ceiling(*pollutant), pollutant.unit()))
            }
            Ok(v) => values[i] = Some(v),
            Err(_) => bad(name, &format!("is not a number in {}", pollutant.unit())),
        }
    }
    let valid = match field("valid").map(str::to_ascii_lowercase).as_deref() {
        None | Some("1" | "true" | "yes" | "y" | "是" | "有效") => true,
        Some("0" | "false" | "no" | "n" | "否" | "无效") => false,
        Some(_) => {
            bad("valid", "must be true or false (1/0, 是/否)");
            true
        }
    };
    match end {
        Some(end) if errors.is_empty() => Ok((station, end - Duration::hours(1), values, valid)),
        _ => Err(errors),
    }
}

/// The row errors of duplicate hours in one file that disagree.
pub fn conflicting_duplicates(readings: &[Reading]) -> Vec<FieldError> {
    let mut first = std::collections::HashMap::new();
    let mut errors = Vec::new();
    for r in readings {
        match first.get(&(&r.station, r.hour_start)) {
            Some(earlier) if *earlier != (&r.values, r.valid) => errors.push(FieldError::in_row(
                r.row,
                "time",
                "the file holds this station and hour already, with other values",
            )),
            Some(_) => {}
            None => drop(first.insert((&r.station, r.hour_start), (&r.values, r.valid))),
        }
    }
    errors
}
