//! Cursor pagination: `?limit=&cursor=` in, `{items, next_cursor}` and a `Link: rel="next"` header out.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::cursor;
use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// Paging parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000, example = 100)]
    pub limit: Option<i64>,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit.unwrap_or(DEFAULT_LIMIT) {
            n @ 1..=MAX_LIMIT => Ok(n),
            _ => Err(ApiError::validation(vec![FieldError::new("limit", "must be between 1 and 1000")])),
        }
    }

    /// The position the cursor stands for (the sort key of the previous page's last item).
    pub fn after(&self) -> Result<Option<String>, ApiError> {
        self.cursor.as_deref().map(cursor::decode).transpose()
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page, in a stable order.
    pub items: Vec<T>,
    /// Cursor for the next page, or null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only proves there is a next page.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Self {
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|row| cursor::encode(&cursor_of(row)))
        } else {
            None
        };
        Self { items: rows, next_cursor }
    }

    /// The same page with its items converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

impl<T: Serialize> Page<T> {
    /// The JSON response, with a `Link` header to the next page when there is one.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let mut res = HttpResponse::Ok();
        if let Some(link) = self.next_cursor.as_deref().and_then(|c| next_link(req, "cursor", c)) {
            res.insert_header((header::LINK, link));
        }
        res.json(self)
    }
}

/// `<path?…&param=cursor>; rel="next"`, keeping the other query parameters.
pub fn next_link(req: &HttpRequest, param: &str, cursor: &str) -> Option<HeaderValue> {
    let href = next_href(req, param, cursor);
    HeaderValue::from_str(&format!("<{href}>; rel=\"next\"")).ok()
}

pub fn next_href(req: &HttpRequest, param: &str, cursor: &str) -> String {
    let mut query: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != param)
        .collect();
    query.push((param.into(), cursor.into()));
    format!("{}?{}", req.path(), serde_urlencoded::to_string(&query).unwrap_or_default())
}
