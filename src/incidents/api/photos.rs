//! Photo evidence: multipart upload, and the image bytes for callers in scope.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Photo, parse_id};
use crate::auth::Caller;
use crate::db::Db;
use crate::domain::incident::PhotoStage;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::form;
use crate::incidents::{Policy, photos};
use crate::storage::Storage;

/// The multipart form of a photo upload.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documents the form; the handler reads the parts as they stream
pub struct PhotoUpload {
    /// `before` (the problem as found), `after` (rectification evidence) or `other`.
    stage: PhotoStage,
    /// The image: JPEG, PNG, WebP or HEIC, recognised by its content; at most the configured size (10 MiB).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The stage and the file of the form.
async fn read_form(form: Multipart, limit: usize) -> Result<(PhotoStage, Bytes), ApiError> {
    let form = form::read(form, limit).await?;
    let mut errors = Vec::new();
    let stage = match form.text("stage").map(PhotoStage::parse) {
        Some(Some(stage)) => Some(stage),
        Some(None) => {
            errors.push(FieldError::new("stage", "must be before, after or other"));
            None
        }
        None => {
            errors.push(FieldError::new("stage", "is required"));
            None
        }
    };
    if form.file.is_none() {
        errors.push(FieldError::new("file", "is required"));
    }
    match (stage, form.file) {
        (Some(stage), Some(file)) => Ok((stage, file)),
        _ => Err(ApiError::validation(errors)),
    }
}

/// Add a photo to an incident
///
/// `multipart/form-data` with `stage` and `file`. The image type is read from the content, not the name
/// (a renamed PDF is refused with `/problems/photo-unsupported`). EXIF time and GPS are read when present;
/// a photo taken far from the incident or long before the report is flagged, not refused. Open incidents
/// only; the reporter and callers who may act on the incident may add photos.
#[utoipa::path(
    operation_id = "add_incident_photo",
    tag = "incidents",
    params(("id" = String, Path, description = "Incident id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d")),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored; `Location` names the image", body = Photo),
        (status = 400, description = "The form cannot be read (`/problems/malformed-body`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No incident here", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The incident is closed, rejected or a duplicate (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than allowed (`/problems/payload-too-large`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`stage` or `file` missing (`/problems/validation`), or not a supported image (`/problems/photo-unsupported`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/incidents/{id}/photos")]
pub async fn upload(
    caller: Caller,
    db: web::Data<Db>,
    storage: web::Data<Storage>,
    policy: web::Data<Policy>,
    id: web::Path<String>,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let (stage, bytes) = read_form(form, policy.photo_max_bytes).await?;
    let row = photos::add(&db, &storage, caller, id, stage, bytes, &policy).await?;
    let photo = Photo::from_row(row)?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, photo.href.clone())).json(photo))
}

/// Get a photo of an incident
///
/// The image bytes, for callers who may see the incident.
#[utoipa::path(
    operation_id = "get_incident_photo",
    tag = "incidents",
    params(
        ("id" = String, Path, description = "Incident id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"),
        ("photo_id" = String, Path, description = "Photo id", example = "019a0c5f-1111-7c3a-9b2d-3f4e5a6b7c8d"),
    ),
    responses(
        (status = 200, description = "The image", content(
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"), (Vec<u8> = "image/heic"),
        )),
        (status = 404, description = "No such photo, or its incident is out of the caller's sight", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/incidents/{id}/photos/{photo_id}")]
pub async fn download(
    caller: Caller,
    db: web::Data<Db>,
    storage: web::Data<Storage>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, photo_id) = path.into_inner();
    let id = parse_id(&id)?;
    let (row, bytes) = photos::read(&db, &storage, caller, id, photo_id).await?;
    Ok(crate::http::image(row.media_type, &row.sha256, bytes))
}
