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

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
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
    let mut hash = request_hash(&req);
    let body = match read_body(&mut req, &mut hash).await {
        Ok(body) => body,
        Err(e) => return Ok(req.into_response(e.error_response())),
    };
    let fingerprint = format!("{:x}", hash.finalize());
    req.set_payload(body.into_payload());

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

/// A request body read to fingerprint it: kept in memory while small, spooled to a temporary file past
/// [`IN_MEMORY`] so that keyed file uploads of any allowed size never sit in memory.
enum Body {
    Memory(Bytes),
    File(std::fs::File),
}

/// Bytes of a body kept in memory before it moves to disk.
const IN_MEMORY: usize = 1024 * 1024;

/// Reads the body once, hashing it on the way; the largest limit of any route applies here, each route's
/// own limit is enforced by its extractor.
async fn read_body(req: &mut ServiceRequest, hash: &mut Sha256) -> Result<Body, ApiError> {
    let limit = req.app_data::<BodyLimit>().map_or(64 * 1024 * 1024, |l| (l.bulk as u64).max(l.upload));
    let mut payload = req.take_payload();
    let (mut pending, mut file, mut total) = (BytesMut::new(), None::<std::fs::File>, 0u64);
    loop {
        let chunk = payload.next().await.transpose().map_err(|e| ApiError::MalformedBody { detail: e.to_string() })?;
        if let Some(chunk) = &chunk {
            total += chunk.len() as u64;
            if total > limit {
                return Err(ApiError::PayloadTooLarge { limit: limit as usize });
            }
            hash.update(chunk);
            pending.extend_from_slice(chunk);
        }
        let spill = pending.len() > IN_MEMORY || (chunk.is_none() && file.is_some() && !pending.is_empty());
        if spill {
            let data = pending.split().freeze();
            let open = file.take();
            file = Some(
                actix_web::web::block(move || -> std::io::Result<std::fs::File> {
                    let mut f = match open {
                        Some(f) => f,
                        None => tempfile::tempfile()?,
                    };
                    f.write_all(&data)?;
                    Ok(f)
                })
                .await?
                .map_err(ApiError::internal)?,
            );
        }
        if chunk.is_none() {
            break;
        }
    }
    Ok(match file {
        None => Body::Memory(pending.freeze()),
        Some(mut f) => {
            f = actix_web::web::block(move || f.seek(SeekFrom::Start(0)).map(|_| f))
                .await?
                .map_err(ApiError::internal)?;
            Body::File(f)
        }
    })
}

impl Body {
    /// The body again, as the handler's payload.
    fn into_payload(self) -> Payload {
        match self {
            Self::Memory(bytes) => Payload::from(bytes),
            Self::File(file) => {
                let chunks = futures_util::stream::unfold(Some(file), |file| async move {
                    let mut file = file?;
                    let read = actix_web::web::block(move || {
                        let mut buffer = vec![0; IN_MEMORY];
                        let n = file.read(&mut buffer)?;
                        buffer.truncate(n);
                        Ok::<_, std::io::Error>((buffer, file))
                    })
                    .await;
                    match read {
                        Ok(Ok((buffer, _))) if buffer.is_empty() => None,
                        Ok(Ok((buffer, file))) => Some((Ok(Bytes::from(buffer)), Some(file))),
                        Ok(Err(e)) => Some((Err(PayloadError::Io(e)), None)),
                        Err(e) => Some((Err(PayloadError::Io(std::io::Error::other(e))), None)),
                    }
                });
                let stream: std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, PayloadError>>>> =
                    Box::pin(chunks);
                Payload::from(stream)
            }
        }
    }
}

/// What makes two requests "the same": method, target, content type and body (hashed as it is read).
fn request_hash(req: &ServiceRequest) -> Sha256 {
    let mut hash = Sha256::new();
    let content_type = req.headers().get(header::CONTENT_TYPE).map(HeaderValue::as_bytes).unwrap_or_default();
    for part in [req.method().as_str().as_bytes(), req.path().as_bytes(), req.query_string().as_bytes(), content_type] {
        hash.update(part);
        hash.update([0]);
    }
    hash
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
