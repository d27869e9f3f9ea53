//! The category catalogue: read by apps, extended by administrators.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::Db;
use crate::domain::incident::{CategoryCode, Deadlines};
use crate::error::{ApiError, FieldError, Problem};
use crate::http::{IfMatch, Json, etag};
use crate::incidents::categories::{self, CategoryFields};
use crate::incidents::service::stored_deadlines;
use crate::incidents::store::CategoryRow;

/// An incident category.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "code": "dust.construction_site", "parent_code": "dust", "name_zh": "施工工地扬尘", "name_en": "Construction-site dust",
    "deadlines": {"low": {"amount": 5, "unit": "working_days"}, "medium": {"amount": 3, "unit": "working_days"},
                  "high": {"amount": 1, "unit": "working_days"}},
    "duplicate_radius_m": 200.0, "duplicate_window_hours": 72, "requires_after_photo": true, "active": true, "version": 1,
    "updated_at": "2026-12-01T00:00:00Z"
}))]
pub struct Category {
    /// Permanent code; a subtype carries its parent's code before a dot.
    pub code: String,
    pub parent_code: Option<String>,
    /// Chinese name (shown in apps).
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Default time to rectify, per severity, counted from assignment.
    pub deadlines: Deadlines,
    /// Open incidents of this category within this distance (m) …
    pub duplicate_radius_m: f64,
    /// … and reported within this many hours are offered as possible duplicates of a new report.
    pub duplicate_window_hours: i32,
    /// Whether rectifying needs at least one "after" photo.
    pub requires_after_photo: bool,
    /// Inactive categories take no new reports.
    pub active: bool,
    /// Version, also sent as the ETag.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl Category {
    fn from_row(row: CategoryRow) -> Result<Self, ApiError> {
        Ok(Self {
            deadlines: stored_deadlines(&row)?,
            code: row.code,
            parent_code: row.parent_code,
            name_zh: row.name_zh,
            name_en: row.name_en,
            duplicate_radius_m: row.duplicate_radius_m,
            duplicate_window_hours: row.duplicate_window_hours,
            requires_after_photo: row.requires_after_photo,
            active: row.active,
            version: row.version,
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// A category's fields; on create every field but the optional ones is required, on change absent fields
/// keep their value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "restaurant_fumes", "name_zh": "餐饮油烟", "name_en": "Restaurant cooking fumes",
    "deadlines": {"low": {"amount": 10, "unit": "working_days"}, "medium": {"amount": 5, "unit": "working_days"},
                  "high": {"amount": 2, "unit": "working_days"}}}))]
pub struct CategoryBody {
    /// Create only: 1–64 lower-case letters, digits or `_`, with `.` before a subtype (its parent must exist).
    #[schema(pattern = "^[a-z0-9_]+(\\.[a-z0-9_]+)*$", max_length = 64)]
    code: Option<String>,
    /// Chinese name, 1–50 characters.
    #[schema(pattern = "\\S", max_length = 50)]
    name_zh: Option<String>,
    /// English name, 1–100 characters.
    #[schema(pattern = "\\S", max_length = 100)]
    name_en: Option<String>,
    deadlines: Option<Deadlines>,
    /// 0–10,000 m (default 200).
    #[schema(minimum = 0, maximum = 10000)]
    duplicate_radius_m: Option<f64>,
    /// 0–720 h (default 72).
    #[schema(minimum = 0, maximum = 720)]
    duplicate_window_hours: Option<i32>,
    /// Default true.
    requires_after_photo: Option<bool>,
    /// Default true.
    active: Option<bool>,
}

