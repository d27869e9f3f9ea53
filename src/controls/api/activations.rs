//! Activations: plan, read, list, change, and the lifecycle steps.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::Activation;
use crate::auth::Caller;
use crate::controls::outcome;
use crate::controls::service::{self, ActRequest, ActivationEdit, Forecast, ListRequest, NewActivation};
use crate::db::Db;
use crate::domain::control::{ControlAction, ControlStatus};
use crate::domain::time::day_start;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::{
    IfMatch, Json, Page, PageParams, cursor, double_option, etag, optional_text, parse_pollutant, parse_time,
    required_text,
};
use crate::incidents::Policy;

/// A special-control activation to plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "重污染天气橙色预警", "reason": "预计12月10日至12日出现中至重度污染", "level": "orange",
    "forecast": {"source": "沈阳市环境监测中心站", "note": "静稳天气，PM2.5累积",
                 "days": [{"date": "2026-12-10", "aqi": 215, "primary_pollutant": "pm2_5"},
                          {"date": "2026-12-11", "aqi": 160, "primary_pollutant": "pm2_5"}]},
    "cells": ["210102", "210103"], "planned_start": "2026-12-10 00:00", "planned_end": "2026-12-12 12:00"
}))]
pub struct NewActivationBody {
    /// 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// 1–2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    /// A level code of the ladder.
    pub level: String,
    pub forecast: Forecast,
    /// Scope cell codes (usually districts), each current and in the caller's part of the grid, none inside
    /// another; leave it out for the whole of the caller's part of the grid.
    pub cells: Option<Vec<String>>,
    /// Catalogue codes of the measures taken in every cell (each cell's plan can then differ); leave it out
    /// for the level's measures.
    pub measures: Option<Vec<String>>,
    /// RFC 3339, or a local time in Beijing time (`2026-12-10 00:00`). It may be past: the schedule then
    /// starts the activation at once, dated to this time.
    pub planned_start: String,
    /// After `planned_start`; leave it out to lift by hand.
    pub planned_end: Option<String>,
}

/// Plan a special-control activation
///
/// Commanders and admins (`controls:run`) over cells in their part of the grid. The schedule starts it at
/// `planned_start` and lifts it at `planned_end` (any one instance, once); `transitions` does it by hand.
/// Every cell gets a plan with the measures and the cell's grid chief as the responsible person.
#[utoipa::path(
    operation_id = "create_control",
    tag = "controls",
    request_body = NewActivationBody,
    responses(
        (status = 201, description = "Planned; `Location` names it, `ETag` carries its version", body = Activation),
        (status = 403, description = "Not `controls:run`, or a cell outside the caller's part of the grid", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another planned or active activation holds one of the cells at that time (`/problems/control-overlap`, naming it)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown level, empty scope, an end before the start, unknown cells or measures, a bad forecast", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/controls")]
pub async fn create(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    body: Json<NewActivationBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut errors = Vec::new();
    let title = required_text(&b.title, 200, "title", &mut errors);
    let reason = required_text(&b.reason, 2000, "reason", &mut errors);
    let forecast = check_forecast(b.forecast, "forecast", &mut errors);
    let planned_start = parse_time(&b.planned_start, policy.tz, "planned_start", &mut errors);
    let planned_end = b.planned_end.as_deref().map(|t| parse_time(t, policy.tz, "planned_end", &mut errors));
    let (Some(planned_start), Some(planned_end)) = (planned_start, planned_end.map_or(Some(None), |e| e.map(Some)))
    else {
        return Err(ApiError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let new = NewActivation {
        title,
        reason,
        level: b.level,
        forecast,
        cells: b.cells,
        measures: b.measures,
        planned_start: planned_start.naive_utc(),
        planned_end: planned_end.map(|e| e.naive_utc()),
    };
    let today = Utc::now().with_timezone(&policy.tz).date_naive();
    let ladder = policy.ladder.clone();
    let view = db.transaction(move |conn| service::create(conn, &caller, &ladder, today, new)).await?;
    let activation = Activation::of(view, None, &policy.ladder)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/controls/{}", activation.id)))
        .insert_header((header::ETAG, etag(activation.version)))
        .json(activation))
}

/// Filters for activation lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivationQuery {
    /// Only activations in this status.
    #[param(value_type = Option<ControlStatus>)]
    status: Option<String>,
    /// Only activations with a cell in this cell's subtree or above it.
    #[param(value_type = Option<crate::domain::grid::CellCode>, example = "210102")]
    cell: Option<String>,
    /// In force (or planned to be) on this Beijing day or later.
    from: Option<NaiveDate>,
    /// In force (or planned to be) on this Beijing day or earlier.
    to: Option<NaiveDate>,
}

