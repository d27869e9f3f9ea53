//! Reading uploaded tables for bulk imports: CSV mapped by header (with the Chinese column names that station
//! software and Excel exports use) or NDJSON, in any encoding a Chinese office sends, as a stream of numbered
//! records. Nothing here knows what a row means: each capability maps [`Record`]s to its own rows and decides
//! whether a bad row fails the file or is reported beside the good ones.

mod decode;
mod upload;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor, Read};

use encoding_rs::Encoding;
use serde_json::Value;

pub use upload::Upload;

use crate::error::{ApiError, FieldError};

/// The longest NDJSON line accepted (1 MiB): a row, not a file.
const MAX_LINE_BYTES: usize = 1024 * 1024;

/// An accepted file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma- or tab-separated values with a header line.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

/// The media types an import accepts, for `415` answers and the OpenAPI document.
pub const MEDIA_TYPES: &str =
    "text/csv, text/tab-separated-values, application/x-ndjson or application/jsonl (charset= honoured for CSV)";

impl Format {
    /// The format and declared encoding of a `Content-Type`.
    pub fn from_content_type(content_type: Option<&str>) -> Result<(Self, Option<&'static Encoding>), ApiError> {
        let raw = content_type.unwrap_or_default();
        let mut parts = raw.split(';');
        let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let format = match essence.as_str() {
            "text/csv" | "application/csv" | "text/tab-separated-values" => Self::Csv,
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                Self::Ndjson
            }
            _ => {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "expected a file as {MEDIA_TYPES}, got {}",
                    if raw.is_empty() { "no Content-Type" } else { raw }
                )));
            }
        };
        let charset = parts.filter_map(|p| p.split_once('=')).find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"));
        let encoding = match charset {
            None => None,
            Some((_, label)) => Some(decode::named(label).ok_or_else(|| {
                ApiError::UnsupportedMediaType(format!(
                    "charset {} is not an encoding this service reads",
                    label.trim()
                ))
            })?),
        };
        Ok((format, encoding))
    }
}

/// The fields a capability reads and the column names each is known by. Names are compared loosely: case,
/// spaces, `_` and `-` do not matter, and full-width brackets equal ASCII ones.
#[derive(Debug, Clone)]
pub struct Columns {
    fields: Vec<&'static str>,
    by_name: HashMap<String, usize>,
}