fn fields(body: CategoryBody) -> Result<(Option<String>, CategoryFields), ApiError> {
    let mut errors = Vec::new();
    let name = |raw: Option<String>, max: usize, field: &str, errors: &mut Vec<FieldError>| {
        raw.and_then(|n| {
            crate::domain::incident::text(&n, max).map_err(|m| errors.push(FieldError::new(field, m))).ok()
        })
    };
    let fields = CategoryFields {
        name_zh: name(body.name_zh, 50, "name_zh", &mut errors),
        name_en: name(body.name_en, 100, "name_en", &mut errors),
        deadlines: body.deadlines,
        duplicate_radius_m: body.duplicate_radius_m,
        duplicate_window_hours: body.duplicate_window_hours,
        requires_after_photo: body.requires_after_photo,
        active: body.active,
    };
    if fields.duplicate_radius_m.is_some_and(|r| !(0.0..=10_000.0).contains(&r)) {
        errors.push(FieldError::new("duplicate_radius_m", "must be between 0 and 10000"));
    }
    if fields.duplicate_window_hours.is_some_and(|h| !(0..=720).contains(&h)) {
        errors.push(FieldError::new("duplicate_window_hours", "must be between 0 and 720"));
    }
    if let Some(d) = &fields.deadlines
        && [d.low, d.medium, d.high].iter().any(|s| s.amount == 0 || s.amount > 10_000)
    {
        errors.push(FieldError::new("deadlines", "every amount must be between 1 and 10000"));
    }
    if errors.is_empty() { Ok((body.code, fields)) } else { Err(ApiError::validation(errors)) }
}

fn respond(builder: &mut actix_web::HttpResponseBuilder, row: CategoryRow) -> Result<HttpResponse, ApiError> {
    Ok(builder.insert_header((header::ETAG, etag(row.version))).json(Category::from_row(row)?))
}

/// List incident categories
///
/// The whole catalogue, by code (subtypes follow their parent), inactive ones included.
#[utoipa::path(
    operation_id = "list_incident_categories",
    tag = "incidents",
    responses((status = 200, description = "Every category", body = Vec<Category>)),
)]
#[get("/api/v1/incident-categories")]
pub async fn list(caller: Caller, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let rows = db.run(move |conn| categories::list(conn, &caller)).await?;
    let items = rows.into_iter().map(Category::from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(items))
}

/// Get an incident category
#[utoipa::path(
    operation_id = "get_incident_category",
    tag = "incidents",
    params(("code" = String, Path, description = "Category code", example = "dust.road")),
    responses(
        (status = 200, description = "The category; `ETag` carries its version", body = Category),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/incident-categories/{code}")]
pub async fn get(caller: Caller, db: web::Data<Db>, code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let row = db.run(move |conn| categories::get(conn, &caller, &code)).await?;
    respond(&mut HttpResponse::Ok(), row)
}

/// Add an incident category
///
/// Needs `incidents:configure` (administrators). A subtype's parent must exist.
#[utoipa::path(
    operation_id = "create_incident_category",
    tag = "incidents",
    request_body = CategoryBody,
    responses(
        (status = 201, description = "Created", body = Category),
        (status = 409, description = "The code is taken (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/incident-categories")]
pub async fn create(caller: Caller, db: web::Data<Db>, body: Json<CategoryBody>) -> Result<HttpResponse, ApiError> {
    let (code, fields) = fields(body.0)?;
    let code = code.ok_or_else(|| ApiError::validation(vec![FieldError::new("code", "is required")]))?;
    let code = CategoryCode::parse(&code).map_err(|m| ApiError::validation(vec![FieldError::new("code", m)]))?;
    let row = db.transaction(move |conn| categories::create(conn, &caller, code, fields)).await?;
    let location = format!("/api/v1/incident-categories/{}", row.code);
    respond(HttpResponse::Created().insert_header((header::LOCATION, location)), row)
}

/// Change an incident category
///
/// Needs `incidents:configure` and `If-Match`. Changed deadlines apply to incidents assigned from now on.
#[utoipa::path(
    operation_id = "update_incident_category",
    tag = "incidents",
    params(
        ("code" = String, Path, description = "Category code", example = "dust.road"),
        ("If-Match" = String, Header, description = "The ETag from the last read", example = "\"1\""),
    ),
    request_body = CategoryBody,
    responses(
        (status = 200, description = "The changed category", body = Category),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/api/v1/incident-categories/{code}")]
pub async fn update(
    caller: Caller,
    db: web::Data<Db>,
    code: web::Path<String>,
    if_match: IfMatch,
    body: Json<CategoryBody>,
) -> Result<HttpResponse, ApiError> {
    let (new_code, fields) = fields(body.0)?;
    if new_code.is_some() {
        return Err(ApiError::validation(vec![FieldError::new("code", "is permanent and cannot be changed")]));
    }
    let row = db.transaction(move |conn| categories::update(conn, &caller, &code, fields, if_match)).await?;
    respond(&mut HttpResponse::Ok(), row)
}