/// List special-control activations
///
/// The activations sharing ground with the caller's part of the grid, newest planned start first, with
/// cursor pages.
#[utoipa::path(
    operation_id = "list_controls",
    tag = "controls",
    params(ActivationQuery, PageParams),
    responses(
        (status = 200, description = "A page of activations", body = Page<Activation>),
        (status = 422, description = "Unknown status or cell", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/controls")]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    query: web::Query<ActivationQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let ActivationQuery { status, cell, from, to } = query.into_inner();
    let status = match status.as_deref().map(ControlStatus::parse) {
        Some(None) => {
            let known: Vec<&str> = ControlStatus::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::validation(vec![FieldError::new("status", format!("one of {}", known.join(", ")))]));
        }
        parsed => parsed.flatten(),
    };
    let day_start = |day: NaiveDate| day_start(day, policy.tz).map(|t| t.naive_utc());
    let request = ListRequest {
        status,
        cell,
        from: from.and_then(day_start),
        to: to.and_then(|d| d.succ_opt()).and_then(day_start),
    };
    let (limit, after) = (page.limit()?, page.after()?.map(cursor::parse_timed).transpose()?);
    let rows = db.run(move |conn| service::list(conn, &caller, request, after, limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |v| cursor::timed(v.row.planned_start, &v.row.id));
    let items = page.items.into_iter().map(|v| Activation::of(v, None, &policy.ladder)).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor }.respond(&req))
}

