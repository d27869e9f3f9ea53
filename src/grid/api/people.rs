//! Responsible people of a cell, with history: who was responsible for cell X on day D.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{parse_code, parse_name};
use crate::auth::Caller;
use crate::db::Db;
use crate::domain::access::Permission;
use crate::domain::grid::{CellCode, Duty};
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;
use crate::grid::people::{self, AssignmentChanges, NewAssignment};
use crate::grid::store::PersonRow;
use crate::http::{IfMatch, Json, etag};

/// A person responsible for a cell over a period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d", "cell_code": "210102001", "name": "王丽", "phone": "13800000000",
    "account_id": null, "role": "grid_worker", "valid_from": "2026-01-01", "valid_to": null, "version": 1,
    "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
}))]
pub struct Person {
    /// Identifier of this assignment.
    pub id: String,
    /// The cell.
    pub cell_code: String,
    /// Full name.
    pub name: String,
    /// Contact phone.
    pub phone: Option<String>,
    /// Sign-in account of the person, when there is one.
    pub account_id: Option<String>,
    /// What the person does for the cell.
    pub role: Duty,
    /// First day of responsibility.
    pub valid_from: NaiveDate,
    /// First day no longer responsible; null while current.
    pub valid_to: Option<NaiveDate>,
    /// Version, also sent as the ETag.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Person {
    pub fn from_row(row: PersonRow) -> Result<Self, ApiError> {
        Ok(Self {
            role: Duty::parse(&row.role).ok_or_else(|| ApiError::internal(format!("unknown duty {}", row.role)))?,
            id: row.id,
            cell_code: row.cell_code,
            name: row.name,
            phone: row.phone,
            account_id: row.account_id,
            valid_from: row.valid_from,
            valid_to: row.valid_to,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// Which assignments to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Only the people responsible on this day; without it, the whole history.
    as_of: Option<NaiveDate>,
}

/// List a cell's responsible people
///
/// The whole history ordered by start day, or with `as_of` who was responsible on that day.
#[utoipa::path(
    operation_id = "list_cell_people",
    tag = "grid",
    params(("code" = CellCode, Path, description = "Cell code", example = "210102001"), PeopleQuery),
    responses(
        (status = 200, description = "Assignments", body = Vec<Person>),
        (status = 404, description = "No cell has this code", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cells/{code}/people")]
pub async fn list(
    caller: Caller,
    db: web::Data<Db>,
    code: web::Path<String>,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridRead)?;
    let code = parse_code(&code)?;
    let as_of = query.as_of;
    let rows = db.run(move |conn| people::people_of(conn, &caller, &code, as_of)).await?;
    let people = rows.into_iter().map(Person::from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(people))
}

/// A new assignment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "王丽", "phone": "13800000000", "role": "grid_worker", "valid_from": "2026-01-01"}))]
pub struct NewPerson {
    /// Full name, 1–100 characters.
    #[schema(pattern = "\\S", max_length = 100)]
    name: String,
    /// Contact phone: digits, spaces, `+` and `-`, 3–32 characters.
    #[schema(pattern = "^[0-9+-]*[0-9]([0-9+ -]*[0-9+-])?$", min_length = 3, max_length = 32)]
    phone: Option<String>,
    /// Sign-in account of the person, if any.
    account_id: Option<String>,
    /// What the person does for the cell.
    #[schema(value_type = Duty)]
    role: String,
    /// First day of responsibility (default today).
    valid_from: Option<NaiveDate>,
    /// First day no longer responsible (open-ended when absent).
    valid_to: Option<NaiveDate>,
}

/// Assign a responsible person to a cell
#[utoipa::path(
    operation_id = "create_cell_person",
    tag = "grid",
    params(("code" = CellCode, Path, description = "Cell code", example = "210102001")),
    request_body = NewPerson,
    responses(
        (status = 201, description = "Created; `Location` and `ETag` are set", body = Person),
        (status = 404, description = "No cell has this code", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cells/{code}/people")]
pub async fn create(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    settings: web::Data<crate::config::Settings>,
    code: web::Path<String>,
    body: Json<NewPerson>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PeopleWrite)?;
    let code = parse_code(&code)?;
    let b = body.0;
    let mut errors = Vec::new();
    let name = field(&mut errors, "name", parse_name(&b.name));
    let phone = field(&mut errors, "phone", b.phone.as_deref().map(parse_phone).transpose());
    let duty = field(&mut errors, "role", parse_duty(&b.role));
    let valid_from = b.valid_from.unwrap_or_else(|| settings.today());
    if b.valid_to.is_some_and(|to| to <= valid_from) {
        errors.push(FieldError::new("valid_to", "must be after valid_from"));
    }
    let (Some(name), Some(phone), Some(duty)) = (name, phone, duty) else { return Err(ApiError::validation(errors)) };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let new = NewAssignment { name, phone, account_id: b.account_id, duty, valid_from, valid_to: b.valid_to };
    let row = db.transaction(move |conn| people::assign(conn, &caller, &code, new)).await?;
    live.invalidate();
    let location = format!("/api/v1/grid/cells/{}/people/{}", row.cell_code, row.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(row.version)))
        .json(Person::from_row(row)?))
}

/// Get one assignment
#[utoipa::path(
    operation_id = "get_cell_person",
    tag = "grid",
    params(
        ("code" = CellCode, Path, description = "Cell code", example = "210102001"),
        ("id" = String, Path, description = "Assignment id"),
    ),
    responses(
        (status = 200, description = "The assignment", body = Person),
        (status = 404, description = "No such cell or assignment", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cells/{code}/people/{id}")]
pub async fn get(
    caller: Caller,
    db: web::Data<Db>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridRead)?;
    let (code, id) = path.into_inner();
    let code = parse_code(&code)?;
    let row = db.run(move |conn| people::get(conn, &caller, &code, &id)).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(row.version))).json(Person::from_row(row)?))
}

/// Changes to an assignment; absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"valid_to": "2026-12-01"}))]
pub struct PersonPatch {
    /// New full name.
    #[schema(pattern = "\\S", max_length = 100)]
    name: Option<String>,
    /// New phone; `null` removes it.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>, pattern = "^[0-9+-]*[0-9]([0-9+ -]*[0-9+-])?$", min_length = 3, max_length = 32)]
    phone: Option<Option<String>>,
    /// New account; `null` removes it.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    account_id: Option<Option<String>>,
    /// New duty.
    #[schema(value_type = Option<Duty>)]
    role: Option<String>,
    /// New first day.
    valid_from: Option<NaiveDate>,
    /// End of responsibility (first day no longer responsible); `null` makes it open-ended.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    valid_to: Option<Option<NaiveDate>>,
}

/// Change an assignment
///
/// Ending a responsibility is a change of `valid_to`; history is kept. Requires `If-Match`.
#[utoipa::path(
    operation_id = "update_cell_person",
    tag = "grid",
    params(
        ("code" = CellCode, Path, description = "Cell code", example = "210102001"),
        ("id" = String, Path, description = "Assignment id"),
        ("If-Match" = String, Header, description = "The ETag from the last read", example = "\"1\""),
    ),
    request_body = PersonPatch,
    responses(
        (status = 200, description = "The changed assignment", body = Person),
        (status = 404, description = "No such cell or assignment", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/cells/{code}/people/{id}")]
pub async fn update(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: Json<PersonPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PeopleWrite)?;
    let (code, id) = path.into_inner();
    let code = parse_code(&code)?;
    let p = body.0;
    let mut errors = Vec::new();
    let name = field(&mut errors, "name", p.name.as_deref().map(parse_name).transpose()).flatten();
    let phone =
        field(&mut errors, "phone", p.phone.map(|ph| ph.as_deref().map(parse_phone).transpose()).transpose()).flatten();
    let duty = field(&mut errors, "role", p.role.as_deref().map(parse_duty).transpose()).flatten();
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let changes = AssignmentChanges {
        name,
        phone,
        account_id: p.account_id,
        duty,
        valid_from: p.valid_from,
        valid_to: p.valid_to,
    };
    let row = db.transaction(move |conn| people::update(conn, &caller, &code, &id, changes, if_match)).await?;
    live.invalidate();
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(row.version))).json(Person::from_row(row)?))
}

