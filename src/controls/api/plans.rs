//! Per-cell plans and check-ins.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{CheckIn, ControlCell};
use crate::auth::Caller;
use crate::controls::plans::{self, CheckInDraft, PlanUpdate};
use crate::controls::service::PlannedMeasure;
use crate::db::Db;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::{IfMatch, Json, Page, PageParams, etag, form, optional_text, required_text};
use crate::incidents::Policy;
use crate::storage::Storage;

/// A cell's plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"responsible_name": "王伟", "responsible_phone": "13800000000",
    "measures": [{"code": "stop_earthworks", "detail": "12个在建工地停止土石方作业"}, {"code": "ban_open_burning", "detail": null}]}))]
pub struct PlanBody {
    /// An active account at home in the cell's subtree; its display name is shown.
    pub responsible_id: Option<String>,
    /// Who is responsible, without an account (1–100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub responsible_name: Option<String>,
    #[schema(min_length = 1, max_length = 40)]
    pub responsible_phone: Option<String>,
    /// Catalogue measures, each once, with what they mean in this cell.
    pub measures: Vec<PlannedMeasure>,
}

/// Set the plan of an activation's cell
///
/// 一区一策: the measures and the responsible person of one cell (`controls:run` over the cell), while the
/// activation is planned or active; requires `If-Match` with the plan's version (`plan_version`).
#[utoipa::path(
    operation_id = "set_control_plan",
    tag = "controls",
    params(
        ("id" = String, Path, description = "Activation id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"),
        ("cell" = String, Path, description = "Code of one of the activation's cells", example = "210102"),
        ("If-Match" = String, Header, description = "The plan's version as an ETag", example = "\"1\""),
    ),
    request_body = PlanBody,
    responses(
        (status = 200, description = "The cell with its new plan; `ETag` carries the plan's version", body = ControlCell),
        (status = 404, description = "No activation, or no such cell of it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The activation is lifted or cancelled (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown measures or responsible account, or no responsible person", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/api/v1/controls/{id}/plans/{cell}")]
pub async fn set_plan(
    caller: Caller,
    db: web::Data<Db>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: Json<PlanBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, cell) = path.into_inner();
    let b = body.0;
    let mut errors = Vec::new();
    let responsible_name = b.responsible_name.map(|n| required_text(&n, 100, "responsible_name", &mut errors));
    let responsible_phone = b.responsible_phone.map(|p| required_text(&p, 40, "responsible_phone", &mut errors));
    let measures = b
        .measures
        .into_iter()
        .enumerate()
        .map(|(i, m)| PlannedMeasure {
            detail: optional_text(m.detail.as_deref(), 2000, &format!("measures[{i}].detail"), &mut errors),
            code: m.code,
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let update = PlanUpdate { responsible_id: b.responsible_id, responsible_name, responsible_phone, measures };
    let row = db.transaction(move |conn| plans::set_plan(conn, &caller, &id, &cell, update, if_match)).await?;
    let version = row.plan_version;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(ControlCell::of(row, None)?))
}

/// The multipart form of a check-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documents the form; the handler reads the parts as they stream
pub struct CheckInForm {
    /// The catalogue code of a measure in the cell's plan.
    measure: String,
    /// `true` (done) or `false` (not done).
    done: bool,
    /// Up to 2000 characters.
    note: Option<String>,
    /// A photo: JPEG, PNG, WebP or HEIC, recognised by its content; at most the configured size (10 MiB).
    #[schema(value_type = Option<String>, format = Binary)]
    file: Option<Vec<u8>>,
}

/// Check in on a measure
///
/// `multipart/form-data` with `measure`, `done`, `note` and an optional photo `file`, by the cell's people
/// (`controls:respond`, at home in the cell, below it or above it) while the activation is active.
#[utoipa::path(
    operation_id = "check_in_control_measure",
    tag = "controls",
    params(
        ("id" = String, Path, description = "Activation id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"),
        ("cell" = String, Path, description = "Code of one of the activation's cells", example = "210102"),
    ),
    request_body(content = CheckInForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Recorded", body = CheckIn),
        (status = 400, description = "The form cannot be read (`/problems/malformed-body`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No activation, or no such cell of it in the caller's sight", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The activation is not active (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The photo is larger than allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such measure in the plan, a bad `done`, or not a supported image (`/problems/photo-unsupported`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/controls/{id}/plans/{cell}/check-ins")]
pub async fn check_in(
    caller: Caller,
    db: web::Data<Db>,
    storage: web::Data<Storage>,
    policy: web::Data<Policy>,
    path: web::Path<(String, String)>,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    let form = form::read(form, policy.photo_max_bytes).await?;
    let mut errors = Vec::new();
    let measure = form.text("measure").map(str::to_owned);
    if measure.is_none() {
        errors.push(FieldError::new("measure", "is required"));
    }
    let done = match form.text("done") {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => {
            errors.push(FieldError::new("done", "must be true or false"));
            None
        }
    };
    let note = optional_text(form.text("note"), 2000, "note", &mut errors);
    let (Some(measure), Some(done)) = (measure, done) else { return Err(ApiError::validation(errors)) };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let draft = CheckInDraft { measure, done, note };
    let row = plans::check_in(&db, &storage, caller, path.into_inner(), draft, form.file, &policy).await?;
    Ok(HttpResponse::Created().json(CheckIn::of(row)))
}

/// Filters for check-in lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckInQuery {
    /// Only this cell of the activation.
    #[param(value_type = Option<crate::domain::grid::CellCode>, example = "210102")]
    cell: Option<String>,
}

/// List an activation's check-ins
///
/// In the cells the caller sees, oldest first, with cursor pages.
#[utoipa::path(
    operation_id = "list_control_check_ins",
    tag = "controls",
    params(
        ("id" = String, Path, description = "Activation id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"),
        CheckInQuery, PageParams,
    ),
    responses(
        (status = 200, description = "A page of check-ins", body = Page<CheckIn>),
        (status = 404, description = "No activation here", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/controls/{id}/check-ins")]
pub async fn check_ins(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    id: web::Path<String>,
    query: web::Query<CheckInQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (page.limit()?, page.after()?);
    let cell = query.into_inner().cell;
    let rows =
        db.run(move |conn| plans::check_ins(conn, &caller, &id, cell.as_deref(), after.as_deref(), limit + 1)).await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.clone()).map(CheckIn::of).respond(&req))
}

/// Get a check-in's photo
#[utoipa::path(
    operation_id = "get_control_check_in_photo",
    tag = "controls",
    params(
        ("id" = String, Path, description = "Activation id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"),
        ("check_in_id" = String, Path, description = "Check-in id", example = "019a0c5f-1111-7c3a-9b2d-3f4e5a6b7c8d"),
    ),
    responses(
        (status = 200, description = "The image", content(
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"), (Vec<u8> = "image/heic"),
        )),
        (status = 404, description = "No such photo in the caller's sight", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/controls/{id}/check-ins/{check_in_id}/photo")]
pub async fn photo(
    caller: Caller,
    db: web::Data<Db>,
    storage: web::Data<Storage>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, check_in_id) = path.into_inner();
    let (row, bytes) = plans::photo(&db, &storage, caller, id, check_in_id).await?;
    Ok(crate::http::image(row.photo_media_type.unwrap_or_default(), &row.photo_sha256.unwrap_or_default(), bytes))
}
