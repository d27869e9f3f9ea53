//! Prompt and supervision sheets.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{PersonRef, parse_time};
use crate::auth::Caller;
use crate::db::Db;
use crate::domain::grid::CellCode;
use crate::domain::incident::{SheetKind, text};
use crate::error::{ApiError, FieldError, Problem};
use crate::http::{IfMatch, Json, Page, PageParams, etag};
use crate::incidents::Policy;
use crate::incidents::sheets::{self, NewSheet};
use crate::incidents::store::SheetRow;

/// A prompt sheet (提示单) or supervision sheet (督办单) and the cell's response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Sheet {
    pub id: String,
    pub kind: SheetKind,
    /// The cell it was sent to.
    pub cell_code: String,
    pub incident_ids: Vec<String>,
    pub content: String,
    /// When the response is due.
    pub deadline_at: DateTime<Utc>,
    pub issued_by: PersonRef,
    pub issued_at: DateTime<Utc>,
    pub response: Option<String>,
    pub responded_by: Option<PersonRef>,
    pub responded_at: Option<DateTime<Utc>>,
    /// Not answered and past its deadline.
    pub overdue: bool,
    pub version: i64,
}

impl Sheet {
    fn from_row(row: SheetRow) -> Result<Self, ApiError> {
        let facts = sheets::facts(&row)?;
        let overdue = row.responded_at.is_none() && row.deadline_at < crate::db::now();
        Ok(Self {
            id: row.id,
            kind: facts.kind,
            cell_code: row.cell_code,
            incident_ids: facts.incident_ids,
            content: row.content,
            deadline_at: row.deadline_at.and_utc(),
            issued_by: PersonRef { id: row.issued_by, name: row.issuer_name },
            issued_at: row.issued_at.and_utc(),
            response: row.response,
            responded_by: row.responder_name.map(|name| PersonRef { id: row.responded_by, name }),
            responded_at: row.responded_at.map(|t| t.and_utc()),
            overdue,
            version: row.version,
        })
    }
}

/// A new sheet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "supervision", "cell": "210102", "incident_ids": ["019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"],
    "content": "该点位露天焚烧问题反复出现，请于3日内书面反馈整改情况。", "deadline_at": "2026-12-04 18:00:00"}))]
pub struct NewSheetBody {
    kind: SheetKind,
    /// The cell it goes to, in the caller's subtree.
    cell: String,
    /// Incidents in that cell it concerns (1–100).
    #[schema(min_items = 1, max_items = 100)]
    incident_ids: Vec<String>,
    /// The text, 1–5000 characters.
    #[schema(max_length = 5000)]
    content: String,
    /// When the response is due (RFC 3339, or local city time).
    deadline_at: String,
}

/// Issue a prompt or supervision sheet
///
/// Sends a 提示单 or 督办单 to a cell about incidents there (`incidents:manage`, in the caller's subtree);
/// each incident's timeline records it.
#[utoipa::path(
    operation_id = "issue_sheet",
    tag = "incidents",
    request_body = NewSheetBody,
    responses((status = 201, description = "Issued", body = Sheet)),
)]
#[post("/api/v1/supervision-sheets")]
pub async fn issue(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    body: Json<NewSheetBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut errors = Vec::new();
    let cell = CellCode::parse(&b.cell).map_err(|m| errors.push(FieldError::new("cell", m))).ok();
    let content = text(&b.content, 5000).map_err(|m| errors.push(FieldError::new("content", m))).ok();
    let deadline_at = parse_time(&b.deadline_at, policy.tz, "deadline_at", &mut errors);
    if !(1..=100).contains(&b.incident_ids.len()) {
        errors.push(FieldError::new("incident_ids", "must list 1 to 100 incidents"));
    }
    for (i, id) in b.incident_ids.iter().enumerate() {
        if b.incident_ids[..i].contains(id) {
            errors.push(FieldError::new(format!("incident_ids[{i}]"), "is listed twice"));
        }
    }
    let (Some(cell), Some(content), Some(deadline_at)) = (cell, content, deadline_at) else {
        return Err(ApiError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let new =
        NewSheet { kind: b.kind, cell, incident_ids: b.incident_ids, content, deadline_at: deadline_at.naive_utc() };
    let row = db.transaction(move |conn| sheets::issue(conn, &caller, new)).await?;
    let location = format!("/api/v1/supervision-sheets/{}", row.id);
    let version = row.version;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(version)))
        .json(Sheet::from_row(row)?))
}

/// Filters for sheet lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// Sheets to this cell and the cells below it.
    #[param(value_type = Option<CellCode>, example = "210102")]
    cell: Option<String>,
}

/// List prompt and supervision sheets
///
/// Sheets sent to cells in the caller's subtree, newest first.
#[utoipa::path(
    operation_id = "list_sheets",
    tag = "incidents",
    params(SheetQuery, PageParams),
    responses((status = 200, description = "One page of sheets", body = inline(Page<Sheet>))),
)]
#[get("/api/v1/supervision-sheets")]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    query: web::Query<SheetQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = page.limit()?;
    let before = page.after()?;
    let within = query.into_inner().cell;
    let rows = db.run(move |conn| sheets::list(conn, &caller, within, before, limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |r| r.id.clone());
    let items = page.items.into_iter().map(Sheet::from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor }.respond(&req))
}

/// Get a prompt or supervision sheet
#[utoipa::path(
    operation_id = "get_sheet",
    tag = "incidents",
    params(("id" = String, Path, description = "Sheet id")),
    responses(
        (status = 200, description = "The sheet; `ETag` carries its version", body = Sheet),
        (status = 404, description = "No sheet here", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/supervision-sheets/{id}")]
pub async fn get(caller: Caller, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let row = db.run(move |conn| sheets::get(conn, &caller, &id)).await?;
    let version = row.version;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(Sheet::from_row(row)?))
}

/// The cell's answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"response": "已组织清理焚烧点并设专人巡查。"}))]
pub struct SheetResponse {
    /// 1–5000 characters.
    #[schema(max_length = 5000)]
    response: String,
}

/// Answer a prompt or supervision sheet
///
/// The cell's written response (`incidents:report` in the cell's subtree), once; requires `If-Match`.
#[utoipa::path(
    operation_id = "respond_to_sheet",
    tag = "incidents",
    params(
        ("id" = String, Path, description = "Sheet id"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the sheet", example = "\"1\""),
    ),
    request_body = SheetResponse,
    responses(
        (status = 200, description = "The answered sheet", body = Sheet),
        (status = 404, description = "No sheet here", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already answered (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/supervision-sheets/{id}/response")]
pub async fn respond(
    caller: Caller,
    db: web::Data<Db>,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<SheetResponse>,
) -> Result<HttpResponse, ApiError> {
    let response =
        text(&body.0.response, 5000).map_err(|m| ApiError::validation(vec![FieldError::new("response", m)]))?;
    let row = db.transaction(move |conn| sheets::respond(conn, &caller, &id, response, if_match)).await?;
    let version = row.version;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(Sheet::from_row(row)?))
}
