//! The closed loop: one endpoint takes every action, the workflow's table decides.

use actix_web::http::header;
use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Incident, optional_text, parse_id, parse_time};
use crate::auth::Caller;
use crate::db::Db;
use crate::domain::calendar::Span;
use crate::domain::crs::Crs;
use crate::domain::grid::CellCode;
use crate::domain::workflow::Action;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::{IfMatch, Json, etag};
use crate::incidents::Policy;
use crate::incidents::service::{self, TransitionRequest};

/// An action on an incident and what it needs. Which fields each action requires:
///
/// | action | from | needs |
/// |---|---|---|
/// | `route` | unrouted | `cell` |
/// | `assign` (交办) | reported | optional `cell`, `assignee_id`, `deadline_at` or `deadline` (default: the category's for the severity) |
/// | `reassign` | assigned, rectifying | `note`; optional `cell`, `assignee_id`, deadline |
/// | `start` (签收) | assigned | — |
/// | `rectify` (已整改) | rectifying | `note`, and an `after` photo uploaded since rectifying began unless the category waives it |
/// | `close` (核查销号) | rectified | — (by someone other than the rectifier) |
/// | `reopen` | rectified, closed | `note` |
/// | `reject` | unrouted, reported, assigned | `note` |
/// | `mark_duplicate` | unrouted, reported, assigned, rectifying | `original_id` |
/// | `request_extension` | assigned, rectifying | `until`, `note` |
/// | `decide_extension` | assigned, rectifying | `approve` |
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "assign", "cell": "210102022022", "note": "请于4小时内处置"}))]
pub struct TransitionBody {
    action: Action,
    /// Why, or what was done, 1–2000 characters.
    #[schema(max_length = 2000)]
    note: Option<String>,
    /// `route`, `assign`, `reassign`: the cell that handles it (in the caller's subtree).
    #[schema(value_type = Option<CellCode>)]
    cell: Option<String>,
    /// `assign`, `reassign`: the account that handles it (at home at or above the cell).
    assignee_id: Option<String>,
    /// `assign`, `reassign`: an explicit deadline (RFC 3339, or local city time).
    #[schema(format = DateTime)]
    deadline_at: Option<String>,
    /// `assign`, `reassign`: a deadline as a span from now, instead of the category's default.
    deadline: Option<Span>,
    /// `mark_duplicate`: the original incident.
    original_id: Option<String>,
    /// `request_extension`: the deadline asked for (RFC 3339, or local city time).
    #[schema(format = DateTime)]
    until: Option<String>,
    /// `decide_extension`: approve (the deadline moves to the requested time) or decline.
    approve: Option<bool>,
}

fn parse(body: TransitionBody, policy: &Policy) -> Result<(Action, TransitionRequest), ApiError> {
    let mut errors = Vec::new();
    let note = optional_text(body.note.as_deref(), 2000, "note", &mut errors);
    let cell =
        body.cell.as_deref().and_then(|c| CellCode::parse(c).map_err(|m| errors.push(FieldError::new("cell", m))).ok());
    let deadline_at = body.deadline_at.as_deref().and_then(|t| parse_time(t, policy.tz, "deadline_at", &mut errors));
    let until = body.until.as_deref().and_then(|t| parse_time(t, policy.tz, "until", &mut errors));
    if body.deadline.is_some_and(|s| s.amount == 0 || s.amount > 10_000) {
        errors.push(FieldError::new("deadline", "amount must be between 1 and 10000"));
    }
    if body.deadline.is_some() && body.deadline_at.is_some() {
        errors.push(FieldError::new("deadline", "give deadline_at or deadline, not both"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let request = TransitionRequest {
        note,
        cell,
        assignee_id: body.assignee_id,
        deadline_at: deadline_at.map(|t| t.naive_utc()),
        span: body.deadline,
        original_id: body.original_id,
        until: until.map(|t| t.naive_utc()),
        approve: body.approve,
    };
    Ok((body.action, request))
}

/// Move an incident through its closed loop
///
/// report → assign (交办) → start → rectify (已整改) → close (核查销号), with reassign, reopen, reject,
/// mark_duplicate and extensions; see the request schema for what each action needs. Requires `If-Match`.
/// An action not allowed from the current status answers 409 `/problems/invalid-transition` listing the
/// allowed ones in `errors`; a caller whose role may not take it answers 403. Every step is written to the
/// timeline and the event log.
#[utoipa::path(
    operation_id = "transition_incident",
    tag = "incidents",
    params(
        ("id" = String, Path, description = "Incident id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the incident", example = "\"1\""),
    ),
    request_body = TransitionBody,
    responses(
        (status = 200, description = "The incident after the step, with its new ETag", body = Incident),
        (status = 404, description = "No incident here", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status (`/problems/invalid-transition`), or no extension pending (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/incidents/{id}/transitions")]
pub async fn transition(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<TransitionBody>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let (action, request) = parse(body.0, &policy)?;
    let (who, rules) = (caller.clone(), policy.clone().into_inner());
    let seen =
        db.transaction(move |conn| service::transition(conn, &who, &id, action, request, if_match, &rules)).await?;
    let version = seen.row.version;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(Incident::from_seen(
        seen,
        Crs::Wgs84,
        &policy,
        Utc::now(),
    )?))
}
