//! Reads a fire-point list by header name into parsed detections, naming every bad row. Header names:
//! FIRMS' own (both the MODIS and the VIIRS sets) and the Chinese names satellite-centre lists use.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::fire::{self, Detection};
use crate::error::ApiError;
use crate::import::{self, Columns, Upload};

static COLUMNS: LazyLock<Columns> = LazyLock::new(|| {
    Columns::new(&[
        ("latitude", &["lat", "纬度"]),
        ("longitude", &["lon", "lng", "经度"]),
        ("brightness", &["bright_ti4", "亮温"]),
        ("bright_t31", &["bright_ti5"]),
        ("scan", &[]),
        ("track", &[]),
        ("acq_date", &[]),
        ("acq_time", &[]),
        ("acquired_at", &["监测时间", "观测时间", "时间"]),
        ("satellite", &["卫星"]),
        ("confidence", &["置信度"]),
        ("version", &[]),
        ("frp", &["火点强度"]),
        ("daynight", &[]),
        ("type", &[]),
    ])
});

/// A detection with the line it started on (the header is line 1).
pub struct Numbered {
    pub row: u64,
    pub detection: Detection,
}

/// Every row, parsed (call it on a blocking thread); 422 `import-invalid-file` when the upload is no such
/// list (an HTML error page, missing columns), 422 `import-invalid-rows` naming every bad row otherwise.
pub fn detections(upload: Upload, source: &str, now: DateTime<Utc>, tz: Tz) -> Result<Vec<Numbered>, ApiError> {
    let rows = upload.rows(&COLUMNS, &["latitude", "longitude", "satellite"])?;
    if !(rows.has_column("acquired_at") || (rows.has_column("acq_date") && rows.has_column("acq_time"))) {
        return Err(import::invalid_file("the header lacks required column(s) acq_date and acq_time (or acquired_at)"));
    }
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
        match fire::parse_row(|field| record.text(field), source, now, tz) {
            Ok(detection) => found.push(Numbered { row: record.row, detection }),
            Err(bad) => errors.extend(bad.into_iter().map(|(field, message)| record.error(field, message))),
        }
    }
    if !errors.is_empty() {
        return Err(import::invalid_rows(errors));
    }
    Ok(found)
}
