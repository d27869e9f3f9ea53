//! Logging setup and the per-request span that carries the request id.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber. A second call (tests start many apps) is a no-op.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// The id of the request being served; echoed in `X-Request-Id` and on every log line it causes.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// Takes the client's id when it is a sane token (so it cannot forge log lines), else makes one.
    fn from_request(req: &ServiceRequest) -> Self {
        let given = req.headers().get(&REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).filter(|v| {
            (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        });
        Self(given.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned))
    }
}

/// Middleware: one span per request, the request id in and out, and one line when it finishes.
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = RequestId::from_request(&req);
    let span = tracing::info_span!("request", request_id = %request_id.0, method = %req.method(), path = %req.path());
    req.extensions_mut().insert(request_id.clone());
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&request_id.0) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            route = res.request().match_pattern().as_deref().unwrap_or("-"),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        )
    });
    Ok(res)
}
