//! An uploaded file, spooled to a temporary file as it arrives: imports of hundreds of megabytes never sit in
//! memory, and the SHA-256 of the bytes comes for free.

use std::fs::File;
use std::future::Future;
use std::io::{Seek, SeekFrom, Write};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use encoding_rs::Encoding;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::{Columns, Format, Rows};
use crate::error::ApiError;
use crate::http::BodyLimit;

/// Bytes gathered before each write to disk (off the async workers).
const WRITE_CHUNK: usize = 1024 * 1024;

/// A file uploaded as the request body, with the format its `Content-Type` announced.
#[derive(Debug)]
pub struct Upload {
    pub format: Format,
    /// The `charset` the client declared, if any.
    pub encoding: Option<&'static Encoding>,
    /// The bytes, rewound to the start; the file disappears when this is dropped.
    pub file: File,
    /// How many bytes were received.
    pub bytes: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

impl Upload {
    /// An upload read back from the object store (a queued import), with the format it came in.
    pub fn from_file(file: File, format: Format, encoding: Option<&'static Encoding>) -> Self {
        Self { format, encoding, file, bytes: 0, sha256: String::new() }
    }

    /// Reads the upload as rows (see [`super::read`]); call it on a blocking thread.
    pub fn rows(self, columns: &Columns, required: &[&str]) -> Result<Rows, ApiError> {
        super::read(self.file, self.format, self.encoding, columns, required)
    }
}

impl FromRequest for Upload {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(1 << 30, |l| l.upload);
        let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let declared_length =
            req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            let (format, encoding) = Format::from_content_type(content_type.as_deref())?;
            if declared_length.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge { limit: limit as usize });
            }
            let mut file = actix_web::web::block(tempfile::tempfile).await?.map_err(ApiError::internal)?;
            let (mut hash, mut bytes, mut pending) = (Sha256::new(), 0u64, BytesMut::new());
            loop {
                let chunk = payload.next().await;
                if let Some(chunk) = &chunk {
                    let chunk = chunk.as_ref().map_err(|e| ApiError::MalformedBody { detail: e.to_string() })?;
                    bytes += chunk.len() as u64;
                    if bytes > limit {
                        return Err(ApiError::PayloadTooLarge { limit: limit as usize });
                    }
                    hash.update(chunk);
                    pending.extend_from_slice(chunk);
                }
                if pending.len() >= WRITE_CHUNK || (chunk.is_none() && !pending.is_empty()) {
                    let data = pending.split().freeze();
                    file = actix_web::web::block(move || file.write_all(&data).map(|_| file))
                        .await?
                        .map_err(ApiError::internal)?;
                }
                if chunk.is_none() {
                    break;
                }
            }
            let file = actix_web::web::block(move || file.seek(SeekFrom::Start(0)).map(|_| file))
                .await?
                .map_err(ApiError::internal)?;
            Ok(Upload { format, encoding, file, bytes, sha256: format!("{:x}", hash.finalize()) })
        })
    }
}