/// Delete an assignment
///
/// For records entered by mistake; to end a responsibility set `valid_to` instead.
#[utoipa::path(
    operation_id = "delete_cell_person",
    tag = "grid",
    params(
        ("code" = CellCode, Path, description = "Cell code", example = "210102001"),
        ("id" = String, Path, description = "Assignment id"),
        ("If-Match" = String, Header, description = "The ETag from the last read", example = "\"1\""),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such cell or assignment", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/cells/{code}/people/{id}")]
pub async fn delete(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PeopleWrite)?;
    let (code, id) = path.into_inner();
    let code = parse_code(&code)?;
    db.transaction(move |conn| people::remove(conn, &caller, &code, &id, if_match)).await?;
    live.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// Keeps the value of a parsed field, or records its error.
fn field<T>(errors: &mut Vec<FieldError>, name: &str, parsed: Result<T, String>) -> Option<T> {
    parsed.map_err(|m| errors.push(FieldError::new(name, m))).ok()
}

/// 3–32 digits, spaces, `+` and `-` with at least one digit, once trimmed.
fn parse_phone(raw: &str) -> Result<String, String> {
    let phone = raw.trim();
    let ok = (3..=32).contains(&phone.len())
        && phone.chars().any(|c| c.is_ascii_digit())
        && phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
    if ok { Ok(phone.to_owned()) } else { Err("must be 3–32 digits, spaces, '+' or '-'".into()) }
}

fn parse_duty(raw: &str) -> Result<Duty, String> {
    Duty::parse(raw).ok_or_else(|| "must be one of grid_chief, deputy_chief, grid_worker, supervisor".into())
}
