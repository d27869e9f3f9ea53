//! The city's ladder of levels and the catalogue of measures.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::controls::service;
use crate::controls::store::MeasureRow;
use crate::db::Db;
use crate::domain::access::Permission;
use crate::domain::control::Level;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::{Json, required_text};
use crate::incidents::Policy;

/// The ladder, lowest level first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Levels {
    pub levels: Vec<Level>,
}

/// List the special-control levels
///
/// The city's ladder (configuration, not constants): each level with its trigger, default measures,
/// prompts and the tightened deadlines of new incidents under control at that level.
#[utoipa::path(
    operation_id = "list_control_levels",
    tag = "controls",
    responses((status = 200, description = "The ladder", body = Levels)),
)]
#[get("/api/v1/control-levels")]
pub async fn levels(caller: Caller, policy: web::Data<Policy>) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ControlsRead)?;
    Ok(HttpResponse::Ok().json(Levels { levels: policy.ladder.levels().to_vec() }))
}

/// A measure of the catalogue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "ban_open_burning", "name_zh": "禁止露天焚烧", "name_en": "Ban open burning",
    "categories": ["open_burning", "straw_fire"], "active": true, "created_at": "2026-12-01T00:00:00Z"}))]
pub struct Measure {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Incident categories it targets: new incidents of these (and their subcategories) under an activation
    /// with this measure get the level's tightened deadline.
    pub categories: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl Measure {
    fn of(row: MeasureRow) -> Result<Self, ApiError> {
        Ok(Self {
            categories: serde_json::from_str(&row.categories).map_err(ApiError::internal)?,
            code: row.code,
            name_zh: row.name_zh,
            name_en: row.name_en,
            active: row.active,
            created_at: row.created_at.and_utc(),
        })
    }
}

/// The catalogue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Measures {
    pub items: Vec<Measure>,
}

/// List the measures of special control
#[utoipa::path(
    operation_id = "list_control_measures",
    tag = "controls",
    responses((status = 200, description = "The catalogue, oldest first", body = Measures)),
)]
#[get("/api/v1/control-measures")]
pub async fn list_measures(caller: Caller, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let rows = db.run(move |conn| service::measures(conn, &caller)).await?;
    Ok(HttpResponse::Ok().json(Measures { items: rows.into_iter().map(Measure::of).collect::<Result<_, _>>()? }))
}

/// A measure to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "stop_concrete_mixing", "name_zh": "停止混凝土搅拌作业", "name_en": "Stop concrete mixing",
    "categories": ["dust.construction_site"]}))]
pub struct NewMeasure {
    /// Lower-case letters, digits and `_`, 1–64 characters.
    #[schema(pattern = "^[a-z0-9_]{1,64}$")]
    pub code: String,
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name_zh: String,
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name_en: String,
    /// Incident category codes of the catalogue (`GET /api/v1/incident-categories`).
    #[serde(default)]
    pub categories: Vec<String>,
}

/// Add a measure to the catalogue
///
/// Commanders and admins (`controls:run`).
#[utoipa::path(
    operation_id = "create_control_measure",
    tag = "controls",
    request_body = NewMeasure,
    responses(
        (status = 201, description = "Added", body = Measure),
        (status = 409, description = "A measure with this code exists (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad code, names or an unknown incident category", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/control-measures")]
pub async fn create_measure(
    caller: Caller,
    db: web::Data<Db>,
    body: Json<NewMeasure>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut errors = Vec::new();
    if b.code.is_empty()
        || b.code.len() > 64
        || !b.code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        errors.push(FieldError::new("code", "must be 1–64 lower-case letters, digits and _"));
    }
    let name_zh = required_text(&b.name_zh, 100, "name_zh", &mut errors);
    let name_en = required_text(&b.name_en, 100, "name_en", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let new = (b.code, name_zh, name_en, b.categories);
    let row = db.transaction(move |conn| service::create_measure(conn, &caller, new)).await?;
    Ok(HttpResponse::Created().json(Measure::of(row)?))
}
