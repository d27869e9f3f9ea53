//! `multipart/form-data` uploads: text fields and one file, read as they stream with a size limit.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::error::ApiError;

/// A read form: its text fields by name, and the part named `file` (absent or empty: `None`).
#[derive(Debug, Default)]
pub struct Form {
    pub fields: BTreeMap<String, String>,
    pub file: Option<Bytes>,
}

impl Form {
    /// A text field, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

/// Reads the form, stopping with 413 as soon as a part passes `limit` bytes.
pub async fn read(mut form: Multipart, limit: usize) -> Result<Form, ApiError> {
    let mut read = Form::default();
    while let Some(part) = form.next().await {
        let mut part = part.map_err(|e| ApiError::MalformedBody { detail: format!("multipart: {e}") })?;
        let name = part.content_disposition().and_then(|d| d.get_name()).unwrap_or_default().to_owned();
        let mut bytes = BytesMut::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| ApiError::MalformedBody { detail: format!("multipart: {e}") })?;
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => read.file = Some(bytes.freeze()).filter(|f| !f.is_empty()),
            _ => drop(read.fields.insert(name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(read)
}
