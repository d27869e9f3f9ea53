//! Reads a fire-point list (CSV, comma or tab, UTF-8 with or without BOM) by header name into parsed
//! detections, naming every bad row. Header names: FIRMS' own (both the MODIS and the VIIRS sets) and the
//! Chinese names satellite-centre lists use.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::fire::{self, Detection};
use crate::error::{ApiError, FieldError};

/// Canonical column → accepted header names (lower-cased).
const COLUMNS: &[(&str, &[&str])] = &[
    ("latitude", &["latitude", "lat", "纬度"]),
    ("longitude", &["longitude", "lon", "lng", "经度"]),
    ("brightness", &["brightness", "bright_ti4", "亮温"]),
    ("bright_t31", &["bright_t31", "bright_ti5"]),
    ("scan", &["scan"]),
    ("track", &["track"]),
    ("acq_date", &["acq_date"]),
    ("acq_time", &["acq_time"]),
    ("acquired_at", &["acquired_at", "监测时间", "观测时间", "时间"]),
    ("satellite", &["satellite", "卫星"]),
    ("confidence", &["confidence", "置信度"]),
    ("version", &["version"]),
    ("frp", &["frp", "火点强度"]),
    ("daynight", &["daynight"]),
    ("type", &["type"]),
];

/// A detection with the line it started on (the header is line 1).
pub struct Numbered {
    pub row: u64,
    pub detection: Detection,
}

/// Every row, parsed; 422 `import-invalid-file` when the body is no such list (an HTML error page, missing
/// columns), 422 `import-invalid-rows` naming every bad row otherwise.
pub fn detections(body: &[u8], source: &str, now: DateTime<Utc>, tz: Tz) -> Result<Vec<Numbered>, ApiError> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|_| invalid_file("the file is not UTF-8 text".into()))?;
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains('\t') { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| invalid_file(format!("the header cannot be read: {e}")))?.clone();
    let position: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|(_, names)| header.iter().position(|h| names.contains(&h.trim().to_lowercase().as_str())))
        .collect();
    let has = |name: &str| COLUMNS.iter().zip(&position).any(|((c, _), p)| *c == name && p.is_some());
    let mut missing: Vec<&str> = ["latitude", "longitude", "satellite"].into_iter().filter(|c| !has(c)).collect();
    if !(has("acquired_at") || (has("acq_date") && has("acq_time"))) {
        missing.push("acq_date, acq_time (or acquired_at)");
    }
    if !missing.is_empty() {
        let looks_html = first.trim_start().starts_with('<');
        let why = if looks_html { "the file is an HTML page, not a CSV list (FIRMS answers errors so)" } else { "" };
        return Err(invalid_file(format!(
            "{why}{}missing columns: {}",
            if why.is_empty() { "" } else { "; " },
            missing.join(", ")
        )));
    }
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| invalid_file(format!("the CSV cannot be read: {e}")))?;
        let row = record.position().map_or(0, |p| p.line());
        let get = |name: &str| {
            let i = COLUMNS.iter().position(|(c, _)| *c == name)?;
            position[i].and_then(|p| record.get(p)).map(str::trim).filter(|v| !v.is_empty())
        };
        match fire::parse_row(get, source, now, tz) {
            Ok(detection) => found.push(Numbered { row, detection }),
            Err(bad) => errors.extend(
                bad.into_iter().map(|(field, message)| FieldError::new(format!("rows[{row}].{field}"), message)),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Rule {
            slug: "import-invalid-rows",
            title: "Some rows of the file are not valid",
            detail: format!("{} fields of the file are not valid; nothing was imported", errors.len()),
            errors,
        });
    }
    Ok(found)
}

fn invalid_file(detail: String) -> ApiError {
    ApiError::Rule {
        slug: "import-invalid-file",
        title: "The file is not a list that can be imported",
        detail,
        errors: vec![],
    }
}