/// Get a special-control activation
///
/// With its cells and their plans (each measure with its latest check-in), level history and outcome so far.
#[utoipa::path(
    operation_id = "get_control",
    tag = "controls",
    params(("id" = String, Path, description = "Activation id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d")),
    responses(
        (status = 200, description = "The activation; `ETag` carries its version", body = Activation),
        (status = 404, description = "No activation here", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/controls/{id}")]
pub async fn get(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tz = policy.tz;
    let (view, outcome) = db.run(move |conn| outcome::detailed(conn, &caller, &id, tz)).await?;
    respond(view, outcome, &policy)
}

/// Changes to an activation; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"planned_end": "2026-12-13 12:00", "reason": "污染过程延长"}))]
pub struct ActivationPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
    pub forecast: Option<Forecast>,
    /// Only before it starts.
    pub planned_start: Option<String>,
    /// `null` to lift by hand only.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub planned_end: Option<Option<String>>,
}

/// Change a special-control activation
///
/// Title, reason, forecast and planned times while planned or active (`controls:run`); requires `If-Match`.
#[utoipa::path(
    operation_id = "update_control",
    tag = "controls",
    params(
        ("id" = String, Path, description = "Activation id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"),
        ("If-Match" = String, Header, description = "The ETag from the last read", example = "\"1\""),
    ),
    request_body = ActivationPatch,
    responses(
        (status = 200, description = "Changed", body = Activation),
        (status = 404, description = "No activation here", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Lifted or cancelled (`/problems/invalid-transition`), or the new times collide with another activation (`/problems/control-overlap`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad fields, or an end before the start", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/api/v1/controls/{id}")]
pub async fn edit(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<ActivationPatch>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let tz = policy.tz;
    let mut errors = Vec::new();
    let mut time = |raw: &str, field: &str| parse_time(raw, tz, field, &mut errors).map(|t| t.naive_utc());
    let planned_start = b.planned_start.as_deref().map(|t| time(t, "planned_start"));
    let planned_end = b.planned_end.map(|end| end.as_deref().map(|t| time(t, "planned_end")));
    let edit = ActivationEdit {
        title: b.title.map(|t| required_text(&t, 200, "title", &mut errors)),
        reason: b.reason.map(|r| required_text(&r, 2000, "reason", &mut errors)),
        forecast: b.forecast.map(|f| check_forecast(f, "forecast", &mut errors)),
        planned_start: planned_start.flatten(),
        planned_end: planned_end.map(Option::flatten),
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let tz = policy.tz;
    let (view, outcome) = db
        .transaction(move |conn| {
            let view = service::edit(conn, &caller, &id, edit, if_match)?;
            outcome::with_outcome(conn, view, tz)
        })
        .await?;
    respond(view, outcome, &policy)
}

/// A lifecycle step.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// planned → active, prompts to every cell.
    Start,
    /// To another level of the ladder; new prompts when active.
    ChangeLevel,
    /// active → lifted.
    Lift,
    /// planned → cancelled.
    Cancel,
}

/// A lifecycle step to take.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "change_level", "level": "red", "note": "预报污染加重"}))]
pub struct ControlTransition {
    pub action: Step,
    /// When it happened, if earlier than now (RFC 3339 or Beijing time); not before the start for `lift`.
    pub at: Option<String>,
    /// The new level, for `change_level`.
    pub level: Option<String>,
    /// Up to 2000 characters.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Start, change the level of, lift or cancel an activation
///
/// By commanders and admins (`controls:run`) whose part of the grid holds every cell; requires `If-Match`.
/// An action not allowed from the current status answers 409 `/problems/invalid-transition` listing the
/// allowed ones. Starts, level changes and lifts are events (`control.*`) in the change feed.
#[utoipa::path(
    operation_id = "transition_control",
    tag = "controls",
    params(
        ("id" = String, Path, description = "Activation id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"),
        ("If-Match" = String, Header, description = "The ETag from the last read", example = "\"1\""),
    ),
    request_body = ControlTransition,
    responses(
        (status = 200, description = "Done", body = Activation),
        (status = 404, description = "No activation here", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status (`/problems/invalid-transition`), or another activation holds the cells now (`/problems/control-overlap`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown or unchanged level, a time in the future or a lift before the start", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/controls/{id}/transitions")]
pub async fn transition(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<ControlTransition>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut errors = Vec::new();
    let at = b.at.as_deref().map(|t| parse_time(t, policy.tz, "at", &mut errors));
    let request = ActRequest {
        at: at.flatten().map(|t| t.naive_utc()),
        note: optional_text(b.note.as_deref(), 2000, "note", &mut errors),
        level: b.level,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let action = match b.action {
        Step::Start => ControlAction::Start,
        Step::ChangeLevel => ControlAction::ChangeLevel,
        Step::Lift => ControlAction::Lift,
        Step::Cancel => ControlAction::Cancel,
    };
    let (ladder, tz) = (policy.ladder.clone(), policy.tz);
    let (view, outcome) = db
        .transaction(move |conn| {
            let view = service::act(conn, &caller, &ladder, &id, action, request, if_match)?;
            outcome::with_outcome(conn, view, tz)
        })
        .await?;
    respond(view, outcome, &policy)
}

fn respond(
    view: service::ActivationView,
    outcome: Option<outcome::Outcome>,
    policy: &Policy,
) -> Result<HttpResponse, ApiError> {
    let activation = Activation::of(view, outcome, &policy.ladder)?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(activation.version))).json(activation))
}

/// The forecast, checked: a named source, AQI 0–500, each date once, known pollutants (normalised).
fn check_forecast(mut forecast: Forecast, field: &str, errors: &mut Vec<FieldError>) -> Forecast {
    forecast.source = required_text(&forecast.source, 200, &format!("{field}.source"), errors);
    forecast.note = optional_text(forecast.note.as_deref(), 2000, &format!("{field}.note"), errors);
    let mut dates = std::collections::BTreeSet::new();
    for (i, day) in forecast.days.iter_mut().enumerate() {
        if day.aqi > 500 {
            errors.push(FieldError::new(format!("{field}.days[{i}].aqi"), "must be 0–500"));
        }
        if !dates.insert(day.date) {
            errors.push(FieldError::new(format!("{field}.days[{i}].date"), "appears twice"));
        }
        if let Some(raw) = &day.primary_pollutant {
            let parsed = parse_pollutant(raw, &format!("{field}.days[{i}].primary_pollutant"), errors);
            day.primary_pollutant = parsed.map(|p| p.as_str().to_owned());
        }
    }
    forecast.days.sort_by_key(|d| d.date);
    forecast
}
