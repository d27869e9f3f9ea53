//! CSV downloads streamed page by page, never built in memory. The first page is read before the answer
//! starts, so a bad filter or an out-of-scope cell is still a problem: after the first byte it could not be.

use std::future::Future;
use std::rc::Rc;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

/// Rows read per database round trip.
pub const EXPORT_PAGE: i64 = 500;

/// Options every CSV export takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Start with a UTF-8 byte-order mark, so Excel opens Chinese text correctly.
    #[serde(default)]
    pub bom: bool,
}

/// One export: a file name, a header row, and how to read pages and write a record as fields.
pub struct CsvExport<R, K> {
    pub filename: &'static str,
    pub columns: &'static [&'static str],
    /// The keyset position after a row, handed to the next page's read.
    pub after: fn(&R) -> K,
}

impl<R: 'static, K: 'static> CsvExport<R, K> {
    /// Streams every page `read(after, EXPORT_PAGE)` returns, each row written by `record`.
    pub async fn respond<F, Fut, W, I>(
        self,
        options: &ExportQuery,
        read: F,
        record: W,
    ) -> Result<HttpResponse, ApiError>
    where
        F: Fn(Option<K>, i64) -> Fut + 'static,
        Fut: Future<Output = Result<Vec<R>, ApiError>> + 'static,
        W: Fn(&R) -> I + 'static,
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let first = read(None, EXPORT_PAGE).await?;
        let mut start = if options.bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        start.extend(lines([self.columns]));
        let (read, record, after) = (Rc::new(read), Rc::new(record), self.after);
        let pages = futures_util::stream::unfold(Some(first), move |rows| {
            let (read, record) = (read.clone(), record.clone());
            async move {
                let rows = rows.filter(|r| !r.is_empty())?;
                let chunk = lines(rows.iter().map(|r| record(r)));
                let next = if rows.len() as i64 == EXPORT_PAGE {
                    match read(rows.last().map(after), EXPORT_PAGE).await {
                        Ok(rows) => Some(rows),
                        Err(e) => {
                            // The client sees a short file; the log says why.
                            tracing::error!(error = %e, "CSV export stopped");
                            None
                        }
                    }
                } else {
                    None
                };
                Some((Ok::<_, actix_web::Error>(Bytes::from(chunk)), next))
            }
        });
        let body = futures_util::stream::once(async move { Ok(Bytes::from(start)) }).chain(pages);
        let disposition = format!("attachment; filename=\"{}\"", self.filename);
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
            ))
            .streaming(body))
    }
}

/// Records as CSV lines, quoted as needed by the `csv` crate.
fn lines<R>(records: impl IntoIterator<Item = R>) -> Vec<u8>
where
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    for r in records {
        // Writing to memory cannot fail.
        let _ = writer.write_record(r);
    }
    writer.into_inner().unwrap_or_default()
}
