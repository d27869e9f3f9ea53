//! `Idempotency-Key` for every POST that creates or changes state, as one middleware (the semantics of
//! the IETF httpapi idempotency-key draft): the same key and body from the same caller answer the first
//! response again, marked `Idempotent-Replayed: true`; the same key with another request answers 422;
//! while the first is still running, 409. Keys live in the database, so they hold across instances and
//! restarts, for `idempotency_ttl_secs`; expired keys are purged by every instance.
//!
//! Answers that depend on more than the request are not kept, so a retry runs again: 401, 403, 408, 429
//! and every 5xx. One window remains: if an instance dies after the change committed and before its answer
//! was stored, a retry waits out the lease (`idempotency_lease_secs`) and then runs again.

pub mod store;

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::auth::caller::bearer_token;
use crate::auth::tokens::TokenKeys;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::http::BodyLimit;
use store::{Claim, Stored};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// POSTs that do not change state or must never be replayed (tokens).
const EXEMPT: [&str; 3] = ["/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout"];

/// Headers of an answer worth replaying with it.
const KEPT_HEADERS: [HeaderName; 5] =
    [header::CONTENT_TYPE, header::LOCATION, header::ETAG, header::LINK, header::CACHE_CONTROL];

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(raw_key) = req.headers().get(HEADER).cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if req.method() != Method::POST || !req.path().starts_with("/api/") || EXEMPT.contains(&req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // The key belongs to the account, not the token: a phone that refreshed its token may retry.
    let keys = req.app_data::<Data<TokenKeys>>().cloned();
    let account = bearer_token(req.headers()).zip(keys).and_then(|(t, k)| k.verify(&t).ok()).map(|c| c.sub);
    let Some(account) = account else {
        return Ok(next.call(req).await?.map_into_boxed_body()); // the handler answers 401
    };
    let key = match parse_key(&raw_key) {
        Ok(key) => key,
        Err(e) => return Ok(req.into_response(e.error_response())),
    };
    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(e) => return Ok(req.into_response(e.error_response())),
    };
    let fingerprint = fingerprint(&req, &body);
    req.set_payload(Payload::from(body));

    let db = req.app_data::<Data<Db>>().cloned().expect("the database is app data");
    let settings = req.app_data::<Data<Settings>>().cloned().expect("settings are app data");
    let (account_c, key_c) = (account.clone(), key.clone());
    let claim = db
        .transaction(move |conn| {
            let now = db::now();
            let lease = now + chrono::Duration::seconds(settings.idempotency_lease_secs as i64);
            let expires = now + chrono::Duration::seconds(settings.idempotency_ttl_secs as i64);
            Ok(store::claim(conn, &account_c, &key_c, &fingerprint, now, lease, expires)?)
        })
        .await;
    match claim {
        Err(e) => Ok(req.into_response(e.error_response())),
        Ok(Claim::Replay(stored)) => Ok(req.into_response(replay(stored))),
        Ok(Claim::InProgress) => Ok(req.into_response(ApiError::IdempotencyKeyInUse.error_response())),
        Ok(Claim::Mismatch) => Ok(req.into_response(ApiError::IdempotencyKeyReused.error_response())),
        Ok(Claim::Run) => {
            let outcome = next.call(req).await;
            let answer = match &outcome {
                Ok(res) if replayable(res.status()) => Some(res.status()),
                _ => None,
            };
            let Some(status) = answer else {
                db.transaction(move |conn| Ok(store::release(conn, &account, &key)?)).await?;
                return outcome.map(ServiceResponse::map_into_boxed_body);
            };
            let (request, response) = outcome?.into_parts();
            let (head, body) = response.into_parts();
            let body = to_bytes(body).await.map_err(|e| {
                // Body errors are not Send: keep their text.
                let cause: Box<dyn std::error::Error> = e.into();
                ApiError::internal(format!("reading the response body: {cause}"))
            })?;
            let stored = Stored {
                status: status.as_u16(),
                headers: KEPT_HEADERS
                    .iter()
                    .filter_map(|n| {
                        head.headers().get(n).and_then(|v| v.to_str().ok()).map(|v| (n.to_string(), v.into()))
                    })
                    .collect(),
                body: body.to_vec(),
            };
            db.transaction(move |conn| Ok(store::complete(conn, &account, &key, &stored)?)).await?;
            Ok(ServiceResponse::new(request, head.set_body(BoxBody::new(body))))
        }
    }
}

/// Deletes expired keys every `every`, forever; run once per instance.
pub async fn purge_expired(db: Db, every: Duration) {
    loop {
        actix_web::rt::time::sleep(every).await;
        match db.run(|conn| Ok(store::purge(conn, db::now())?)).await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "expired idempotency keys purged"),
            Err(e) => tracing::warn!(error = %e, "purging expired idempotency keys failed"),
        }
    }
}

/// A key is 1–255 visible ASCII characters; the draft's quoted form (`"…"`) and a bare token are both taken.
fn parse_key(raw: &HeaderValue) -> Result<String, ApiError> {
    let text = raw.to_str().unwrap_or_default().trim();
    let key = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(key.to_owned())
    } else {
        Err(ApiError::InvalidParameter { detail: "Idempotency-Key: must be 1–255 visible ASCII characters".into() })
    }
}

async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, ApiError> {
    let limit = req.app_data::<BodyLimit>().map_or(64 * 1024 * 1024, |l| l.bulk);
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::MalformedBody { detail: e.to_string() })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// What makes two requests "the same": method, target, content type and body.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    let content_type = req.headers().get(header::CONTENT_TYPE).map(HeaderValue::as_bytes).unwrap_or_default();
    for part in [req.method().as_str().as_bytes(), req.path().as_bytes(), req.query_string().as_bytes(), content_type] {
        hash.update(part);
        hash.update([0]);
    }
    hash.update(body);
    format!("{:x}", hash.finalize())
}

/// Answers that the request alone decides; the others (authentication, throttling, server trouble) may
/// differ on a retry, which then runs again.
fn replayable(status: StatusCode) -> bool {
    status.is_success()
        || (status.is_client_error()
            && ![
                StatusCode::UNAUTHORIZED,
                StatusCode::FORBIDDEN,
                StatusCode::REQUEST_TIMEOUT,
                StatusCode::TOO_MANY_REQUESTS,
            ]
            .contains(&status))
}

fn replay(stored: Stored) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    for (name, value) in stored.headers {
        res.insert_header((name, value));
    }
    res.insert_header((REPLAYED, "true"));
    res.body(stored.body)
}