impl Columns {
    /// Fields with their aliases; each field is also known by its own name.
    pub fn new(fields: &[(&'static str, &[&str])]) -> Self {
        let mut columns = Self { fields: Vec::new(), by_name: HashMap::new() };
        for (field, aliases) in fields {
            columns.fields.push(field);
            let index = columns.fields.len() - 1;
            for name in std::iter::once(field).chain(aliases.iter()) {
                columns.by_name.insert(normalise(name), index);
            }
        }
        columns
    }

    /// One more column name for a field (a client's own mapping); an unknown field is refused.
    pub fn alias(&mut self, field: &str, column: &str) -> Result<(), String> {
        let index = self.fields.iter().position(|f| *f == field).ok_or_else(|| format!("unknown field {field}"))?;
        self.by_name.insert(normalise(column), index);
        Ok(())
    }

    /// The fields, in the order they were declared.
    pub fn fields(&self) -> &[&'static str] {
        &self.fields
    }

    fn field_of(&self, column: &str) -> Option<usize> {
        self.by_name.get(&normalise(column)).copied()
    }
}

fn normalise(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// One row of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The 1-based line of the file where the row starts (a CSV header is line 1).
    pub row: u64,
    fields: std::sync::Arc<[&'static str]>,
    values: Vec<Option<String>>,
}

impl Record {
    /// The value of a field, trimmed; an empty cell, a JSON `null` and a missing column are all `None`.
    pub fn text(&self, field: &str) -> Option<&str> {
        let index = self.fields.iter().position(|f| *f == field)?;
        self.values[index].as_deref()
    }

    /// An error about one field of this row.
    pub fn error(&self, field: &str, message: impl Into<String>) -> FieldError {
        FieldError::in_row(self.row, field, message)
    }
}

/// The rows of a file, in order. A row the reader itself cannot read (a CSV line with more cells than the
/// header, an NDJSON line that is not an object) is an `Err` with its row number, and reading goes on.
pub struct Rows {
    fields: std::sync::Arc<[&'static str]>,
    inner: Inner,
    /// Header columns that map to no field, for the import report.
    pub ignored_columns: Vec<String>,
}

enum Inner {
    /// `record` is reused line after line.
    Csv {
        reader: csv::Reader<Box<dyn Read + Send>>,
        positions: Vec<Option<usize>>,
        record: csv::StringRecord,
    },
    Ndjson {
        lines: BufReader<Box<dyn Read + Send>>,
        line: u64,
        columns: Columns,
    },
}

impl Rows {
    /// Whether the file has a column for `field`. Always true for NDJSON, which has no header: there each row
    /// is checked on its own.
    pub fn has_column(&self, field: &str) -> bool {
        match &self.inner {
            Inner::Csv { positions, .. } => {
                self.fields.iter().position(|f| *f == field).is_some_and(|i| positions.contains(&Some(i)))
            }
            Inner::Ndjson { .. } => true,
        }
    }
}

/// Starts reading a file. Refused as a whole (422 `import-invalid-file`) when it is not a table of this
/// format at all (an HTML error page, JSON where CSV was announced), or its header lacks a `required` field.
pub fn read<R: Read + Send + 'static>(
    input: R,
    format: Format,
    encoding: Option<&'static Encoding>,
    columns: &Columns,
    required: &[&str],
) -> Result<Rows, ApiError> {
    let fields: std::sync::Arc<[&'static str]> = columns.fields().into();
    match format {
        Format::Csv => {
            let text = decode::utf8_reader(input, encoding).map_err(unreadable)?;
            let mut text = BufReader::new(text);
            let mut header = Vec::new();
            text.read_until(b'\n', &mut header).map_err(unreadable)?;
            let first = String::from_utf8_lossy(&header).trim().to_owned();
            if first.is_empty() {
                return Err(invalid_file("the file is empty: a CSV file starts with a header line"));
            }
            if first.starts_with('<') || first.starts_with('{') || first.starts_with('[') {
                let looks = if first.starts_with('<') { "an HTML or XML page" } else { "JSON" };
                return Err(invalid_file(format!("the file is {looks}, not CSV (it starts with {:?})", clip(&first))));
            }
            let delimiter = if first.matches('\t').count() > first.matches(',').count() { b'\t' } else { b',' };
            let body: Box<dyn Read + Send> = Box::new(Cursor::new(header).chain(text));
            let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(body);
            let headers = reader.headers().map_err(|e| invalid_file(format!("the header line: {e}")))?.clone();
            let positions: Vec<Option<usize>> = headers.iter().map(|h| columns.field_of(h)).collect();
            let mut seen = vec![false; fields.len()];
            for (name, position) in headers.iter().zip(&positions) {
                if let Some(i) = position {
                    if seen[*i] {
                        return Err(invalid_file(format!(
                            "two columns name the field {}: one is {name:?}",
                            fields[*i]
                        )));
                    }
                    seen[*i] = true;
                }
            }
            let missing: Vec<&str> =
                required.iter().copied().filter(|r| !fields.iter().zip(&seen).any(|(f, s)| f == r && *s)).collect();
            if !missing.is_empty() {
                return Err(invalid_file(format!(
                    "the header lacks required column(s) {}; it has {}",
                    missing.join(", "),
                    clip(&headers.iter().collect::<Vec<_>>().join(", "))
                )));
            }
            let ignored_columns =
                headers.iter().zip(&positions).filter(|(_, p)| p.is_none()).map(|(h, _)| h.to_owned()).collect();
            Ok(Rows {
                fields,
                inner: Inner::Csv { reader, positions, record: csv::StringRecord::new() },
                ignored_columns,
            })
        }
        Format::Ndjson => {
            // JSON is UTF-8 (RFC 8259); a BOM is tolerated.
            let text = decode::utf8_reader(input, Some(encoding_rs::UTF_8)).map_err(unreadable)?;
            let lines = BufReader::new(text);
            Ok(Rows {
                fields,
                inner: Inner::Ndjson { lines, line: 0, columns: columns.clone() },
                ignored_columns: vec![],
            })
        }
    }
}

impl Iterator for Rows {
    type Item = Result<Record, FieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        let fields = self.fields.clone();
        let mut values = vec![None; fields.len()];
        match &mut self.inner {
            Inner::Csv { reader, positions, record } => loop {
                let row = reader.position().line() + 1;
                match reader.read_record(record) {
                    Ok(false) => return None,
                    Err(e) => return Some(Err(FieldError::in_row(row, "", format!("cannot read this line: {e}")))),
                    Ok(true) => {}
                }
                let row = record.position().map_or(row, |p| p.line());
                if record.iter().all(|cell| cell.trim().is_empty()) {
                    continue; // Excel leaves empty lines at the end
                }
                if record.len() > positions.len() {
                    let message = format!("has {} cells, the header names {}", record.len(), positions.len());
                    return Some(Err(FieldError::in_row(row, "", message)));
                }
                for (cell, position) in record.iter().zip(positions.iter()) {
                    if let Some(i) = position {
                        values[*i] = Some(cell.trim()).filter(|c| !c.is_empty()).map(str::to_owned);
                    }
                }
                return Some(Ok(Record { row, fields, values }));
            },
            Inner::Ndjson { lines, line, columns } => loop {
                let mut buffer = Vec::new();
                *line += 1;
                let read = (&mut *lines).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buffer);
                let row = *line;
                match read {
                    Ok(0) => return None,
                    Err(e) => return Some(Err(FieldError::in_row(row, "", format!("cannot read this line: {e}")))),
                    Ok(_) if buffer.len() > MAX_LINE_BYTES => {
                        // Skip the rest of the overlong line so the next one starts clean.
                        let mut rest = Vec::new();
                        let _ = lines.read_until(b'\n', &mut rest);
                        return Some(Err(FieldError::in_row(row, "", "the line is longer than 1 MiB")));
                    }
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&buffer);
                if text.trim().is_empty() {
                    continue;
                }
                let object = match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(object)) => object,
                    Ok(_) => return Some(Err(FieldError::in_row(row, "", "each line must be a JSON object"))),
                    Err(e) => return Some(Err(FieldError::in_row(row, "", format!("not JSON: {e}")))),
                };
                for (key, value) in object {
                    if let Some(i) = columns.field_of(&key) {
                        values[i] = match value {
                            Value::Null => None,
                            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
                            other => Some(other.to_string()),
                        };
                    }
                }
                return Some(Ok(Record { row, fields, values }));
            },
        }
    }
}

