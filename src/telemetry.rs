//! Logging setup and the per-request span that carries the request id.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::{Instrument, Level};
use tracing_subscriber::filter::{LevelFilter, filter_fn};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Registry};

use crate::config::{LogFormat, Settings};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber. A second call (tests start many apps) is a no-op.
pub fn init(settings: &Settings) {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing::subscriber::set_global_default(subscriber(settings, std::io::stderr, ansi));
}

/// The subscriber: the configured filter and format, with client noise lowered (see [`ClientNoise`]).
fn subscriber<W>(settings: &Settings, writer: W, ansi: bool) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Clone + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let debug = filter.max_level_hint().is_some_and(|most| most >= LevelFilter::DEBUG);
    let not_noise = filter_fn(|meta| !is_client_noise(meta));
    let fmt = tracing_subscriber::fmt::layer().with_writer(writer.clone()).with_ansi(ansi);
    let json = settings.log_format == LogFormat::Json;
    let fmt: Box<dyn Layer<Registry> + Send + Sync> = if json {
        fmt.json().flatten_event(true).with_current_span(true).with_span_list(false).with_filter(not_noise).boxed()
    } else {
        fmt.with_filter(not_noise).boxed()
    };
    let noise = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .event_format(ClientNoise { json })
        .with_filter(filter_fn(move |meta| debug && is_client_noise(meta)));
    tracing_subscriber::registry().with(fmt).with(noise).with(filter)
}

/// actix-http logs at ERROR what a client did wrong on its connection (malformed HTTP, a reset mid-request),
/// before any handler runs. That is the client's doing, and anonymous clients could flood the error log with
/// it, so those lines are written at DEBUG under `airgrid::http` instead, when the filter shows DEBUG.
struct ClientNoise {
    json: bool,
}

const CLIENT_NOISE_TARGET: &str = "actix_http::h1::dispatcher";

fn is_client_noise(meta: &tracing::Metadata<'_>) -> bool {
    meta.target() == CLIENT_NOISE_TARGET && *meta.level() == Level::ERROR
}

impl<S, N> FormatEvent<S, N> for ClientNoise
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut message = String::from("connection error caused by the client: ");
        event.record(&mut Message(&mut message));
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        if self.json {
            let line =
                serde_json::json!({"timestamp": now, "level": "DEBUG", "target": "airgrid::http", "message": message});
            writeln!(writer, "{line}")
        } else {
            writeln!(writer, "{now} DEBUG airgrid::http: {message}")
        }
    }
}

/// Collects an event's fields as text.
struct Message<'a>(&'a mut String);

impl tracing::field::Visit for Message<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ =
            if field.name() == "message" { write!(self.0, "{value:?}") } else { write!(self.0, " {field}={value:?}") };
    }
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(filter: &str, emit: impl FnOnce()) -> String {
        let captured = Captured::default();
        let settings = Settings { log_filter: filter.into(), log_format: LogFormat::Json, ..Settings::default() };
        let writer = captured.clone();
        tracing::subscriber::with_default(subscriber(&settings, move || writer.clone(), false), emit);
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn malformed_http_is_logged_at_debug_not_error() {
        let noise = || tracing::error!(target: "actix_http::h1::dispatcher", "stream error: request parse error: invalid Header provided");
        assert_eq!(logged("info", noise), "", "hidden at the default level");
        let debug = logged("info,airgrid=debug", noise);
        assert!(debug.contains("\"level\":\"DEBUG\"") && debug.contains("invalid Header provided"), "{debug}");
        assert!(!debug.contains("ERROR"), "{debug}");
        // The service's own errors stay errors.
        let own = logged("info", || tracing::error!(target: "airgrid::error", "request failed"));
        assert!(own.contains("\"level\":\"ERROR\""), "{own}");
    }
}