/// Checks the `source` of an import: 2–32 of a–z, 0–9, `_` and `-`. It is part of each record's identity,
/// so one source's records never collide with another's.
pub fn check_source(source: &str) -> Result<(), ApiError> {
    let valid = (2..=32).contains(&source.len())
        && source.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(ApiError::validation(vec![FieldError::new("source", "must be 2–32 of a–z, 0–9, _ and -")]))
    }
}

/// 422 `import-invalid-file`: the file as a whole cannot be imported.
pub fn invalid_file(detail: impl Into<String>) -> ApiError {
    ApiError::Rule {
        slug: "import-invalid-file",
        title: "The file cannot be imported",
        detail: detail.into(),
        errors: vec![],
    }
}

/// 422 `import-invalid-rows`: rows of the file are not valid; each error names its row and field.
pub fn invalid_rows(errors: Vec<FieldError>) -> ApiError {
    let rows = errors.iter().filter_map(|e| e.row).collect::<std::collections::BTreeSet<_>>().len();
    let detail = match rows {
        1 => "1 row of the file is not valid; nothing was imported".to_owned(),
        n => format!("{n} rows of the file are not valid; nothing was imported"),
    };
    ApiError::Rule { slug: "import-invalid-rows", title: "Rows of the file are not valid", detail, errors }
}

fn unreadable(e: std::io::Error) -> ApiError {
    invalid_file(format!("the file cannot be read: {e}"))
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
